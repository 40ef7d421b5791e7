"""The insurance program's money, end to end, in Chromium and real worker processes.

A therapist logs a session; `flask jobs run submit-claims` sends its claim to the sandbox
clearinghouse and `read-claim-reports` reads its 999, 277CA and 835: the plan applied 30%
coinsurance where we estimated the $25 copay, so the client owes $12.50 more. The billing
team reviews and approves it; the client opens the explanation from the email and pays;
`provider-payouts` makes the next statement, which shows the session at the therapist's
rate; the billing team follows its line to the claim, the remittance, the session and the
client's invoices, one click each. Amounts are checked in cents on the way.
"""
import datetime
import os
import subprocess
import sys

import pytest
import time_machine
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.benefits import checks
from alma.billing.gateways import LocalGateway
from alma.billing.models import Invoice
from alma.claims.clearinghouse import local_sandbox
from alma.claims.models import Claim
from alma.claims.reconcile_models import ShareReconciliation
from alma.clock import today, utcnow
from alma.payouts import statements
from alma.payouts.models import PayoutLine, PayoutStatement
from tests import factories
from tests.browser.support import HERE, SCREENS, assert_accessible, in_app, link_from
from tests.program.helpers import approve_all, enrol, move_in

ROOT = HERE.parents[1]
PASSWORD = "a long and memorable passphrase"
MO = "mo.money@example.org"
BEA = "bea.books@alma.example"
CLIENT = "cam.coinsured@example.org"
MEMBER = "ALMA-ACTIVE-COPAY-COINSURANCE"  # the sandbox: 30% coinsurance (PR-2), not the copay


@pytest.fixture(scope="module")
def mo(app, live_server):
    """A therapist in network with UnitedHealthcare (through Optum), a client whose benefits
    were checked a week ago, and a member of the billing team."""
    def make():
        factories.operate_in("CA")
        provider = factories.provider(first_name="Mo", last_name="Money", email=MO)
        User.create(email=MO, name=provider.full_name, provider=provider,
                    password_hash=passwords.hash_password(PASSWORD))
        User.create(email=BEA, name="Bea Books", roles="billing",
                    password_hash=passwords.hash_password(PASSWORD))
        staff = User.create(email="cred.money@alma.example", name="Cred", roles="credentialing")
        approve_all(enrol(provider), staff, today() - datetime.timedelta(days=30))
        client = move_in(provider, member_id=MEMBER, email=CLIENT)
        with time_machine.travel(utcnow() - datetime.timedelta(days=7), tick=False):
            checks.check_for_program_client(client)
        return provider
    local_sandbox(app).reset()
    yield in_app(app, make)  # the browser suite's clean-up deletes what this committed
    local_sandbox(app).reset()


def run_job(app, name, at=None):
    """`flask jobs run NAME` in a process of its own, as the worker runs it, on the suite's
    clock (or at `at`), against the live server's database and sandbox clearinghouse."""
    moment = (at or utcnow()).replace(tzinfo=datetime.timezone.utc).isoformat()
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"],
           "SECRET_KEY": "money-path-test", "ALMA_CLAIMS_GATEWAY": "sandbox",
           "ALMA_CLAIMS_SANDBOX_PATH": app.config["CLAIMS_SANDBOX_PATH"],
           "ALMA_PAYMENT_GATEWAY": "local"}
    done = subprocess.run([sys.executable, "-m", "tests.clocked", moment, "--app", "app",
                           "jobs", "run", name], cwd=ROOT, env=env, capture_output=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr.decode()
    return int(done.stdout.decode().strip().rsplit(":", 1)[-1])


def sign_in(page, email):
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).first.fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def screenshots(page, name):
    """The page at 1280 and at 360 CSS pixels wide, whole, for a person to look at."""
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def claim_facts():
    claim = Claim.get()
    return (claim.status, claim.charge_cents, claim.patient_share_cents, claim.paid_cents,
            Invoice.get_by_id(claim.visit.invoice_id).total_cents)


def test_a_session_goes_from_logged_to_a_raised_share_paid_to_the_payout_statement(
        app, new_context, deliver_all, mailbox, mo):
    mailbox.clear()
    # Mo logs the session; the claim is made at the group's rate, the copay invoiced.
    mo_page = new_context().new_page()
    sign_in(mo_page, MO)
    mo_page.goto("/practice/sessions")
    mo_page.get_by_label("Client").select_option(label="Sam Rivera (UnitedHealthcare)")
    mo_page.get_by_label("Date of the session").fill(today().isoformat())
    mo_page.get_by_label("By telehealth").check()
    mo_page.get_by_role("button", name="Log session").click()
    expect(mo_page.locator(".flash")).to_contain_text("Claim for $125 made")
    expect(mo_page.locator(".flash")).to_contain_text("the client was invoiced $25 (copay)")
    assert in_app(app, claim_facts) == ("ready", 12500, 2500, None, 2500)

    # The worker sends it; the clearinghouse's 999 and 277CA, then its 835, come back.
    assert run_job(app, "submit-claims") == 1
    assert run_job(app, "submit-claims") == 0  # sent once, however often the job runs
    for _ in range(3):
        run_job(app, "read-claim-reports")
    assert in_app(app, claim_facts) == ("paid", 12500, 2500, 8750, 2500)
    claim = in_app(app, Claim.get)
    row = in_app(app, lambda: ShareReconciliation.get())
    assert (row.billed_cents, row.owed_cents, row.difference_cents) == (2500, 3750, 1250)
    assert row.review_status == "pending" and row.additional_invoice_id is None
    mo_page.goto("/practice/sessions")
    expect(mo_page.locator("main")).to_contain_text("Paid")

    # Bea, of the billing team, reviews the raised share and approves the new invoice.
    bea = new_context().new_page()
    sign_in(bea, BEA)
    bea.goto("/team")
    bea.get_by_role("link", name="Client share reviews").click()
    review = bea.locator(f"#review-{row.id}")
    expect(review).to_contain_text("$12.50 more")
    expect(review).to_contain_text("PR-2")
    assert_accessible(bea)
    review.get_by_role("button", name="Approve: invoice $12.50").click()
    expect(bea.locator(".flash")).to_contain_text("for the difference")
    expect(bea.locator("main")).to_contain_text("Nothing is waiting for review")
    extra = in_app(app, lambda: ShareReconciliation.get().additional_invoice)
    assert (extra.total_cents, extra.status) == (1250, "open")

    # The client gets one email, with the explanation, opens it and pays the difference.
    mail = deliver_all()
    emails = [m for m in mail.to(CLIENT) if "more for" in m["Subject"]]
    assert len(emails) == 1, [m["Subject"] for m in mail.to(CLIENT)]
    assert "$12.50" in emails[0]["Subject"]
    cam = new_context().new_page()
    cam.goto(link_from(emails[0], "/claims/explanations/link/"))
    cam.get_by_role("button", name="Open the explanation").click()
    main = cam.locator("main")
    expect(cam.get_by_role("heading", level=1)).to_have_text("Why your bill changed")
    expect(main).to_contain_text("your plan decided you owe $37.50")
    expect(main).to_contain_text("We had estimated $25")
    expect(main).to_contain_text("The session was charged at $125. Your plan paid $87.50")
    expect(main).to_contain_text("PR-2: your plan's coinsurance")
    expect(main).to_contain_text("We invoiced you $25")
    expect(main).to_contain_text("ask UnitedHealthcare about claim SB")
    assert_accessible(cam)
    screenshots(cam, "money-path-explanation")
    cam.get_by_role("button", name="Pay $12.50").click()
    cam.get_by_label("Card number").fill(LocalGateway.TEST_CARD)
    cam.get_by_role("button", name="Pay $12.50").click()
    expect(cam.locator(".status-badge")).to_have_text("Paid")
    cam.get_by_role("link", name="Why this bill").click()
    expect(cam.locator("main")).to_contain_text("Paid: thank you.")
    assert in_app(app, lambda: Invoice.get_by_id(extra.id).status) == "paid"

    # Before the period ends, Mo sees the session coming, at Mo's rate.
    start, end = statements.period_of(today())
    pay_on = statements.pay_day(end)
    mo_page.get_by_role("link", name="Payouts").click()
    coming = mo_page.locator("section", has_text="Coming on")
    expect(coming).to_contain_text(f"Coming on {pay_on:%B} {pay_on.day}, {pay_on.year}")
    expect(coming).to_contain_text("Session 90834")
    expect(coming).to_contain_text("your rate $100")

    # The day after the period ends, the worker makes the statement and emails it.
    moment = datetime.datetime.combine(pay_on, datetime.time(2))
    assert run_job(app, "provider-payouts", at=moment) == 2  # opened and made: no bank yet
    assert run_job(app, "provider-payouts", at=moment) == 0  # one statement, made once
    line = in_app(app, lambda: PayoutLine.get())
    assert (line.kind, line.amount_cents, line.visit_id) == ("session", 10000, claim.visit_id)
    # That morning (the job's process had its clock ticking: a minute later) the mail goes,
    # and Mo, signed out since, opens the statement from it.
    with time_machine.travel(moment.replace(tzinfo=datetime.timezone.utc)
                             + datetime.timedelta(minutes=1), tick=True):
        mail = deliver_all()
        [email] = [m for m in mail.to(MO) if "payout statement" in m["Subject"]]
        the_payout_statement_shows_the_session(new_context(), link_from(email, "/practice/"),
                                               start)
        bea_follows_the_line_to_its_sources(app, new_context(), claim, extra)


def the_payout_statement_shows_the_session(context, statement_path, start):
    mo_page = context.new_page()
    sign_in(mo_page, MO)
    mo_page.goto(statement_path)
    expect(mo_page.locator("h1")).to_contain_text("Payout statement")
    row = mo_page.locator("tbody tr", has_text="Session 90834")
    expect(row).to_contain_text("Session paid")
    expect(row).to_contain_text("$100")
    expect(mo_page.locator("tfoot")).to_contain_text("$100")
    assert_accessible(mo_page)
    mo_page.get_by_role("link", name="Payouts").click()
    period = mo_page.locator("tr", has_text=f"{start:%b} {start.day} –")
    expect(period).to_contain_text("$100")
    expect(period).to_contain_text("Waiting for bank details")
    expect(mo_page.locator("section", has_text="Coming on")).not_to_contain_text("Session 90834")
    assert_accessible(mo_page)
    screenshots(mo_page, "money-path-practice-payouts")


def bea_follows_the_line_to_its_sources(app, context, claim, extra):
    """The payout line, then its claim, its 835, its session and each invoice of the
    client's for the session: one click each."""
    bea = context.new_page()
    sign_in(bea, BEA)
    bea.goto("/team")
    bea.get_by_role("link", name="Payouts").click()
    bea.get_by_role("link", name="Mo Money").click()
    expect(bea.locator("h1")).to_contain_text("Payout statement")
    expect(bea.locator("tbody")).to_contain_text("$100")
    assert_accessible(bea)
    statement_url = bea.url
    copay = in_app(app, lambda: Invoice.get_by_id(claim.visit.invoice_id))

    bea.get_by_role("link", name=f"Claim {claim.patient_control_number}").click()
    main = bea.locator("main")
    expect(main).to_contain_text("UnitedHealthcare paid $87.50; the client's share is $37.50")
    expect(main).to_contain_text("Charged$125; client's share estimated $25")
    expect(main).to_contain_text("Insurer paid$87.50")
    expect(main).to_contain_text("paid $87.50, client owes $37.50")
    invoices = bea.locator("#invoice + ul")
    expect(invoices).to_contain_text(f"Invoice {copay.number} (Copay): $25")
    expect(invoices).to_contain_text(f"Invoice {extra.number} (Coinsurance): $12.50")
    expect(invoices).to_contain_text("paid")
    assert_accessible(bea)
    bea.screenshot(path=str(SCREENS / "money-path-team-claim.png"), full_page=True)

    trace = in_app(app, lambda: PayoutLine.get().remittance.trace_number)
    bea.goto(statement_url)
    bea.get_by_role("link", name=f"835 {trace}").click()
    expect(bea.locator("h1")).to_contain_text(trace)
    expect(bea.locator("main")).to_contain_text(claim.patient_control_number)

    bea.goto(statement_url)
    bea.get_by_role("link", name="Session").click()
    expect(bea.locator("h1")).to_contain_text("Session on")
    expect(bea.locator("main")).to_contain_text("Sam Rivera (UnitedHealthcare)")
    expect(bea.locator("#invoices + ul")).to_contain_text(extra.number)
    assert_accessible(bea)

    for invoice, total in ((copay, "$25"), (extra, "$12.50")):
        bea.goto(statement_url)
        bea.get_by_role("link", name=f"Invoice {invoice.number}").click()
        expect(bea.locator("h1")).to_contain_text(invoice.number)
        expect(bea.locator("main")).to_contain_text(total)
    expect(bea.locator("main")).to_contain_text("Paid")
    assert in_app(app, lambda: PayoutStatement.get().total_cents) == 10000
