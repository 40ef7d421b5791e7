"""Provider payouts in Chromium: a session logged, its claim sent and paid through the
sandbox clearinghouse by the real jobs, the session on /practice/payouts as what is coming,
then on the next statement, by page and by email."""
import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.benefits import checks
from alma.claims import jobs as claim_jobs
from alma.claims.clearinghouse import local_sandbox
from alma.claims.models import Claim
from alma.clock import today, utcnow
from alma.payouts import statements
from alma.payouts.models import PayoutLine
from tests import factories
from tests.browser.support import SCREENS, assert_accessible, in_app, link_from
from tests.program.helpers import approve_all, enrol, move_in

PASSWORD = "a long and memorable passphrase"
PIA = "pia.payee@example.org"
BILL = "bill.ing@alma.example"


@pytest.fixture(scope="module")
def pia(app, live_server):
    def make():
        factories.operate_in("CA")
        provider = factories.provider(first_name="Pia", last_name="Payee", email=PIA)
        User.create(email=PIA, name=provider.full_name, provider=provider,
                    password_hash=passwords.hash_password(PASSWORD))
        User.create(email=BILL, name="Bill Ing", roles="billing",
                    password_hash=passwords.hash_password(PASSWORD))
        staff = User.create(email="cred.payouts@alma.example", name="Cred", roles="credentialing")
        approve_all(enrol(provider), staff, today())
        client = move_in(provider, member_id="ALMA-ACTIVE-COPAY", email="pat.payout@example.org")
        with time_machine.travel(utcnow() - datetime.timedelta(days=7), tick=False):
            checks.check_for_program_client(client)  # a week before the session
        return provider
    local_sandbox(app).reset()
    yield in_app(app, make)  # the browser suite's clean-up deletes what this committed
    local_sandbox(app).reset()


def sign_in(page, email):
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).first.fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_paid_session_shows_as_coming_then_on_the_next_statement(
        app, new_context, pia, deliver_all, mailbox):
    mailbox.clear()
    page = new_context().new_page()
    sign_in(page, PIA)
    page.goto("/practice/sessions")
    page.get_by_label("Client").select_option(label="Sam Rivera (UnitedHealthcare)")
    page.get_by_label("Date of the session").fill(today().isoformat())
    page.get_by_label("By telehealth").check()
    page.get_by_role("button", name="Log session").click()
    expect(page.locator(".flash")).to_contain_text("Claim for $125 made")

    # The worker's jobs: the claim goes out, its 999 and 277CA, then its 835, come back.
    def send_and_read():
        claim_jobs.submit_claims()
        claim_jobs.poll_reports()
        claim_jobs.poll_reports()
        return Claim.get().status
    assert in_app(app, send_and_read) == "paid"
    page.goto("/practice/sessions")
    expect(page.locator("main")).to_contain_text("Paid")

    page.get_by_role("link", name="Payouts").click()
    start, end = statements.period_of(today())
    pay_on = statements.pay_day(end)
    coming = page.locator("section", has_text="Coming on")
    expect(coming).to_contain_text(f"Coming on {pay_on:%B} {pay_on.day}, {pay_on.year}")
    expect(coming).to_contain_text("Session 90834")
    expect(coming).to_contain_text("your rate $100")
    assert_accessible(page)

    # The day after the period ends, the worker makes the statement.
    moment = datetime.datetime.combine(pay_on, datetime.time(2), tzinfo=datetime.timezone.utc)
    with time_machine.travel(moment, tick=False):
        assert in_app(app, statements.run) == 2  # opened and made (no bank details yet)
        mailbox = deliver_all()  # its email goes, as the worker would send it then
    page.goto("/practice/payouts")
    row = page.locator("tr", has_text=f"{start:%b} {start.day} –")
    expect(row).to_contain_text("Waiting for bank details")
    row.get_by_role("link", name="See statement").click()
    expect(page.locator("h1")).to_contain_text("Payout statement")
    expect(page.locator("tbody")).to_contain_text("Session paid")
    expect(page.locator("tbody")).to_contain_text("Session 90834")
    expect(page.locator("tfoot")).to_contain_text("$100")
    assert_accessible(page)
    page.screenshot(path=str(SCREENS / "practice-payout-statement.png"), full_page=True)

    [email] = [m for m in mailbox.to(PIA) if "payout statement" in m["Subject"]]
    statement_page = link_from(email, "/practice/payouts/")
    page.goto(statement_page)
    expect(page.locator("tbody")).to_contain_text("Session paid")
    page.goto("/practice/payouts")
    page.screenshot(path=str(SCREENS / "practice-payouts.png"), full_page=True)

    # The billing team follows the line to its claim, its remittance and its session.
    team = new_context().new_page()
    sign_in(team, BILL)
    team.goto("/team")
    team.get_by_role("link", name="Payouts").click()
    team.get_by_role("link", name="Pia Payee").click()
    expect(team.locator("h1")).to_contain_text("Payout statement")
    assert_accessible(team)
    team.screenshot(path=str(SCREENS / "team-payout-statement.png"), full_page=True)
    trace = in_app(app, lambda: PayoutLine.get().remittance.trace_number)
    team.get_by_role("link", name=f"835 {trace}").click()
    expect(team.locator("h1")).to_contain_text(trace)
    team.go_back()
    team.get_by_role("link", name="Claim AL").click()
    expect(team.locator("main")).to_contain_text(f"835 trace {trace}")
    expect(team.locator("#invoice + ul")).to_contain_text("Copay")
    team.go_back()
    team.get_by_role("link", name="Session").click()
    expect(team.locator("main")).to_contain_text("Sam Rivera")
    assert_accessible(team)
