"""htmx requests that change something carry the CSRF token (static/js/app.js).

The directory has no such request yet; the features after it all will. This
serves a small page like theirs from an app of its own and drives it in
Chromium: with the token on the page the POST goes through, without it the
server refuses it.
"""
import threading

import pytest
from flask import Blueprint, render_template_string
from playwright.sync_api import expect
from werkzeug.serving import make_server

from alma.factory import create_app
from alma.db import db as database

PAGE = """{% extends "base.html" %}
{% block head %}{% if with_token %}<meta name="csrf-token" content="{{ csrf_token() }}">{% endif %}{% endblock %}
{% block main %}
<h1>Echo</h1>
<button type="button" hx-post="/echo" hx-target="#answer">Send</button>
<p id="answer">nothing yet</p>
{% endblock %}"""


@pytest.fixture(scope="module")
def live_server(app, tmp_path_factory):
    original = database.obj
    echo_app = create_app({
        "SECRET_KEY": "csrf-browser-test", "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
    })
    bp = Blueprint("echo", __name__)
    bp.add_url_rule("/echo", "with_token",
                     lambda: render_template_string(PAGE, with_token=True))
    bp.add_url_rule("/echo-without-token", "without_token",
                    lambda: render_template_string(PAGE, with_token=False))
    bp.add_url_rule("/echo", "receive", lambda: "<strong>received</strong>", methods=["POST"])
    echo_app.register_blueprint(bp)
    server = make_server("127.0.0.1", 0, echo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        database.initialize(original)


def test_it_sends_the_token_with_an_htmx_post(page):
    page.goto("/echo")
    with page.expect_response("**/echo") as response:
        page.get_by_role("button", name="Send").click()
    assert response.value.request.headers.get("x-csrftoken")
    expect(page.locator("#answer")).to_have_text("received")


def test_the_server_refuses_an_htmx_post_without_it(page, page_problems):
    page_problems.allow(r"400|Failed to load resource", "the refusal is what this test checks")
    page.goto("/echo-without-token")
    with page.expect_response("**/echo") as response:
        page.get_by_role("button", name="Send").click()
    assert response.value.status == 400
    expect(page.locator("#answer")).to_have_text("nothing yet")
