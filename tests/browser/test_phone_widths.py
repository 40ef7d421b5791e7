"""Every page, by every role, at a small phone's width (360 px) and a desktop's (1280 px).

The pages come from the app's url_map, not a hand list: every GET route without parameters,
and the routes with parameters filled from the data this module commits. A new route must
either be reachable here or be skipped below with its reason, or the first test fails.

At each width a page must not scroll sideways (tables become labelled stacked rows on a
phone), and the main navigation must sit on one line: either whole or folded into its
"Menu" disclosure, which works with JavaScript off and from the keyboard.
"""
import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from alma.accounts import links, passwords
from alma.accounts.models import User
from alma.billing import service as billing
from alma.billing.service import INVOICE_LINK
from alma.claims import sessions
from alma.claims.clearinghouse import local_sandbox
from alma.claims.models import Claim
from alma.claims.remittance_models import ClaimPayment
from alma.clock import today
from alma.consultations.models import ConsultationRequest
from alma.consultations.service import CLIENT_LINK, CLIENT_LINK_TTL
from alma.matching import service as matching
from alma.matching.service import MATCH_LINK
from alma.membership.models import Membership, MembershipApplication
from alma.payouts import statements
from alma.payouts.models import PayoutStatement
from alma.program.models import CredentialingCase
from alma.selfpay import service as selfpay
from tests import factories
from tests.browser.support import SCREENS, assert_accessible, in_app
from tests.claims.queue_helpers import run_clearinghouse
from tests.consultations.helpers import submit
from tests.membership.test_joining import application_data
from tests.program.helpers import approve_all, checked, enrol, move_in
from tests.selfpay import helpers as selfpay_helpers

PASSWORD = "a long and memorable passphrase"
PIA = "pia.phone@example.org"
CLIENT = "sam.phone@example.org"
TEAM_ROLES = ["matching", "growth", "credentialing", "billing", "admin"]
PERSONAS = ["visitor", "client", "provider", *TEAM_ROLES]
WIDTHS = [360, 1280]
BAD_TOKEN = "not-a-real-token-0123456789"

# Routes left out, each with its reason. A prefix ends in "/".
SKIP = {
    "static": "files, not pages",
    "health.healthz": "JSON for the load balancer, not a page",
    "billing.webhook": "payment gateways' callbacks, not a page",
    "billing.test_checkout": "the local payment gateway's stand-in for a card form",
    "reconcile.explanation": "needs a remittance that changed a client's share: "
                             "test_reconcile.py screens it at 360 px",
}
SKIP_PREFIXES = {"/dev": "development tools, never served in production",
                 "/mail": "development tools (the outbox), never served in production"}
SKIP_SUFFIXES = {".csv": "downloads, not pages", ".jpg": "providers' photos: images, not pages"}
# Routes that only answer with an emailed token: a wrong one shows the link's problem page,
# which is what a person with an old link sees.
TOKEN_ARGS = {"token"}


@pytest.fixture(scope="module")
def world(app, live_server):
    """A member in the insurance program with a paid session, a payout statement, a client's
    consultation request, match request and paid invoice, an application to join, and a
    team member of each role; returns what the routes' parameters are filled from."""
    def people():
        local_sandbox(app).reset()
        factories.operate_in("CA")
        pia = factories.provider(first_name="Pia", last_name="Phone", email=PIA)
        User.create(email=PIA, name=pia.full_name, provider=pia,
                    password_hash=passwords.hash_password(PASSWORD))
        Membership.create(provider=pia, fee_cents=12500, billing_day=5,
                          started_on=today() - datetime.timedelta(days=60))
        for role in TEAM_ROLES:
            User.create(email=f"{role}.phone@alma.example", name=f"{role.title()} Phone",
                        roles=role, password_hash=passwords.hash_password(PASSWORD))
        staff = User.get(User.email == "credentialing.phone@alma.example")
        start = datetime.datetime.combine(today() - datetime.timedelta(days=40),
                                          datetime.time(15))
        with time_machine.travel(start, tick=False):
            approve_all(enrol(pia), staff, today())
            waiting = factories.provider(first_name="Wren", last_name="Waiting")
            enrol(waiting)  # a credentialing case still open
        program_client = move_in(pia, member_id="ALMA-ACTIVE-COPAY", email=CLIENT)
        held = today() - datetime.timedelta(days=7)
        checked(app, program_client, datetime.datetime.combine(
            held - datetime.timedelta(days=3), datetime.time(15)))
        sessions.log_visit(pia, program_client, held, "90834", True, "attended")
        run_clearinghouse(polls=2)
        pay_on = statements.pay_day(statements.period_of(today())[1])
        with time_machine.travel(datetime.datetime.combine(
                pay_on, datetime.time(2), tzinfo=datetime.timezone.utc), tick=False):
            statements.run()
        return pia

    pia = in_app(app, people)
    http = app.test_client()
    submit(http, pia, email=CLIENT, name="Sam Phone")
    page = http.get("/join")
    http.post("/join", data=application_data(page, email="robin.phone@example.org"))

    def the_rest():
        request = ConsultationRequest.get(ConsultationRequest.provider == pia.id)
        match = matching.from_consultation(request, "not_a_fit")
        invoice = billing.issue("copay", [("Session, 50 minutes", 1, 15000)],
                                due_on=today() + datetime.timedelta(days=14),
                                owed_by_client=request.client)
        payment, _ = billing.record_payment(invoice, 15000, "local", "local_phone_paid")
        claim = Claim.select().order_by(Claim.id).first()
        statement = PayoutStatement.select().order_by(PayoutStatement.id).first()
        paid = ClaimPayment.get(ClaimPayment.claim == claim.id)
        estimate, bill = self_pay(pia)
        return {
            "request_id": request.id, "match_id": match.id, "number": invoice.number,
            "payment_id": payment.id, "claim_id": claim.id, "visit_id": claim.visit_id,
            "statement_id": statement.id, "remittance_id": paid.remittance_id,
            "case_id": CredentialingCase.select().order_by(CredentialingCase.id).first().id,
            "application_id": MembershipApplication.select().first().id,
            "user_id": User.get(User.email == "matching.phone@alma.example").id,
            "slug": pia.slug, "day": today().isoformat(), "code": "CA",
            "provider_id": pia.id, "invoice_id": invoice.id,
            "spc_id": estimate.self_pay_client_id, "estimate_id": estimate.id,
            "bill_id": bill.id,
        }

    data = in_app(app, the_rest)
    yield data
    local_sandbox(app).reset()


def self_pay(pia):
    """Sam, paying Pia themselves: a good-faith estimate, a session and a superbill."""
    selfpay.save_details(pia, selfpay_helpers.DETAILS)
    spc = selfpay_helpers.client_with_dob(pia, email=CLIENT)
    estimate = selfpay.issue_estimate(spc, selfpay_helpers.estimate_values(),
                                      selfpay_helpers.key())
    selfpay.log_session(spc, selfpay_helpers.session_values(), selfpay_helpers.key())
    bill = selfpay.make_superbill(spc, today(), today(), selfpay_helpers.key())
    return estimate, bill


# --- The pages -------------------------------------------------------------------------

def _skipped(rule):
    if rule.endpoint in SKIP:
        return SKIP[rule.endpoint]
    for prefix, reason in SKIP_PREFIXES.items():
        if rule.rule == prefix or rule.rule.startswith(prefix + "/"):
            return reason
    for suffix, reason in SKIP_SUFFIXES.items():
        if rule.rule.endswith(suffix):
            return reason
    return None


def pages(app, world):
    """Every GET page's path, with its parameters filled; fails on a route it can't fill."""
    found, unfilled = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or _skipped(rule):
            continue
        values = {}
        for name in rule.arguments:
            if name in TOKEN_ARGS:
                values[name] = BAD_TOKEN
            elif name in world:
                values[name] = world[name]
        if set(values) != set(rule.arguments):
            unfilled.append(rule.rule)
            continue
        found.append(rule.build(values, append_unknown=False)[1])
    assert not unfilled, ("Fill these routes' parameters in `world`, or add them to SKIP "
                          f"with a reason: {unfilled}")
    return found


def pages_for(persona, paths):
    """The paths worth visiting as `persona` (the others would send them to sign in)."""
    signed_in_only = ("/team", "/practice", "/inbox", "/account")
    if persona in ("visitor", "client"):
        return [p for p in paths if not p.startswith(signed_in_only)]
    if persona == "provider":
        return [p for p in paths if p.startswith(("/practice", "/inbox", "/account"))
                or p in ("/", "/benefits")]
    return [p for p in paths if p.startswith(("/team", "/account")) or p == "/"]


def client_links(world):
    """New links, as our emails carry, to the client's match, request and invoice."""
    return [f"/match/link/{links.create(MATCH_LINK, world['match_id'], CLIENT_LINK_TTL)}",
            f"/requests/link/{links.create(CLIENT_LINK, world['request_id'], CLIENT_LINK_TTL)}",
            f"/billing/link/{links.create(INVOICE_LINK, world['invoice_id'], CLIENT_LINK_TTL)}",
            f"/self-pay/estimates/link/"
            f"{links.create(selfpay.ESTIMATE_LINK, world['estimate_id'], CLIENT_LINK_TTL)}",
            f"/self-pay/superbills/link/"
            f"{links.create(selfpay.SUPERBILL_LINK, world['bill_id'], CLIENT_LINK_TTL)}"]


def sign_in(app, page, persona, world):
    if persona == "visitor":
        return
    if persona == "client":
        # As a client does: through the links in our emails (each spent in this browser).
        for link in in_app(app, lambda: client_links(world)):
            page.goto(link)
            if "/link/" in page.url:  # else this browser is known already: no need
                page.locator("main form button[type=submit]").first.click()
            expect(page.locator("h1")).to_be_visible()
        return
    page.goto("/sign-in")
    email = PIA if persona == "provider" else f"{persona}.phone@alma.example"
    page.get_by_label("Email", exact=True).first.fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out").or_(
        page.get_by_text("Sign out")).first).to_be_attached()


# How far a page scrolls sideways, and whether the header's links sit on one line, each
# unbroken: the visible links, buttons and summaries of the header.
MEASURE = """() => {
  const seen = [...document.querySelectorAll('.site-header a, .site-header button,'
                                             + ' .site-header summary')]
    .filter(e => { const r = e.getBoundingClientRect();
                   return e.checkVisibility({visibilityProperty: true}) && r.width > 0
                     && r.height > 0 && r.right > 0; });
  const lines = e => { const range = document.createRange(); range.selectNodeContents(e);
    return new Set([...range.getClientRects()].filter(r => r.width > 0)
                   .map(r => Math.round(r.top))).size; };
  const middles = seen.map(e => { const r = e.getBoundingClientRect();
                                  return (r.top + r.bottom) / 2; });
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    broken: seen.filter(e => lines(e) > 1).map(e => e.textContent.trim()),
    rows: middles.length ? Math.max(...middles) - Math.min(...middles) : 0,
    items: seen.map(e => e.textContent.trim()),
  };
}"""


def measure(page):
    return page.evaluate(MEASURE)


def visit_all(app, world, new_context, width, java_script=True):
    """Visit each persona's pages at `width`; returns (measured, problems)."""
    paths = pages(app, world)
    measured, problems = {}, []
    for persona in PERSONAS:
        context = new_context(viewport={"width": width, "height": 800},
                              java_script_enabled=java_script)
        page = context.new_page()
        sign_in(app, page, persona, world)
        for path in pages_for(persona, paths):
            response = page.goto(path)
            if response.status not in (200, 410) or not page.url.endswith(path):
                continue  # not this persona's page (sent to sign in, or not found)
            found = measure(page)
            measured.setdefault(path, []).append(persona)
            if found["overflow"] > 0:
                problems.append(f"{persona} {path}: {found['overflow']} px too wide")
            if found["broken"] or found["rows"] > 12:
                problems.append(f"{persona} {path}: the header wraps {found}")
        context.close()
    return measured, problems


def test_every_route_is_a_page_here_or_skipped_with_its_reason(app, world):
    paths = pages(app, world)
    assert "/team/billing" in paths and "/practice/sessions" in paths
    assert not any(p.startswith("/dev") or p.endswith(".csv") for p in paths)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways_and_the_navigation_fits(
        app, world, new_context, page_problems, width):
    page_problems.allow(r"status of 4(01|03|04|10)", "old links and others' objects answer so")
    measured, problems = visit_all(app, world, new_context, width)
    assert not problems, "\n".join(problems)
    # Each role saw its own pages, so the check above wasn't vacuous.
    for path in pages(app, world):
        if path.startswith(("/team", "/practice", "/inbox")) and BAD_TOKEN not in path:
            assert path in measured, f"nobody could open {path}"
    assert "client" in measured[f"/billing/invoices/{world['number']}"]
    assert "client" in measured[f"/match/{world['match_id']}"]
    assert "growth" in measured["/team/applications"]
    assert "provider" in measured["/practice/payouts"]
    assert "client" in measured[f"/self-pay/superbills/{world['bill_id']}"]
    assert "provider" in measured[f"/practice/self-pay/clients/{world['spc_id']}"]


def test_without_javascript_the_menu_opens_from_the_keyboard_and_every_page_fits(
        app, world, new_context, page_problems):
    page_problems.allow(r"status of 4(01|03|04|10)", "old links and others' objects answer so")
    page = new_context(viewport={"width": 360, "height": 800},
                       java_script_enabled=False).new_page()
    page.goto("/benefits")
    menu = page.locator(".site-header summary")
    expect(menu).to_be_visible()
    sign_in_link = page.get_by_role("link", name="Sign in")
    expect(sign_in_link).to_be_hidden()
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(sign_in_link).to_be_visible()
    found = measure(page)
    assert found["overflow"] <= 0 and not found["broken"], found
    sign_in_link.click()
    expect(page.locator("h1")).to_contain_text("Sign in")

    measured, problems = visit_all(app, world, new_context, 360, java_script=False)
    assert not problems, "\n".join(problems)
    assert "/team/claims" in measured and "/practice/insurance" in measured


def test_the_open_menu_is_accessible_and_closes_again(new_context):
    page = new_context(viewport={"width": 360, "height": 800}).new_page()
    page.goto("/join")
    menu = page.locator(".site-header summary")
    menu.click()
    expect(page.get_by_role("link", name="For therapists")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SCREENS / "phones-menu-open-360.png"))
    menu.click()
    expect(page.get_by_role("link", name="For therapists")).to_be_hidden()


@pytest.mark.parametrize("width", WIDTHS)
def test_screens_of_the_team_and_practice_pages(app, world, new_context, width):
    """Pictures for people to look at (tests/browser/screens/), each page axe-clean."""
    shots = {"provider": ["/practice/sessions", "/practice/payouts", "/practice/billing",
                          "/inbox"],
             "billing": ["/team/billing/money", f"/team/billing/invoices/{world['number']}",
                         "/team/claims"],
             "admin": ["/team", "/team/members", "/team/states"],
             "growth": ["/team/applications", f"/team/applications/{world['application_id']}"],
             "visitor": ["/match", "/join", "/benefits", "/sign-in"],
             "client": [f"/requests/{world['request_id']}"]}
    SCREENS.mkdir(exist_ok=True)
    for persona, paths in shots.items():
        page = new_context(viewport={"width": width, "height": 800}).new_page()
        sign_in(app, page, persona, world)
        for path in paths:
            page.goto(path)
            assert_accessible(page)
            name = path.strip("/").replace("/", "-") or "home"
            page.screenshot(path=str(SCREENS / f"phones-{name}-{width}.png"), full_page=True)
