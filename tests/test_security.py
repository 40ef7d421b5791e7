"""The security baseline every feature relies on."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Blueprint, render_template_string

from alma.config import from_environment
from alma.security import CSP
from tests import factories
from tests.conftest import csrf_token_from

ROOT = Path(__file__).resolve().parent.parent

FORM = """<form method="post" action="/echo"><input type="hidden" name="csrf_token"
value="{{ csrf_token() }}"><button>Send</button></form>"""


@pytest.fixture
def echo_app(make_app):
    """An app with one POST endpoint, as later features will have."""
    app = make_app(TESTING=False)
    bp = Blueprint("echo", __name__)

    @bp.get("/echo")
    def form():
        return render_template_string(FORM)

    @bp.post("/echo")
    def echo():
        return "sent"

    @bp.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.register_blueprint(bp)
    return app


def csrf_token(client):
    page = client.get("/echo").get_data(as_text=True)
    return re.search(r'name="csrf_token"\s+value="([^"]+)"', page).group(1)


def test_it_rejects_a_post_without_a_csrf_token(echo_app):
    response = echo_app.test_client().post("/echo", data={"x": "1"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_it_accepts_a_form_post_with_its_token(echo_app):
    client = echo_app.test_client()
    token = csrf_token(client)
    assert client.post("/echo", data={"csrf_token": token}).get_data(as_text=True) == "sent"


def test_it_accepts_an_htmx_post_with_the_token_in_a_header(echo_app):
    client = echo_app.test_client()
    token = csrf_token(client)
    response = client.post("/echo", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200


def test_it_rejects_a_token_from_another_session(echo_app):
    token = csrf_token(echo_app.test_client())
    response = echo_app.test_client().post("/echo", data={"csrf_token": token})
    assert response.status_code == 400


def test_it_never_shows_a_stack_trace(echo_app):
    response = echo_app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "Traceback" not in body and "secret internals" not in body


def test_it_sends_the_security_headers(client, db):
    response = client.get("/providers")
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert "script-src 'self'" in CSP and "style-src 'self'" in CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "X-Request-ID" in headers


def test_it_sets_no_cookie_on_public_pages(client, db):
    # Browsing the directory leaves no trace in the browser.
    response = client.get("/providers")
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", ["/", "/providers", "/providers?state=CA&zip=abc", "PROFILE",
                                  "/does-not-exist"])
def test_its_pages_need_no_inline_script_or_style(client, db, path):
    factories.operate_in("CA")
    provider = factories.provider()
    body = client.get(path.replace("PROFILE", f"/providers/{provider.slug}")).get_data(
        as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline <script>"
    assert "<style" not in body
    assert not re.search(r"\sstyle=", body), "style attribute"
    assert not re.search(r"\son[a-z]+=", body), "event handler attribute"
    assert not re.search(r"(src|href)=\"https?://", body), "asset from another host"


def test_production_cookies_are_secure_http_only_and_same_site(tmp_path):
    config = from_environment(str(tmp_path), {"SECRET_KEY": "x"})
    assert config["ALMA_ENV"] == "production"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["PERMANENT_SESSION_LIFETIME"] <= 30 * 60


def test_a_session_cookie_carries_those_flags(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    bp = Blueprint("cookie", __name__)
    bp.get("/form")(lambda: render_template_string(FORM))
    app.register_blueprint(bp)
    cookie = app.test_client().get("/form").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_it_refuses_to_serve_without_a_secret_key_in_production(make_app):
    app = make_app(SECRET_KEY=None)
    client = app.test_client()
    assert client.get("/providers").status_code == 503
    assert client.get("/healthz").status_code == 503


def test_gunicorn_refuses_to_start_without_a_secret_key(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "BIND": "127.0.0.1:0", "ALMA_ENV": "production",
           "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run([str(gunicorn), "app:app"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_development_makes_and_keeps_its_own_secret(tmp_path):
    first = from_environment(str(tmp_path), {"ALMA_ENV": "development"})
    again = from_environment(str(tmp_path), {"ALMA_ENV": "development"})
    assert first["SECRET_KEY"] and first["SECRET_KEY"] == again["SECRET_KEY"]
    assert first["SESSION_COOKIE_SECURE"] is False  # served over http://127.0.0.1


def test_an_id_too_large_for_the_database_is_a_404_not_an_overflow(client, db):
    provider = factories.provider(email="big@example.com")
    password = "a long and memorable passphrase"
    factories.sign_in(client, factories.user_for(provider, password), password)
    huge = "99999999999999999999"
    token = csrf_token_from(client.get("/practice/insurance"))
    assert client.post(f"/practice/insurance/clients/{huge}/check",
                       data={"csrf_token": token}).status_code == 404
    assert client.get(f"/requests/{huge}").status_code == 404
