"""Browser tests: the real app, served from a thread, driven through Debian's Chromium.

Every test here is marked `browser` (run them alone with `pytest -m browser`,
or leave them out with `-m "not browser"`).

The server runs in other threads, so it can't see the rolled-back transaction
of the `db` fixture: `live_server` commits a deterministic demo directory
instead, and deletes it again once the module's tests are done, so the rest
of the suite still starts from an empty directory.

Playwright never downloads a browser here: it launches /usr/bin/chromium.

Every page is watched for console errors, uncaught exceptions, Content-Security-
Policy violations and 5xx responses. The app allows no inline script or style,
so any of them is a bug and fails the test at teardown.
"""
import re

import pytest
from peewee import sort_models
from playwright.sync_api import expect, sync_playwright

from alma.benefits.models import FeeSchedule
from alma.claims.clearinghouse import local_sandbox
from alma.db import db as database
from alma.directory import demo
from alma.geo import ZipCode
from alma.models import ALL_MODELS
from alma.network import vocab
from alma.network.models import Language, Modality, Payer, ServiceState, Specialty
from alma.payouts.models import PayRate
from tests.browser.support import HERE, in_app, serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FAVICON = "/favicon.ico"
DEMO_PROVIDERS = 300
DEMO_SEED = 7

# Playwright's auto-waiting assertions: a search round trip takes well under a
# second; the margin is for a loaded CI machine.
expect.set_options(timeout=10_000)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # tryfirst: mark before pytest's own hook deselects by `-m`.
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


# --- The server ----------------------------------------------------------------------

def _delete_directory():
    """Delete what the browser tests committed, so later tests start from empty tables.

    Every table of the app, each after the tables that refer to it, but the reference data
    the migrations put there (vocabulary, states, zip codes, fee schedules, pay rates)."""
    reference = {FeeSchedule, ZipCode, Language, Modality, Payer, ServiceState, Specialty,
                 PayRate}
    with database.atomic():
        for model in reversed(sort_models(ALL_MODELS)):
            if model not in reference:
                # A row may refer to another of its table (a replacement claim to the one
                # it replaces): let go of those first.
                for field in model._meta.refs:
                    if field.rel_model is model:
                        model.update({field: None}).execute()
                model.delete().execute()
        ServiceState.update(operating=False, launched_on=None).execute()


@pytest.fixture(scope="module")
def live_server(app):
    """The app on http://127.0.0.1:<free port>, over a committed demo directory."""
    try:
        in_app(app, lambda: demo.seed(DEMO_PROVIDERS, DEMO_SEED))
        vocab.forget()
        with serving(app) as url:
            yield url
    finally:
        in_app(app, _delete_directory)
        # The claims sandbox keeps its reports in a file: old 835s would be read again
        # against new claims that reuse the deleted ids.
        local_sandbox(app).reset()
        vocab.forget()


# --- The browser ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Reports each Content-Security-Policy violation to Python as it happens
# (Chromium also logs them to the console, caught below; this adds the detail).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__almaReportCsp(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || location.href}:${event.lineNumber}`);
});
"""


class PageProblems:
    """Everything that went wrong in the pages of one test."""

    def __init__(self):
        self.found = []
        self.allowed = []

    def allow(self, pattern, reason):
        """Accept problems matching `pattern` in this test; `reason` says why it's expected."""
        assert reason, "say why this problem is expected"
        self.allowed.append(re.compile(pattern))

    def watch(self, context):
        context.on("console", self._console)
        context.on("weberror", lambda error: self.found.append(
            f"uncaught exception on {error.page.url if error.page else '?'}: {error.error}"))
        context.on("response", self._response)
        context.expose_binding("__almaReportCsp", lambda source, text: self.found.append(
            f"CSP violation on {source['page'].url}: {text}"))
        context.add_init_script(_CSP_LISTENER)

    def _console(self, message):
        if message.type != "error":
            return
        source = message.location.get("url") or "?"
        if source.endswith(FAVICON):
            # Chromium fetches /favicon.ico by itself, once per browser run, so a
            # 404 would land on whichever test happens to run first.
            # test_it_gives_browsers_an_icon checks it instead, under its own name.
            return
        where = message.page.url if message.page else "?"
        self.found.append(f"console error on {where} (from {source}): {message.text}")

    def _response(self, response):
        if response.status >= 500:
            self.found.append(f"{response.status} from {response.request.method} {response.url}")

    def unexpected(self):
        return [p for p in self.found if not any(rule.search(p) for rule in self.allowed)]


@pytest.fixture
def page_problems():
    return PageProblems()


@pytest.fixture
def new_context(browser, live_server, page_problems):
    """Make browser contexts on the live server; they are closed, and checked, after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_server, **options)
        page_problems.watch(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    problems = page_problems.unexpected()
    if problems:
        pytest.fail("The pages had problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def no_js_page(new_context):
    """A page in a context where JavaScript is off, as some people browse."""
    return new_context(java_script_enabled=False).new_page()


@pytest.fixture
def phone_page(new_context):
    """A small phone's screen: 360 x 740 CSS pixels."""
    return new_context(viewport={"width": 360, "height": 740}).new_page()


@pytest.fixture
def deliver_all(app, mailbox):
    """Deliver the outbox to the loopback SMTP server, as the worker would; returns the mailbox."""
    from alma.mail import delivery

    def run():
        in_app(app, delivery.deliver_due)
        return mailbox
    return run
