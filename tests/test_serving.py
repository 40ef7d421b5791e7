"""Slow and large requests against real gunicorn: its config file, real sockets, the test database.

No test here measures speed: each asserts what the server answered while
slow clients were connected, or how much a worker grew.
"""
import contextlib
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alma.db import is_postgres

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
SAFETY_SECONDS = 20  # a request that takes this long has failed; no test waits for it otherwise


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, process, port):
        self.process, self.port = process, port

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=SAFETY_SECONDS)
        return sock

    def request(self, head, body=b""):
        with self.connect() as sock:
            sock.sendall(head + body)
            return read_response(sock)

    def healthz(self):
        return self.request(self.head("GET", "/healthz"))

    def head(self, method, path, *headers):
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", *headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def workers_rss_kb(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        total = 0
        for pid in children.read_text().split():
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(next(line for line in status.splitlines()
                              if line.startswith("VmRSS:")).split()[1])
        return total


class Response:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip()
                        for k, _, v in (line.partition(":") for line in lines[1:])}

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def read_response(sock):
    """One response: its head, then Content-Length bytes (or up to the close)."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"closed before a whole response: {raw[:200]!r}")
        raw += data
    response = Response(raw)
    length = int(response.headers.get("content-length", -1))
    while length < 0 or len(response.body) < length:
        data = sock.recv(65536)
        if not data:
            break
        response.body += data
    return response


@contextlib.contextmanager
def gunicorn(app, *args, **env):
    """gunicorn with the repository's gunicorn.conf.py (2 gevent workers) on a free port."""
    port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ALMA_ENV": "test", "SECRET_KEY": "serving-test", "ALMA_LOG_REQUESTS": "0",
        "DATABASE_URL": app.config["DATABASE_URL"], "BIND": f"127.0.0.1:{port}",
        "BASE_URL": f"http://127.0.0.1:{port}", **env,
    }
    process = subprocess.Popen([str(GUNICORN), *args, "app:app"], cwd=ROOT, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Server(process, port)
    try:
        started = time.monotonic()
        while True:
            if process.poll() is not None:
                raise AssertionError("gunicorn stopped: " + process.stderr.read().decode())
            with contextlib.suppress(OSError):
                if server.healthz().status == 200:
                    break
            assert time.monotonic() - started < 60, "gunicorn did not answer /healthz"
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # a quick shutdown: nothing is left to finish
        try:
            process.wait(timeout=SAFETY_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


@pytest.fixture(scope="module")
def server(app):
    with gunicorn(app) as running:
        yield running


def still_waiting(sock):
    """Connected, and not answered: nothing to read, and not closed."""
    sock.setblocking(False)
    try:
        sock.recv(1)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.settimeout(SAFETY_SECONDS)
    return False


@pytest.mark.parametrize("count", [2, 20])
def test_healthz_answers_while_slow_clients_trickle_their_bodies(server, count):
    slow = []
    try:
        for _ in range(count):
            sock = server.connect()
            sock.sendall(server.head("POST", "/sign-in", "Content-Length: 1000",
                                     "Content-Type: application/x-www-form-urlencoded") + b"e")
            slow.append(sock)
        sock.sendall(b"m")  # the last one has sent again since: all are connected and reading
        assert server.healthz().status == 200
        assert all(still_waiting(sock) for sock in slow)
    finally:
        for sock in slow:
            sock.close()


@pytest.mark.parametrize("count", [2, 20])
def test_healthz_answers_while_slow_clients_trickle_their_headers(server, count):
    slow = []
    try:
        for _ in range(count):
            sock = server.connect()
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nX-".encode())
            slow.append(sock)
        assert server.healthz().status == 200
    finally:
        for sock in slow:
            sock.close()


def send_until_answered(server, head, pieces):
    """Send the head, then pieces until the server answers or stops listening."""
    with server.connect() as sock:
        sock.sendall(head)
        for piece in pieces:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
        return read_response(sock)


def warm_up(server):
    # Each worker renders the 413 page once, so only what a body costs is measured.
    for _ in range(6):
        server.request(server.head("POST", "/sign-in", "Content-Length: 99999999"))


def test_a_large_urlencoded_body_is_refused_from_its_length_before_it_is_read(server):
    warm_up(server)
    before = server.workers_rss_kb()
    size = 10 * 1024 * 1024
    piece = b"a=" + b"x" * (64 * 1024 - 3) + b"&"
    response = send_until_answered(
        server, server.head("POST", "/sign-in", f"Content-Length: {size}",
                            "Content-Type: application/x-www-form-urlencoded"),
        [piece] * (size // len(piece)))
    assert response.status == 413
    assert "That was too much to send" in response.text  # the app's own page
    assert server.workers_rss_kb() - before < 20 * 1024


def test_a_large_chunked_body_is_refused_as_it_arrives(server):
    warm_up(server)
    before = server.workers_rss_kb()
    data = b"a=" + b"x" * (64 * 1024 - 3) + b"&"
    chunk = f"{len(data):x}\r\n".encode() + data + b"\r\n"
    response = send_until_answered(
        server, server.head("POST", "/sign-in", "Transfer-Encoding: chunked",
                            "Content-Type: application/x-www-form-urlencoded"),
        [chunk] * (60 * 1024 * 1024 // len(data)))
    assert response.status == 413
    assert server.workers_rss_kb() - before < 20 * 1024


def test_ten_thousand_fields_are_refused(server):
    body = "&".join(f"f{n}=1" for n in range(10_000)).encode()
    response = server.request(server.head("POST", "/sign-in", f"Content-Length: {len(body)}",
                                          "Content-Type: application/x-www-form-urlencoded"),
                              body)
    assert response.status == 413
    assert "That was too much to send" in response.text


def test_a_malformed_chunk_size_is_a_400(server):
    response = server.request(server.head("POST", "/sign-in", "Transfer-Encoding: chunked",
                                          "Content-Type: application/x-www-form-urlencoded"),
                              b"zz\r\nemail=a\r\n0\r\n\r\n")
    assert response.status == 400
    assert "could not be understood" in response.text


def test_a_body_shorter_than_announced_is_a_400(server):
    with server.connect() as sock:
        sock.sendall(server.head("POST", "/sign-in", "Content-Length: 100",
                                 "Content-Type: application/x-www-form-urlencoded")
                     + b"email=a")
        sock.shutdown(socket.SHUT_WR)  # and no more: the client is done sending
        response = read_response(sock)
        assert response.status == 400
        assert "could not be understood" in response.text  # not the form's missing token


def test_a_form_still_signs_in_as_before(server):
    page = server.request(server.head("GET", "/sign-in"))
    assert page.status == 200
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    body = f"csrf_token={token}&email=nobody%40example.org&password=wrong+password+here".encode()
    response = server.request(
        server.head("POST", "/sign-in", f"Content-Length: {len(body)}", f"Cookie: {cookie}",
                    "Content-Type: application/x-www-form-urlencoded"), body)
    assert response.status == 422  # the form was read and checked: the password is wrong
    assert 'name="password"' in response.text


def test_a_body_that_trickles_past_its_deadline_is_a_408_and_the_connection_ends(app):
    with gunicorn(app, ALMA_BODY_TIMEOUT_SECONDS="1", WEB_CONCURRENCY="1") as server:
        with server.connect() as sock:
            sock.sendall(server.head("POST", "/sign-in", "Content-Length: 1000",
                                     "Content-Type: application/x-www-form-urlencoded"))
            while not select.select([sock], [], [], 0.2)[0]:
                sock.sendall(b"e")
            response = read_response(sock)
            assert response.status == 408
            assert "That took too long" in response.text
            sock.settimeout(SAFETY_SECONDS)
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1) == b""  # closed: the rest of the body is never read
        assert server.healthz().status == 200


def test_workers_refuse_to_start_if_the_app_was_imported_before_gevent_patched(app):
    # --preload imports the app in the master, before the worker patches threading:
    # every greenlet of a worker would then share peewee's connection state.
    with pytest.raises(AssertionError, match="share one database connection"):
        with gunicorn(app, "--preload"):
            pass


TICKS_DURING = """
import sys
from gevent import monkey
monkey.patch_all()
import gevent
{setup}
ticks = 0
done = False

def tick():
    global ticks
    while not done:
        ticks += 1
        gevent.sleep(0.01)

ticker = gevent.spawn(tick)
gevent.sleep(0)
ticks = 0
{work}
seen, done = ticks, True
ticker.join()
print(seen)
"""


def ticks_during(setup, work, *args):
    """How often another greenlet ran (every 10 ms at best) while `work` ran, under gevent."""
    result = subprocess.run([sys.executable, "-c", TICKS_DURING.format(setup=setup, work=work),
                             *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr  # e.g. a wrong password is no crash to print
    return int(result.stdout.split()[-1])


def test_a_password_check_never_stops_the_other_requests_of_a_gevent_worker():
    # Every sign-in costs an argon2 hash (~0.3 s, more under load). In a gevent worker
    # (gunicorn.conf.py) it held the one thread: a few sign-ins a second from a few
    # addresses kept /healthz waiting seconds. Other greenlets must run meanwhile.
    assert ticks_during("from alma.accounts import passwords", """
passwords.verify(passwords.hash_password("a long and memorable passphrase"), "wrong guess")
passwords.verify(None, "wrong guess")""") > 0


def test_a_slow_query_never_stops_the_other_requests_of_a_gevent_worker(app):
    # psycopg2 is C: without a wait callback, the worker's one thread waits in it for
    # PostgreSQL, and every other greenlet (/healthz too) waits behind one slow query.
    if not is_postgres():
        pytest.skip("PostgreSQL's driver; SQLite runs in the process")
    setup = """from alma.factory import create_app
from alma.db import db
app = create_app({"DATABASE_URL": sys.argv[1], "ALMA_ENV": "test"})"""
    work = """with app.app_context():
    db.execute_sql("SELECT pg_sleep(0.5)")"""
    # ~50 ticks of 10 ms while PostgreSQL sleeps; none when the worker waits in the driver
    assert ticks_during(setup, work, app.config["DATABASE_URL"]) >= 10
