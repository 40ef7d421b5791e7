"""The claims sandbox (sandbox.py) over real HTTP, on the paths the HTTP client calls:

    POST /change/medicalnetwork/professionalclaims/v3/submission   (Idempotency-Key header)
    GET  /polling/transactions?pageToken=…   (items shaped as Stedi documents them)
    GET  /transactions/<id>/input        (each item's input artifact: 302 to the download)
    GET  /downloads/<id>                 (the X12; like a presigned address, it refuses a
                                          request that also carries an Authorization header)

`serve()` starts it on a daemon thread (loopback, any free port) and returns (server,
base_url): give base_url as both ALMA_CLAIMS_URL and ALMA_CLAIMS_POLL_URL. The tests send
claims to it over HTTP; real worker processes can share one this way.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from alma.claims.clearinghouse import POLL_PATH, SUBMISSION_PATH
from alma.claims.sandbox import Sandbox

_MAX_BODY = 1 << 20


class _Handler(BaseHTTPRequestHandler):
    server_version = "AlmaSandboxClaims/1.0"

    def log_message(self, format, *args):  # quiet tests
        pass

    def _authorised(self):
        if self.server.api_key and self.headers.get("Authorization") != self.server.api_key:
            self._send(401, {"message": "Unauthorized"})
            return False
        return True

    def do_POST(self):
        if not self._authorised():
            return
        if urlsplit(self.path).path != SUBMISSION_PATH:
            return self._send(404, {"message": "Not found"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= _MAX_BODY:
                raise ValueError
            body = json.loads(self.rfile.read(length))
        except ValueError:
            return self._send(400, {"errors": [{"code": "33", "description": "The request "
                                                "body must be JSON."}]})
        status, answer = self.server.sandbox.submit(body, self.headers.get("Idempotency-Key"))
        self._send(status, answer)

    def do_GET(self):
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "downloads":
            return self._download(parts[1])
        if not self._authorised():
            return
        base = self.server.base_url
        if url.path == POLL_PATH:
            token = (parse_qs(url.query).get("pageToken") or [""])[0]
            items, next_token = self.server.sandbox.poll(token)
            return self._send(200, {"items": [_polled(item, base) for item in items],
                                    "nextPageToken": next_token})
        if len(parts) == 3 and parts[0] == "transactions" and parts[2] == "input":
            if self.server.sandbox.report(parts[1]) is not None:
                target = f"{base}/downloads/{parts[1]}"
                return self._send(302, {"documentDownloadUrl": target}, location=target)
        self._send(404, {"message": "Not found"})

    def _download(self, transaction_id):
        if self.headers.get("Authorization"):
            return self._send(400, {"message": "Only one auth mechanism allowed"})
        report = self.server.sandbox.report(transaction_id)
        if report is None:
            return self._send(404, {"message": "Not found"})
        self._send(200, report["x12"], "application/edi-x12")

    def _send(self, status, body, kind="application/json", location=None):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        try:
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _polled(item, base):
    """One polled transaction as Stedi's `GET /polling/transactions` documents it."""
    return {"transactionId": item["id"], "direction": "INBOUND", "mode": "test",
            "status": "succeeded",
            "x12": {"metadata": {"transaction": {"transactionSetIdentifier": item["kind"],
                                                 "controlNumber": "0001"}}},
            "artifacts": [{"artifactType": "application/edi-x12", "usage": "input",
                           "model": "transaction", "sizeBytes": len(item["x12"]),
                           "url": f"{base}/transactions/{item['id']}/input"}]}


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, sandbox, api_key=None):
        super().__init__(address, _Handler)
        self.sandbox, self.api_key = sandbox, api_key
        self.base_url = f"http://{address[0]}:{self.server_address[1]}"


def serve(sandbox=None, host="127.0.0.1", port=0, api_key=None):
    """Serve a sandbox (a new one in memory by default) on a daemon thread: (server, url)."""
    server = SandboxServer((host, port), sandbox or Sandbox(), api_key=api_key)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="claims-sandbox", daemon=True)
    thread.start()
    return server, server.base_url


def shutdown(server):
    server.shutdown()
    server.server_close()
