"""The request guard (alma/http.py): the Host header, and the body read before the app runs."""
import io
import socket
import threading

import pytest
from flask import Blueprint, request
from werkzeug.serving import make_server

from alma.config import from_environment
from alma.http import trusted_hosts

FORM = "application/x-www-form-urlencoded"


def test_an_unknown_host_is_a_short_plain_400(client):
    response = client.get("/healthz", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "This server does not answer for that host name.\n"


def test_production_answers_for_base_urls_host_and_the_allowed_ones_only(make_app):
    app = make_app(ALMA_ENV="production", ALLOW_SQLITE=True, BASE_URL="https://alma.example.org",
                   ALLOWED_HOSTS=["www.alma.example.org"])
    client = app.test_client()
    for host in ("alma.example.org", "www.alma.example.org:443"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host
    for host in ("localhost", "127.0.0.1", "evil.example", "alma.example.org.evil.example"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 400, host
    assert client.post("/sign-in", headers={"Host": "evil.example"}).status_code == 400


def test_the_host_checked_is_the_one_the_proxy_forwarded(make_app):
    app = make_app(ALMA_ENV="production", ALLOW_SQLITE=True, BASE_URL="https://alma.example.org",
                   PROXY_HOPS=1)
    client = app.test_client()
    forwarded = {"Host": "10.0.0.7:8000", "X-Forwarded-Host": "alma.example.org"}
    assert client.get("/healthz", headers=forwarded).status_code == 200
    assert client.get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 400


def test_the_allowed_hosts_setting(tmp_path):
    config = from_environment(str(tmp_path), {
        "SECRET_KEY": "x", "BASE_URL": "https://alma.example.org/",
        "ALMA_ALLOWED_HOSTS": " www.alma.example.org, Alma.Example.NET ,"})
    assert trusted_hosts(config) == ["alma.example.org", "www.alma.example.org",
                                     "alma.example.net"]
    # `make run` and browser tests serve on 127.0.0.1:PORT; the test client asks for localhost.
    development = from_environment(str(tmp_path), {"ALMA_ENV": "development"})
    assert trusted_hosts(development) == ["127.0.0.1", "localhost"]


@pytest.fixture
def echo(make_app):
    """An app with a form endpoint that says how many fields it got, and an upload path."""
    def build(**config):
        app = make_app(TESTING=False, WTF_CSRF_ENABLED=False, **config)
        bp = Blueprint("echo", __name__)

        @bp.post("/echo")
        @bp.post("/uploads/echo")
        def echo():
            return f"{len(request.form)} fields, {request.content_length} bytes"

        app.register_blueprint(bp)
        return app
    return build


def test_a_body_over_the_limit_is_a_413_with_the_apps_own_page(echo):
    client = echo(MAX_BODY_BYTES=1000).test_client()
    assert client.post("/echo", data="a=" + "x" * 998, content_type=FORM).status_code == 200
    response = client.post("/echo", data="a=" + "x" * 999, content_type=FORM)
    assert response.status_code == 413
    assert "That was too much to send" in response.get_data(as_text=True)


def test_an_upload_path_has_its_own_limit(echo):
    app = echo(MAX_BODY_BYTES=1000, UPLOAD_LIMITS={"/uploads/": 5000})
    client = app.test_client()
    assert client.post("/uploads/echo", data=b"x" * 4000,
                       content_type="application/octet-stream").status_code == 200
    assert client.post("/echo", data=b"x" * 4000,
                       content_type="application/octet-stream").status_code == 413


def test_a_chunked_body_is_counted_as_it_arrives(echo):
    client = echo(MAX_BODY_BYTES=1000).test_client()
    chunked = {"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": ""}
    small = client.post("/echo", input_stream=io.BytesIO(b"a=1&b=2"), content_type=FORM,
                        environ_overrides=chunked)
    assert small.get_data(as_text=True) == "2 fields, 7 bytes"
    large = client.post("/echo", input_stream=io.BytesIO(b"x" * 5000), content_type=FORM,
                        environ_overrides=chunked)
    assert large.status_code == 413


def test_too_many_urlencoded_fields_are_a_413(echo):
    client = echo().test_client()
    body = "&".join(f"f{n}=1" for n in range(1000))
    assert client.post("/echo", data=body, content_type=FORM).get_data(
        as_text=True) == f"1000 fields, {len(body)} bytes"
    response = client.post("/echo", data=body + "&one=more", content_type=FORM)
    assert response.status_code == 413
    assert "That was too much to send" in response.get_data(as_text=True)


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "٣"])
def test_a_malformed_content_length_is_a_400(echo, length):
    response = echo().test_client().post("/echo", data="a=1", content_type=FORM,
                                         environ_overrides={"CONTENT_LENGTH": length})
    assert response.status_code == 400


def test_a_body_shorter_than_announced_is_a_400(echo):
    response = echo().test_client().post("/echo", input_stream=io.BytesIO(b"a=1"),
                                         content_type=FORM,
                                         environ_overrides={"CONTENT_LENGTH": "100"})
    assert response.status_code == 400
    assert "could not be understood" in response.get_data(as_text=True)


def test_a_body_that_trickles_past_its_deadline_is_a_408_under_threads(echo):
    # Werkzeug's threaded server (as `make run` and the browser tests use), not gevent.
    app = echo(BODY_TIMEOUT_SECONDS=0.5)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=20) as sock:
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"
                         b"Content-Type: " + FORM.encode() + b"\r\n\r\na=")
            answer = b""
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                assert data, "closed without an answer"
                answer += data
            assert answer.startswith(b"HTTP/1.1 408")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
