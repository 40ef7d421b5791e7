"""What the browser tests share besides fixtures: where things live, and DB access."""
import contextlib
import pathlib
import threading

from playwright.sync_api import expect
from werkzeug.serving import make_server

from alma.db import db as database

HERE = pathlib.Path(__file__).resolve().parent
SCREENS = HERE / "screens"
# The password of the accounts the newer browser tests make.
PASSWORD = "a long and memorable passphrase"


def in_app(app, work):
    """Run `work()` in this thread with its own connection (peewee's are per thread)."""
    with app.app_context():
        database.connect(reuse_if_open=True)
        try:
            return work()
        finally:
            database.close()


def link_from(message, part):
    """The first link in an email's text containing `part`, as a path."""
    import re

    body = message.get_body(("plain",)).get_content()
    url = next(u for u in re.findall(r"https?://\S+", body) if part in u)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def sign_in(page, email, password=PASSWORD):
    """Sign in through the form, as a person does, and wait until signed in."""
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).first.fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("button", has_text="Sign out").first).to_be_attached()  # a phone: in the menu


def fits(page):
    """The page doesn't scroll sideways at its width."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow} px wider than the screen"


def assert_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@contextlib.contextmanager
def serving(app, name="live-server"):
    """The app on http://127.0.0.1:<free port> in a thread, stopped when the block ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
