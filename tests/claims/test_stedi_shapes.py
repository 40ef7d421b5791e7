"""The JSON claim and the polled reports against the shapes Stedi documents
(fixtures/README.md says where each fact comes from): every field the claim sends is one
Stedi's OpenAPI names, none it requires is missing; a polled page in the documented shape
is read over real HTTP (kind from x12.metadata.transaction, the X12 from the input
artifact's 302 to its download address)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from alma.claims.claim_json import from_837p
from alma.claims.clearinghouse import POLL_PATH, HttpClearinghouse, Outgoing, _sent
from alma.claims.x12 import claim_837p
from tests.claims.test_x12 import make_claim

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "test-stedi-key"


def documented():
    lines = [line.split() for line in (FIXTURES / "stedi-professional-claim-fields.txt")
             .read_text().splitlines() if line and not line.startswith("#")]
    return {words[0] for words in lines}, {words[0] for words in lines if len(words) > 1}


def paths(value, prefix=""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield f"{prefix}{key}"
            yield from paths(inner, f"{prefix}{key}.")
    elif isinstance(value, list):
        for inner in value:
            yield from paths(inner, prefix.rstrip(".") + "[].")


@pytest.mark.parametrize("changes", [{}, {"frequency_code": "7", "payer_claim_number": "P9"}])
def test_every_field_of_the_json_claim_is_one_stedi_documents(changes):
    body = from_837p(claim_837p(make_claim(**changes)))
    known, required = documented()
    sent = set(paths(body))
    assert sent - known == set()
    objects = {p.rsplit(".", 1)[0] for p in sent if "." in p} | {""}
    needed = {p for p in required if (p.rsplit(".", 1)[0] if "." in p else "") in objects}
    assert needed - sent == set()
    if changes:
        supplemental = body["claimInformation"]["claimSupplementalInformation"]
        assert supplemental == {"claimControlNumber": "P9"}


def test_a_submission_answer_in_the_documented_shape_is_read():
    answer = json.loads((FIXTURES / "ours-claim-submission-200.json").read_text())
    sent = _sent(Outgoing(7, "key-7", {}), 200, answer)
    assert (sent.accepted, sent.reference, sent.control_number) == (
        True, "OURS0000000000000000000042", "000000042")
    refused = _sent(Outgoing(7, "key-7", {}), 400, {"errors": [
        {"code": "33", "description": "Invalid Patient Control Number.",
         "followupAction": "Please Correct and Resubmit"}]})
    assert (refused.accepted, refused.errors) == (False, ["Invalid Patient Control Number."])


class _Stedi(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        base, path = self.server.base, self.path.split("?")[0]
        if path.startswith("/downloads/"):  # presigned: a second way to sign is refused
            if self.headers.get("Authorization"):
                return self._send(400, "Only one auth mechanism allowed")
            return self._send(200, f"ISA*X12 OF {path.rsplit('/', 1)[1]}~")
        if self.headers.get("Authorization") != KEY:
            return self._send(401, json.dumps({"message": "Unauthorized"}))
        if path == POLL_PATH:
            page = (FIXTURES / "ours-polled-transactions-200.json").read_text()
            return self._send(200, page.replace("{base}", base))
        if path.startswith("/transactions/") and path.endswith("/input"):
            target = f"{base}/downloads/{path.split('/')[2]}"
            return self._send(302, json.dumps({"documentDownloadUrl": target}))
        self._send(404, "{}")

    def _send(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def stedi():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stedi)
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.base
    server.shutdown()
    server.server_close()


def test_a_polled_page_in_the_documented_shape_is_read_over_http(stedi):
    gateway = HttpClearinghouse(stedi, stedi, KEY, timeout=5)
    reports, token = gateway.poll("")
    assert [(r.kind, r.transaction_id, r.x12) for r in reports] == [
        ("277", "0a5e2c1d-0000-4000-8000-000000000277",
         "ISA*X12 OF 0a5e2c1d-0000-4000-8000-000000000277~"),
        ("835", "0a5e2c1d-0000-4000-8000-000000000835",
         "ISA*X12 OF 0a5e2c1d-0000-4000-8000-000000000835~")]
    assert token == "ours-next-page-0002"
