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
  bytes than announced) is a 400. An urlencoded form may have at most
  MAX_FORM_PARTS fields (413): Werkzeug counts only multipart parts against
  that setting, and MAX_FORM_MEMORY_SIZE, too, applies only to multipart.
  A refused request still reaches the app, with an empty body, so the answer
  is the app's own error page; the rest of the body is never read, and the
  connection ends after the answer.

Uploads, when they come, get their own limit: add their path prefix to the
UPLOAD_LIMITS setting (a dict of path prefix to bytes, set in create_app
or by the feature's init_app); every other body is a form. Flask's
MAX_CONTENT_LENGTH stays unset: it would be a second limit, blind to paths.
"""
import io
import socket
import tempfile
import threading
from urllib.parse import urlsplit

from flask import abort, request
from werkzeug.exceptions import SecurityError
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
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        deadline = _Deadline(_socket(environ), self.config["BODY_TIMEOUT_SECONDS"])
        try:
            status = self._copy(environ, body, remaining, limit)
        except Exception:  # the server's reader refuses a malformed body in its own way
            status = 400
        finally:
            deadline.cancel()
        if status:
            body.close()
            return 408 if deadline.expired else status
        environ["CONTENT_LENGTH"] = str(body.tell())
        body.seek(0)
        environ["wsgi.input"] = body
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return None

    def _copy(self, environ, body, remaining, limit):
        """Read the body into `body`: None, or the status that refuses it."""
        stream = environ["wsgi.input"]
        # A field is what comes before each "&", and after the last.
        max_separators = self.config["MAX_FORM_PARTS"] if _is_urlencoded(environ) else None
        size = separators = 0
        while remaining is None or remaining > 0:
            data = stream.read(READ_SIZE if remaining is None else min(READ_SIZE, remaining))
            if not data:
                return 400 if remaining else None  # fewer bytes than announced: a 400
            size += len(data)
            if size > limit:
                return 413
            if max_separators is not None:
                separators += data.count(b"&")
                if separators >= max_separators:
                    return 413
            body.write(data)
            if remaining is not None:
                remaining -= len(data)
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


def _is_urlencoded(environ):
    mimetype = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    return mimetype == "application/x-www-form-urlencoded"


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


def trusted_hosts(config):
    """BASE_URL's host, ALMA_ALLOWED_HOSTS, and this machine outside production."""
    hosts = [urlsplit(config["BASE_URL"]).hostname or "", *config["ALLOWED_HOSTS"]]
    if config["ALMA_ENV"] != "production":
        hosts += LOCAL_HOSTS
    return [host for host in dict.fromkeys(hosts) if host]


def init_app(app):
    """Call before any before_request hook that reads the form (CSRF), and before
    ProxyFix wraps the app (the Host checked is the one the proxy forwarded)."""
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.config.setdefault("UPLOAD_LIMITS", {})
    app.wsgi_app = RequestGuard(app.wsgi_app, app.config)

    @app.before_request
    def _refuse_body():
        status = request.environ.get(REFUSED)
        if status:
            abort(status)
