"""What a request must be before the app sees it: for a known host, with its whole body.

`RequestGuard` wraps the Flask app (WSGI middleware):

- The Host header must be BASE_URL's host or one of ALMA_ALLOWED_HOSTS
  (Flask's TRUSTED_HOSTS holds the same list). Anything else is a short plain
  400: the app can't even build its own links for an unknown host.
- The request body is read whole, here, before Flask runs. So a client that
  sends its body slowly holds only this read (a greenlet under gevent), never
  a database connection. The read has a deadline (BODY_TIMEOUT_SECONDS: then
  408) and a size limit (MAX_BODY_BYTES: 413, at once from Content-Length,
  or as a chunked body arrives); a malformed body (a bad chunk size, fewer
  bytes than announced) is a 400. A refused request still reaches the app,
  with an empty body, so the answer is the app's own error page; the rest
  of the body is never read, and the connection ends after the answer.

Uploads, when they come, get their own limit: add their path prefix to the
UPLOAD_LIMITS setting (a dict of path prefix to bytes, set in create_app
or by the feature's init_app); every other body is a form.

`Request` counts the fields of an urlencoded form against MAX_FORM_PARTS, as
Werkzeug does only for multipart forms: 10,000 fields are a 413, not a parse.
"""
import io
import socket
import tempfile
import threading
from urllib.parse import urlsplit

from flask import abort, request
from htmx_flask.requests import HtmxAwareRequest
from werkzeug.exceptions import RequestEntityTooLarge, SecurityError
from werkzeug.formparser import FormDataParser
from werkzeug.wsgi import get_host

REFUSED = "alma.body_refused"
READ_SIZE = 64 * 1024
SPOOL_BYTES = 64 * 1024  # a larger body waits in a temporary file, not in memory
LOCAL_HOSTS = ["localhost", "127.0.0.1"]


class RequestGuard:
    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config  # read on each request, so settings may change after startup

    def __call__(self, environ, start_response):
        try:
            get_host(environ, self.config["TRUSTED_HOSTS"])
        except SecurityError:
            _stop_reading(_socket(environ))
            return _plain(start_response, "400 Bad Request",
                          "This server does not answer for that host name.")
        status = self._read_body(environ)
        if status:
            environ[REFUSED] = status
            environ["wsgi.input"] = io.BytesIO()
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            _stop_reading(_socket(environ))
        return self.wsgi_app(environ, start_response)

    def _read_body(self, environ):
        """Buffer the body into environ's wsgi.input; a status code if it is refused."""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if not chunked and declared in ("", "0"):
            return None
        if not chunked and not (declared.isascii() and declared.isdigit()):
            return 400
        limit = self._limit_for(environ.get("PATH_INFO", ""))
        remaining = None if chunked else int(declared)
        if remaining is not None and remaining > limit:
            return 413
        deadline = _Deadline(_socket(environ), self.config["BODY_TIMEOUT_SECONDS"])
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        size = 0
        try:
            stream = environ["wsgi.input"]
            while remaining is None or remaining > 0:
                data = stream.read(READ_SIZE if remaining is None else min(READ_SIZE, remaining))
                if not data:
                    if remaining:
                        return 408 if deadline.expired else 400  # fewer bytes than announced
                    break
                size += len(data)
                if size > limit:
                    return 413
                body.write(data)
                if remaining is not None:
                    remaining -= len(data)
        except Exception:  # the server's reader refuses a malformed body in its own way
            return 408 if deadline.expired else 400
        finally:
            deadline.cancel()
        body.seek(0)
        environ["wsgi.input"] = body
        environ["CONTENT_LENGTH"] = str(size)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return None

    def _limit_for(self, path):
        for prefix, limit in self.config["UPLOAD_LIMITS"].items():
            if path.startswith(prefix):
                return limit
        return self.config["MAX_BODY_BYTES"]


class _Deadline:
    """Stop reading from the client's socket when time is up.

    Shutting down the socket's read side wakes a read blocked on it, in a
    thread or a greenlet alike (threading.Timer is a greenlet under gevent),
    while the answer can still be written.
    """

    def __init__(self, sock, seconds):
        self.expired = False
        self.timer = None
        if sock is not None and seconds:
            self.timer = threading.Timer(seconds, self._expire, args=(sock,))
            self.timer.daemon = True
            self.timer.start()

    def _expire(self, sock):
        self.expired = True
        _stop_reading(sock)

    def cancel(self):
        if self.timer is not None:
            self.timer.cancel()


def _socket(environ):
    # gunicorn's workers and Werkzeug's development server say where the client is.
    return environ.get("gunicorn.socket") or environ.get("werkzeug.socket")


def _stop_reading(sock):
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:  # the client has gone already
        pass


def _plain(start_response, status, text):
    body = (text + "\n").encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]


class FormParser(FormDataParser):
    def parse(self, stream, mimetype, content_length, options=None):
        if mimetype == "application/x-www-form-urlencoded" and self.max_form_parts is not None:
            body = stream.read()
            if body.count(b"&") >= self.max_form_parts:
                raise RequestEntityTooLarge()
            stream = io.BytesIO(body)
        return super().parse(stream, mimetype, content_length, options)


class Request(HtmxAwareRequest):
    """htmx's request (request.htmx), with urlencoded fields counted too."""

    form_data_parser_class = FormParser


def trusted_hosts(config):
    """BASE_URL's host, ALMA_ALLOWED_HOSTS, and this machine outside production."""
    hosts = [urlsplit(config["BASE_URL"]).hostname or "", *config["ALLOWED_HOSTS"]]
    if config["ALMA_ENV"] != "production":
        hosts += LOCAL_HOSTS
    return [host for host in dict.fromkeys(hosts) if host]


def init_app(app):
    """Call after htmx's init_app (which sets its own request class), before any
    before_request hook that reads the form (CSRF), and before ProxyFix wraps
    the app (the Host checked is the one the proxy forwarded)."""
    app.request_class = Request
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.config.setdefault("UPLOAD_LIMITS", {})
    app.wsgi_app = RequestGuard(app.wsgi_app, app.config)

    @app.before_request
    def _refuse_body():
        status = request.environ.get(REFUSED)
        if status:
            abort(status)
