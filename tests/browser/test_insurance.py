"""The insurance program in Chromium, as the issue's "done when" has it.

A therapist enrols (free), the credentialing team approves her with Optum, a client checks
their UnitedHealthcare benefits and sees their cost per session in the directory, the
therapist moves the client in and logs a session, the client pays the copay from the
emailed invoice, and the therapist opts out with 30 days' notice. Every email arrives once.
"""
import datetime
from collections import Counter

import pytest
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.benefits.models import EligibilityCheck
from alma.billing.gateways import LocalGateway
from alma.clock import today
from alma.program import credentialing, opting_out
from tests import factories
from tests.browser.support import SCREENS, assert_accessible, in_app, link_from

PASSWORD = "a long and memorable passphrase"
NORA = "nora.insured@example.org"
SAM = "sam.rivera@example.org"
CASEY = "casey.credentialing@alma.example"


@pytest.fixture(scope="module")
def people(app, live_server):
    def make():
        factories.operate_in("CA")
        nora = factories.provider(first_name="Nora", last_name="Insured", email=NORA,
                                  license_type="LMFT")
        User.create(email=NORA, name=nora.full_name, provider=nora,
                    password_hash=passwords.hash_password(PASSWORD))
        User.create(email=CASEY, name="Casey Cred", roles="credentialing",
                    password_hash=passwords.hash_password(PASSWORD))
        return nora
    return in_app(app, make)


def sign_in(page, email):
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).first.fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_enrol_credential_check_benefits_log_a_session_pay_the_copay_and_opt_out(
        app, new_context, deliver_all, mailbox, people, page_problems):
    page_problems.allow(r"status of 422", "the enrol form answers 422 when a box is missing")
    mailbox.clear()
    nora = new_context().new_page()
    sign_in(nora, NORA)
    nora.goto("/practice/insurance")
    expect(nora.locator("main")).to_contain_text("No fee: it's included with your membership")
    nora.get_by_label("CAQH ProView ID").fill("12345678")
    nora.get_by_label("Date you last attested in CAQH").fill(
        (today() - datetime.timedelta(days=20)).isoformat())
    nora.get_by_label("Malpractice insurance carrier").fill("CPH & Associates")
    nora.get_by_label("Malpractice cover ends on").fill(
        (today() + datetime.timedelta(days=300)).isoformat())
    nora.get_by_role("button", name="Enrol, free").click()
    expect(nora.locator(".problems")).to_contain_text("confirm the attestation")
    expect(nora.get_by_label("Malpractice insurance carrier")).to_have_value("CPH & Associates")
    nora.get_by_label("I attest").check()
    nora.get_by_role("button", name="Enrol, free").click()
    expect(nora.locator(".flash")).to_contain_text("You're enrolled")
    expect(nora.locator("main")).to_contain_text("Being credentialed")
    assert_accessible(nora)

    # The credentialing team works the Optum case and approves it.
    team = new_context().new_page()
    sign_in(team, CASEY)
    team.goto("/team/credentialing")
    expect(team.locator("main")).to_contain_text("Nora Insured")
    assert_accessible(team)
    team.locator("tr", has_text="Optum").get_by_role("link", name="Nora Insured").click()
    for label in credentialing.CHECKLIST.values():
        team.get_by_label(label).check()
    team.get_by_role("button", name="Save checklist").click()
    expect(team.locator(".flash")).to_contain_text("Checklist saved")
    team.get_by_label("In network from").fill(today().isoformat())
    assert_accessible(team)
    team.get_by_role("button", name="Approve").click()
    expect(team.locator(".flash")).to_contain_text("in network with Optum")

    # A client checks their UnitedHealthcare benefits and sees the cost in the directory.
    client = new_context().new_page()
    client.goto("/providers?state=CA&q=Insured")
    client.get_by_role("link", name="Nora Insured").click()
    client.get_by_role("link", name="Check your insurance benefits").click()
    client.get_by_label("Your insurance").select_option("unitedhealthcare")
    client.get_by_label("Member ID").fill("ALMA-ACTIVE-COPAY")
    client.get_by_label("First name").fill("Sam")
    client.get_by_label("Last name").fill("Rivera")
    client.get_by_label("Date of birth").fill("1990-04-02")
    client.get_by_role("button", name="Check my benefits").click()
    expect(client.get_by_role("heading", level=2).first).to_have_text(
        "A session will cost you about $25")
    expect(client.locator("main")).to_contain_text("A firm estimate")
    assert_accessible(client)
    client.screenshot(path=str(SCREENS / "benefits-result.png"), full_page=True)
    client.get_by_role("link", name="Back to the therapist").click()
    expect(client.locator("main")).to_contain_text("$25 a session with your UnitedHealthcare")
    client.goto("/providers?state=CA&payment=unitedhealthcare&q=Insured")
    card = client.locator("li.card", has_text="Nora Insured")
    expect(card).to_contain_text("Your cost")
    expect(card).to_contain_text("$25 a session (a firm estimate)")
    assert_accessible(client)
    client.screenshot(path=str(SCREENS / "directory-cost.png"), full_page=True)

    # Nora moves Sam in (no account needed), with their benefits checked at once.
    nora.goto("/practice/insurance")
    nora.get_by_label("First name (as on their insurance card)").fill("Sam")
    nora.get_by_label("Last name").fill("Rivera")
    nora.get_by_label("Date of birth").fill("1990-04-02")
    nora.get_by_label("Client's email").fill(SAM)
    nora.get_by_label("Insurance", exact=True).select_option(label="UnitedHealthcare")
    nora.get_by_label("Member ID").fill("ALMA-ACTIVE-COPAY")
    nora.get_by_label("Street address").fill("12 Elm St")
    nora.get_by_label("City").fill("Oakland")
    nora.get_by_label("State", exact=True).select_option("CA")
    nora.get_by_label("Zip code").fill("94607")
    nora.get_by_label("Primary diagnosis (ICD-10)").fill("F41.1")
    nora.get_by_role("button", name="Add to the program").click()
    expect(nora.locator(".flash")).to_contain_text("about $25 a session")
    assert_accessible(nora)
    nora.screenshot(path=str(SCREENS / "practice-insurance.png"), full_page=True)

    # A week later (the check stands a business day before the session), Nora logs it.
    def a_week_ago():
        for check in EligibilityCheck.select().where(EligibilityCheck.program_client.is_null(
                False)):
            check.checked_at -= datetime.timedelta(days=7)
            check.save()
    in_app(app, a_week_ago)
    nora.goto("/practice/sessions")
    nora.get_by_label("Client").select_option(label="Sam Rivera (UnitedHealthcare)")
    nora.get_by_label("Date of the session").fill(today().isoformat())
    nora.get_by_label("By telehealth").check()
    nora.get_by_role("button", name="Log session").click()
    expect(nora.locator(".flash")).to_contain_text("the client was invoiced $25 (copay)")
    assert_accessible(nora)
    nora.screenshot(path=str(SCREENS / "practice-sessions.png"), full_page=True)

    # Sam pays the copay from the email, with no account.
    mailbox = deliver_all()
    subjects = [m["Subject"] for m in mailbox.to(SAM)]
    assert any("now go through Alma" in s for s in subjects), subjects
    (invoice_email,) = [m for m in mailbox.to(SAM) if m["Subject"].startswith("Invoice")]
    sam = new_context().new_page()
    sam.goto(link_from(invoice_email, "/billing/link/"))
    sam.get_by_role("button", name="Open my invoice").click()
    expect(sam.locator("main")).to_contain_text("Copay")
    sam.get_by_role("button", name="Pay $25").click()
    sam.get_by_label("Card number").fill(LocalGateway.TEST_CARD)
    sam.get_by_role("button", name="Pay $25").click()
    expect(sam.locator(".status-badge")).to_have_text("Paid")

    # Nora opts out: the page says when, and that nothing changes until then.
    nora.goto("/practice/insurance")
    nora.get_by_role("button", name="See what leaving means").click()
    effective = today() + datetime.timedelta(days=30)
    expect(nora.locator("main")).to_contain_text(f"{effective:%B} {effective.day}, "
                                                 f"{effective.year}")
    expect(nora.locator("main")).to_contain_text("Until then nothing changes")
    nora.get_by_role("button", name="Give notice").click()
    expect(nora.locator(".flash")).to_contain_text("Notice given")
    client.goto("/providers?state=CA&payment=unitedhealthcare&q=Insured")
    expect(client.locator("li.card", has_text="Nora Insured")).to_have_count(1)

    # Thirty days on, the worker ends the networks and tells Nora and Sam.
    assert in_app(app, lambda: opting_out.end_opted_out(on=effective)) == 1
    client.goto("/providers?state=CA&payment=unitedhealthcare&q=Insured")
    expect(client.locator("li.card", has_text="Nora Insured")).to_have_count(0)

    mailbox = deliver_all()
    counts = Counter((m["To"], m["Subject"]) for m in mailbox.messages)
    assert counts.most_common(1)[0][1] == 1, counts
    to_nora = [m["Subject"] for m in mailbox.to(NORA)]
    for expected in ("enrolled", "in network with Optum", "Your notice", "left Alma's "
                     "insurance program"):
        assert any(expected in subject for subject in to_nora), (expected, to_nora)
    to_sam = [m["Subject"] for m in mailbox.to(SAM)]
    for expected in ("now go through Alma", "Invoice", "Receipt", "A change to how"):
        assert any(expected in subject for subject in to_sam), (expected, to_sam)


def test_benefits_are_checked_with_javascript_off_and_on_a_phone(no_js_page, phone_page):
    for page in (no_js_page, phone_page):
        page.goto("/benefits")
        page.get_by_label("Your insurance").select_option("oscar")
        page.get_by_label("Member ID").fill("ALMA-COINS-DEDUCT")
        page.get_by_label("First name").fill("Ana")
        page.get_by_label("Last name").fill("Lopez")
        page.get_by_label("Date of birth").fill("1985-07-09")
        page.get_by_role("button", name="Check my benefits").click()
        expect(page.locator("main")).to_contain_text("A session will cost you about $125")
        expect(page.locator("main")).to_contain_text("A likely estimate")
    assert_accessible(phone_page)
