"""The matching team in Chromium: a not-a-fit hand-off is proposed, accepted and closed.

Three browsers: the client, the provider who hands the client over (and the
one who accepts, through their emails), and a team member on the console.
"""
import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from tests.browser.support import SCREENS, assert_accessible, in_app, link_from

PASSWORD = "a long and memorable passphrase"
CLIENT = "lee.client@example.org"


@pytest.fixture(scope="module")
def teammate(app, live_server):
    return in_app(app, lambda: User.create(
        email="mia.team@alma.example", name="Mia Matcher", roles="matching",
        password_hash=passwords.hash_password(PASSWORD)))


def test_a_not_a_fit_hand_off_is_matched_in_the_console(
        page, new_context, deliver_all, mailbox, teammate):
    # The client asks a provider directly.
    page.goto("/providers?state=CA")
    page.locator("ol.results h3 a").first.click()
    page.get_by_role("link", name="Request a consultation").click()
    page.get_by_label("Your name").fill("Lee Client")
    page.get_by_label("Email", exact=True).fill(CLIENT)
    page.get_by_label("State where you live").select_option("CA")
    page.get_by_label("How you'll pay").select_option("self-pay")
    page.get_by_label("What would you like help with?").fill("Burnout at work.")
    page.get_by_label("Telehealth").check()
    page.get_by_label("When are you usually free?").fill("Lunchtimes")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("on its way")
    deliver_all()
    (first_provider,) = [m for m in mailbox.messages if m["To"] != CLIENT]

    # That provider says it isn't a good fit, from the email.
    provider_page = new_context().new_page()
    provider_page.goto(link_from(first_provider, "do=decline"))
    provider_page.get_by_role("button", name="Hand to the matching team").click()
    expect(provider_page.get_by_role("heading", level=1)).to_contain_text("matching team")

    # The team sees the hand-off in the queue, with ranked suggestions, and proposes.
    team = new_context().new_page()
    team.goto("/sign-in")
    team.get_by_label("Email", exact=True).first.fill(teammate.email)
    team.get_by_label("Password").fill(PASSWORD)
    team.get_by_role("button", name="Sign in").click()
    expect(team.get_by_role("heading", level=1)).to_have_text("Team dashboard")
    assert_accessible(team)
    team.get_by_role("link", name="Matching queue").click()
    row = team.locator("table.queue tbody tr").filter(has_text="Not a fit, handed over")
    expect(row).to_have_count(1)
    assert_accessible(team)
    row.get_by_role("link", name="Lee").click()
    expect(team.get_by_role("heading", name="Suggested providers")).to_be_visible()
    first = team.locator("ol.suggestions li").first
    expect(first).to_contain_text("Why:")
    assert_accessible(team)
    chosen = first.locator("h3 a").inner_text()
    assert chosen != first_provider["To"]
    first.get_by_role("button", name=re.compile(r"^Propose")).click()
    expect(team.locator(".flash")).to_contain_text(f"Proposed {chosen}")
    team.screenshot(path=str(SCREENS / "matching-detail.png"), full_page=True)

    # The proposed provider accepts from their email.
    mailbox = deliver_all()
    to_chosen = [m for m in mailbox.messages if "New consultation request" in m["Subject"]
                 and m["To"] != first_provider["To"]]
    assert len(to_chosen) == 1
    accept_page = new_context().new_page()
    accept_page.goto(link_from(to_chosen[0], "do=accept"))
    accept_page.get_by_role("button", name="Accept").click()
    expect(accept_page.get_by_role("heading", level=1)).to_contain_text("Accepted")

    # The team closes the match once the client has a first appointment.
    team.reload()
    team.get_by_label("How it ended").select_option("matched")
    team.get_by_role("button", name="Close the match").click()
    expect(team.get_by_role("heading", level=1)).to_have_text("Matching queue")
    expect(team.locator("table.queue")).not_to_contain_text("Lee")

    # Every email went once.
    mailbox = deliver_all()
    to_client = Counter(m["Subject"] for m in mailbox.to(CLIENT))
    assert all(count == 1 for count in to_client.values()), to_client
    assert any("matching team" in s for s in to_client)
    assert any(s.startswith("We asked") for s in to_client)
    assert any("will be in touch" in s for s in to_client)
    assert Counter(m["Message-ID"] for m in mailbox.messages).most_common(1)[0][1] == 1


def test_a_client_asks_the_team_the_team_proposes_the_provider_accepts_the_client_sees_it(
        page, new_context, deliver_all, mailbox, teammate):
    page.goto("/")
    page.get_by_role("link", name="Get matched").click()
    assert_accessible(page)
    page.get_by_label("Your name").fill("Ray Client")
    page.get_by_label("Email", exact=True).fill("ray.client@example.org")
    page.get_by_label("State where you live").select_option("CA")
    page.get_by_label("How you'll pay").select_option("self-pay")
    page.get_by_label("What you'd like help with").select_option(index=1)
    page.get_by_label("Either is fine").check()
    page.get_by_label("When are you usually free?").fill("Evenings")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Ask our matching team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Our matching team is on it")
    (email,) = deliver_all().to("ray.client@example.org")
    mailbox.clear()
    page.goto(link_from(email, "/match/link/"))
    page.get_by_role("button", name="See my request").click()
    expect(page.get_by_text("Finding someone")).to_be_visible()
    expect(page.get_by_text("Expect an email by")).to_be_visible()
    assert_accessible(page)

    team = new_context().new_page()
    team.goto("/sign-in")
    team.get_by_label("Email", exact=True).first.fill(teammate.email)
    team.get_by_label("Password").fill(PASSWORD)
    team.get_by_role("button", name="Sign in").click()
    team.goto("/team/matching")
    team.locator("table.queue tbody tr").filter(
        has_text="Asked to be matched").get_by_role("link", name="Ray").click()
    team.locator("ol.suggestions li").first.get_by_role(
        "button", name=re.compile(r"^Propose")).click()
    expect(team.locator(".flash")).to_contain_text("Proposed")

    mailbox = deliver_all()
    (to_provider,) = [m for m in mailbox.messages if "New consultation" in m["Subject"]]
    provider = new_context().new_page()
    provider.goto(link_from(to_provider, "do=accept"))
    provider.get_by_role("button", name="Accept").click()
    expect(provider.get_by_role("heading", level=1)).to_contain_text("Accepted")

    page.reload()
    expect(page.get_by_text("Waiting for a therapist")).to_be_visible()
    expect(page.get_by_text("accepted and will contact you")).to_be_visible()
    assert_accessible(page)
