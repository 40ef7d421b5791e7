"""Joining, in Chromium, as the issue's "done when" has it.

A pre-licensed therapist is told kindly why not yet. A licensed one books an
onboarding call (and moves it), is approved by the growth team, sets a
password, writes the listing and shows it; a client finds it in the
directory. Then the member pays the first fee through the test gateway from
the emailed link, pauses, and leaves. Every email arrives once.
"""
import datetime
from collections import Counter

import pytest
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.billing.gateways import LocalGateway
from alma.clock import today
from alma.membership import fees
from tests.browser.support import SCREENS, assert_accessible, in_app, link_from
from tests.factories import npi_for

PASSWORD = "a long and memorable passphrase"
ROBIN = "robin.okafor@example.org"
PAT = "pat.prelicensed@example.org"
GROWTH = "gail.growth@alma.example"


@pytest.fixture(scope="module")
def grower(app, live_server):
    return in_app(app, lambda: User.create(
        email=GROWTH, name="Gail Growth", roles="growth",
        password_hash=passwords.hash_password(PASSWORD)))


def sign_in(page, email):
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).first.fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def apply(page, name, email, npi, level, insurance=False):
    page.goto("/join")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("NPI").fill(npi)
    page.get_by_label("Your gender, as your listing will show it").select_option("woman")
    licence = page.locator("#licence-1")
    licence.get_by_label("State").select_option("CA")
    licence.get_by_label("Licence", exact=True).select_option("LMFT")
    licence.get_by_label("Licence number").fill("LMFT-12345")
    licence.get_by_label("Level").select_option(level)
    page.get_by_label("State of your practice").select_option("CA")
    page.get_by_label("City").fill("Oakland")
    if insurance:
        page.get_by_label("I'm interested in the insurance program").check()
    page.get_by_role("button", name="Apply").click()


def test_a_therapist_joins_lists_pays_pauses_and_leaves(
        app, page, new_context, deliver_all, mailbox, grower):
    mailbox.clear()
    # A pre-licensed therapist is told at once, kindly, and kept for later.
    apply(page, "Pat Prelicensed", PAT, npi_for(424242), "pre_licensed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not yet, Pat")
    expect(page.locator("main")).to_contain_text("licensed")

    # The growth team opens times for onboarding calls.
    team = new_context().new_page()
    sign_in(team, GROWTH)
    team.goto("/team/availability")
    tomorrow = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).replace(
        hour=17, minute=0)
    team.get_by_label("First call starts (your time)").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    team.get_by_label("How many 30-minute calls in a row").fill("3")
    team.get_by_role("button", name="Open these times").click()
    expect(team.locator(".flash")).to_contain_text("3 new times")
    assert_accessible(team)

    # A licensed therapist applies, is told they can join, and books from the email.
    robin = new_context().new_page()
    apply(robin, "Robin Okafor", ROBIN, npi_for(424243), "full", insurance=True)
    expect(robin.get_by_role("heading", level=1)).to_have_text("You can join, Robin")
    deliver_all()
    (invite,) = mailbox.to(ROBIN)
    robin.goto(link_from(invite, "/join/link/"))
    robin.get_by_role("button", name="Open my application").click()
    robin.locator("input[name=slot_id]").first.check()
    robin.get_by_role("button", name="Book this time").click()
    expect(robin.locator(".flash")).to_contain_text("Booked")
    assert_accessible(robin)
    # And moves it to the next time.
    robin.locator("input[name=slot_id]").first.check()
    robin.get_by_role("button", name="Move my call").click()
    expect(robin.get_by_role("heading", name="Your onboarding call")).to_be_visible()
    mailbox = deliver_all()
    invitations = [m for m in mailbox.to(ROBIN) if "onboarding call," in m["Subject"]]
    assert [m["Subject"].startswith("Moved") for m in invitations] == [False, True]
    for message in invitations + [m for m in mailbox.to(GROWTH) if "call" in m["Subject"]]:
        (calendar,) = [part for part in message.iter_attachments()
                       if part.get_content_type() == "text/calendar"]
        assert "BEGIN:VEVENT" in calendar.get_content()

    # The growth team approves, with each licence's expiry as verified.
    team.goto("/team/applications")
    team.get_by_role("link", name="Robin Okafor").click()
    expect(team.locator("main")).to_contain_text("Interested")
    team.get_by_label("Expiry of LMFT CA").fill(
        (today() + datetime.timedelta(days=400)).isoformat())
    assert_accessible(team)
    team.get_by_role("button", name="Approve: make the account and a draft listing").click()
    expect(team.locator(".flash")).to_contain_text("Approved: Robin Okafor")

    # Robin sets a password from the welcome email and lands on the listing.
    mailbox = deliver_all()
    (welcome,) = [m for m in mailbox.to(ROBIN) if m["Subject"].startswith("Welcome")]
    robin.goto(link_from(welcome, "/welcome/"))
    robin.get_by_label("Password").fill(PASSWORD)
    robin.get_by_role("button", name="Start").click()
    expect(robin.get_by_role("heading", level=1)).to_have_text("Your listing")
    expect(robin.locator("main")).to_contain_text("Hidden from the directory")

    bio = ("I work with adults through anxiety, burnout and big changes, at a pace that suits "
           "them, with plain talk and practical tools.")
    robin.get_by_label("About you").fill(bio)
    robin.locator("#specialties input[type=checkbox]").first.check()
    robin.get_by_label("Self-pay rate a session ($)").fill("140")
    robin.get_by_label("I'm accepting new clients").check()
    robin.get_by_label("Cancellation policy").fill("24 hours' notice, please.")
    robin.get_by_role("button", name="Preview").click()
    expect(robin.get_by_role("heading", name="Preview: not saved yet")).to_be_visible()
    expect(robin.locator("section.profile")).to_contain_text("plain talk")
    robin.get_by_role("button", name="Save").click()
    expect(robin.locator(".flash")).to_contain_text("Saved")
    robin.get_by_role("button", name="Show my listing").click()
    expect(robin.get_by_role("heading", name="In the directory")).to_be_visible()
    assert_accessible(robin)
    robin.screenshot(path=str(SCREENS / "practice-listing.png"), full_page=True)

    # A client finds Robin in the directory.
    client = new_context().new_page()
    client.goto("/providers?state=CA&q=Okafor")
    client.get_by_role("link", name="Robin Okafor").click()
    expect(client.locator("main")).to_contain_text("plain talk")

    # The worker invoices the first fee; Robin pays it from the email with the test card.
    assert in_app(app, fees.invoice_fees) == 1
    mailbox = deliver_all()
    (invoice_email,) = [m for m in mailbox.to(ROBIN) if m["Subject"].startswith("Invoice")]
    assert "$125" in invoice_email["Subject"]
    robin.goto(link_from(invoice_email, "/billing/link/"))
    robin.get_by_role("button", name="Open my invoice").click()
    assert_accessible(robin)
    robin.get_by_role("button", name="Pay $125").click()
    expect(robin.get_by_role("heading", level=1)).to_have_text("Test checkout")
    robin.get_by_label("Card number").fill(LocalGateway.TEST_CARD)
    robin.get_by_role("button", name="Pay $125").click()
    expect(robin.locator(".flash")).to_contain_text("your payment is recorded")
    expect(robin.locator(".status-badge")).to_have_text("Paid")
    robin.get_by_role("link", name="Printable receipt").click()
    expect(robin.locator("main")).to_contain_text("$125")

    # Robin pauses for two months, seeing what it means before confirming.
    robin.goto("/practice/billing")
    expect(robin.locator("main")).to_contain_text("we never touch it")
    robin.get_by_label("Pause for").select_option("2")
    robin.get_by_role("button", name="See what a pause means").click()
    expect(robin.get_by_role("heading", name="Before you confirm")).to_be_visible()
    expect(robin.locator("main")).to_contain_text("No fee for those months")
    assert_accessible(robin)
    robin.screenshot(path=str(SCREENS / "practice-billing-pause.png"), full_page=True)
    robin.get_by_role("button", name="Confirm").click()
    expect(robin.locator(".flash")).to_contain_text("Paused from")

    # And then leaves: the listing comes down, the client list stays.
    robin.goto("/practice/leave")
    expect(robin.locator("main")).to_contain_text("Your clients stay with you")
    assert_accessible(robin)
    robin.screenshot(path=str(SCREENS / "practice-leave.png"), full_page=True)
    robin.get_by_label("To confirm, type your email address").fill(ROBIN)
    robin.get_by_role("button", name="Leave the network now").click()
    expect(robin.locator(".flash")).to_contain_text("You've left the Alma network")
    expect(robin.get_by_role("heading", level=1)).to_contain_text("clients")
    client.goto("/providers?state=CA&q=Okafor")
    expect(client.get_by_role("link", name="Robin Okafor")).to_have_count(0)

    # Every email went once, and each one we expect arrived.
    mailbox = deliver_all()
    subjects = Counter((m["To"], m["Subject"]) for m in mailbox.messages)
    assert subjects.most_common(1)[0][1] == 1, subjects
    assert len({m["Message-ID"] for m in mailbox.messages}) == len(mailbox.messages)
    to_robin = [m["Subject"] for m in mailbox.to(ROBIN)]
    for expected in ("You can join Alma", "Alma onboarding call", "Moved:", "Welcome",
                     "Invoice", "Receipt", "pause", "left the Alma network"):
        assert any(expected in subject for subject in to_robin), (expected, to_robin)
    assert [m["Subject"] for m in mailbox.to(PAT)] == ["About your Alma application"]
