"""/dev, the demo's personas: each signs in with one click (a POST with its CSRF token) and
lands on a page that works, over real HTTP and in Chromium at 1280 and 360 px.

The server here is a development app (the only kind that has /dev) over the committed demo
of every role (alma/demo), on the test database; cleaned up as every browser test is."""
import http.client
import re

import pytest
from playwright.sync_api import expect

from alma.claims.clearinghouse import local_sandbox
from alma.db import db as database
from alma.demo import seed as roles
from alma.demo.people import TEAM
from alma.directory import demo
from alma.extensions import limiter
from alma.factory import create_app
from alma.network import vocab
from tests.browser.conftest import DEMO_PROVIDERS, DEMO_SEED, _delete_directory
from tests.browser.support import SCREENS, assert_accessible, in_app, serving
from tests.http_client import Browser

# persona: (where they land, what that page shows)
LANDS = {
    "client": (r"/me$", "Dana Whitfield"),
    "in_program": (r"/practice/sessions$", "Ellison"),
    "member": (r"/inbox$", "getting in the way at work"),
    "admin": (r"/team$", "<h1>Team dashboard</h1>"),
    "matching": (r"/team/matching$", ">Sam</a>"),
    "growth": (r"/team/applications$", "Theo Lindqvist"),
    "credentialing": (r"/team/credentialing$", "past the expected"),
    "billing": (r"/team/billing$", "<h1>Billing</h1>"),
}


@pytest.fixture(scope="module")
def live_server(app):
    """A development app on http://127.0.0.1:<free port>, over the committed demo."""
    original = database.obj
    dev = create_app({key: app.config[key] for key in (
        "SECRET_KEY", "DATABASE_URL", "INSTANCE_PATH", "BASE_URL", "SERVER_NAME")}
        | {"ALMA_ENV": "development", "TESTING": True, "RATELIMIT_ENABLED": False})
    try:
        local_sandbox(app).reset()
        in_app(dev, lambda: (demo.seed(DEMO_PROVIDERS, DEMO_SEED), roles.seed()))
        vocab.forget()
        with serving(dev, "dev-server") as url:
            yield url
    finally:
        in_app(dev, _delete_directory)
        local_sandbox(app).reset()
        vocab.forget()
        database.initialize(original)
        limiter.enabled = app.config["RATELIMIT_ENABLED"]


def _token(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _sign_in(browser, key, token):
    """POST the persona's button as a browser would: (status, where it redirects)."""
    connection = http.client.HTTPConnection("127.0.0.1", browser.port, timeout=30)
    headers = {**browser.headers, "Content-Type": "application/x-www-form-urlencoded"}
    if browser.cookie:
        headers["Cookie"] = browser.cookie
    connection.request("POST", f"/dev/sign-in/{key}", body=f"csrf_token={token}",
                       headers=headers)
    response = connection.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie")
    if cookie:
        browser.cookie = cookie.split(";", 1)[0]
    connection.close()
    return response.status, response.getheader("Location")


def test_every_persona_signs_in_over_http_and_lands_on_a_working_page(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    status, listing = Browser(port, "203.0.113.9").request("GET", "/dev")
    assert status == 200
    assert re.findall(r'action="/dev/sign-in/([a-z_]+)"', listing) == list(LANDS)
    for key, (path, shows) in LANDS.items():
        browser = Browser(port, "203.0.113.9")
        _, page = browser.request("GET", "/dev")
        assert _sign_in(browser, key, "not-the-token")[0] == 400
        status, landing = _sign_in(browser, key, _token(page))
        assert status == 303 and re.search(path, landing), (key, status, landing)
        status, body = browser.request("GET", landing)
        assert status == 200 and shows in body, (key, status, body[:500])


def test_an_unknown_persona_is_a_404(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    browser = Browser(port, "203.0.113.10")
    _, page = browser.request("GET", "/dev")
    assert browser.request("POST", "/dev/sign-in/nobody", f"csrf_token={_token(page)}")[0] == 404
    assert browser.request("GET", "/dev/sign-in/admin")[0] == 405


@pytest.mark.parametrize("width", [1280, 360])
def test_dev_lists_the_personas_and_one_click_signs_in(new_context, width):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto("/dev")
    expect(page.get_by_role("heading", name="Try Alma as anyone")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    page.screenshot(path=str(SCREENS / f"dev-personas-{width}.png"), full_page=True)
    admin = next(p for p in TEAM if p.key == "admin")
    page.get_by_role("button", name=f"Continue as {admin.name}").click()
    expect(page).to_have_url(re.compile(r"/team$"))
    page.goto("/dev")
    page.get_by_role("button", name="Continue as Riley Okafor").click()
    expect(page).to_have_url(re.compile(r"/practice/sessions$"))
    expect(page.locator("main table").first).to_contain_text("Jordan Ellison")
    page.goto("/dev")
    page.get_by_role("button", name="Continue as Sam Rivera").click()
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.get_by_text("Dana Whitfield").first).to_be_visible()
