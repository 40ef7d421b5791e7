"""The whole consultation path in Chromium: search, request, the provider answers, the client sees it.

Emails go through the outbox to the loopback SMTP server; the test delivers
them (as the worker would) and follows the links in them like a person.
"""
from playwright.sync_api import expect

from tests.browser.support import SCREENS, assert_accessible, link_from

CLIENT = "dana.client@example.org"


def open_first_accepting_profile(page):
    page.goto("/providers?state=CA")
    page.locator("ol.results h3 a").first.click()
    expect(page.locator("h1")).to_be_visible()
    return page.locator("h1").inner_text().split(",")[0]


def send_request(page, email=CLIENT, name="Dana Client"):
    page.get_by_role("link", name="Request a consultation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ask")
    assert_accessible(page)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("State where you live").select_option("CA")
    page.get_by_label("How you'll pay").select_option("self-pay")
    page.get_by_label("What would you like help with?").fill("Grief after losing my father.")
    page.get_by_label("Telehealth").check()
    page.get_by_label("When are you usually free?").fill("Tuesday and Thursday evenings")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("on its way")


def test_a_client_asks_the_provider_accepts_from_the_email_and_the_client_sees_it(
        page, new_context, deliver_all):
    name = open_first_accepting_profile(page)
    send_request(page)
    assert_accessible(page)
    mailbox = deliver_all()
    (confirmation,) = mailbox.to(CLIENT)
    (to_provider,) = [m for m in mailbox.messages if m["To"] != CLIENT]
    assert "Dana" in to_provider["Subject"]

    # The provider, in their own browser, accepts from the email.
    provider_page = new_context().new_page()
    provider_page.goto(link_from(to_provider, "do=accept"))
    expect(provider_page.get_by_text("Grief after losing my father.")).to_be_visible()
    provider_page.get_by_role("button", name="Accept").click()
    expect(provider_page.get_by_role("heading", level=1)).to_contain_text("Accepted")
    assert_accessible(provider_page)

    # The client opens the link from the confirmation and sees the answer.
    page.goto(link_from(confirmation, "/requests/link/"))
    page.get_by_role("button", name="See my request").click()
    expect(page.get_by_text("Accepted", exact=True)).to_be_visible()
    expect(page.get_by_text("will contact you")).to_be_visible()
    assert name.split()[0] in page.locator("h1").inner_text()
    assert_accessible(page)
    mailbox = deliver_all()
    assert any("will be in touch" in m["Subject"] for m in mailbox.to(CLIENT))


def test_a_provider_signs_in_by_email_and_answers_in_the_inbox(
        page, new_context, deliver_all, mailbox):
    open_first_accepting_profile(page)
    send_request(page, email="erin.client@example.org", name="Erin Client")
    deliver_all()
    (to_provider,) = [m for m in mailbox.messages if m["To"] != "erin.client@example.org"]
    mailbox.clear()

    provider_page = new_context().new_page()
    provider_page.goto("/sign-in")
    assert_accessible(provider_page)
    provider_page.get_by_label("Email", exact=True).nth(1).fill(to_provider["To"])
    provider_page.get_by_role("button", name="Email me a sign-in link").click()
    expect(provider_page.get_by_role("heading", level=1)).to_have_text("Check your email")
    (sign_in,) = deliver_all().to(to_provider["To"])
    provider_page.goto(link_from(sign_in, "/sign-in/link/"))
    provider_page.get_by_role("button", name="Sign in").click()
    expect(provider_page.get_by_role("heading", level=1)).to_have_text("Consultation requests")
    card = provider_page.locator(".request-card").first
    expect(card).to_contain_text("Erin")
    expect(card).not_to_contain_text("erin.client@example.org")
    assert_accessible(provider_page)
    provider_page.evaluate("window.__stayed = true")
    card.get_by_role("button", name="Accept").click()
    expect(provider_page.locator(".request-card").first).to_contain_text(
        "erin.client@example.org")  # contact details, once accepted, in place
    assert provider_page.evaluate("window.__stayed === true"), "the page reloaded"
    expect(provider_page.locator("#waiting-count")).to_have_text("0")
    provider_page.screenshot(path=str(SCREENS / "inbox-accepted.png"), full_page=True)


def test_the_request_form_keeps_what_was_typed_without_javascript(new_context, page_problems):
    page_problems.allow(r"status of 422", "the form answers 422 when what was typed is wrong")
    page = new_context(java_script_enabled=False).new_page()
    open_first_accepting_profile(page)
    page.get_by_role("link", name="Request a consultation").click()
    page.get_by_label("Your name").fill("No Script")
    page.get_by_label("Email", exact=True).fill("not an email")
    page.get_by_role("button", name="Send my request").click()
    expect(page.locator(".problems")).to_contain_text("Enter an email address like")
    expect(page.get_by_label("Your name")).to_have_value("No Script")
    expect(page.get_by_label("Email", exact=True)).to_have_value("not an email")
