"""A client in Chromium, on a phone and with JavaScript off: a used link is no dead end (a
new one by email opens their page, /me), and /match is honest about unserved states."""
from playwright.sync_api import expect

from tests.browser.support import SCREENS, assert_accessible, link_from

CLIENT = "sam.client@example.org"


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def send_request(page, name, email):
    """Fill the consultation request form, self-pay in California, and send it."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("State where you live").select_option("CA")
    page.get_by_label("How you'll pay").select_option("self-pay")
    page.get_by_label("What would you like help with?").fill("Sleep, mostly.")
    page.get_by_label("Telehealth").check()
    page.get_by_label("When are you usually free?").fill("Evenings")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send my request").click()


def test_a_used_link_offers_a_new_one_that_opens_the_clients_page(
        no_js_page, new_context, deliver_all, mailbox, page_problems):
    page_problems.allow(r"/requests/link/.*status of 410", "a used link is gone, on purpose")
    page = no_js_page  # JavaScript off, start to end
    page.goto("/providers?state=CA")
    page.locator("ol.results h3 a").first.click()
    therapist = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("link", name="Request a consultation").click()
    send_request(page, "Sam Client", CLIENT)
    expect(page.get_by_role("heading", level=1)).to_contain_text("on its way")
    (received,) = [m for m in deliver_all().messages if m["To"] == CLIENT]
    link = link_from(received, "/requests/link/")
    page.goto(link)
    page.get_by_role("button", name="See my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your request to")

    # The same link a day later, on a phone: not a wall, but a way to a new one.
    phone = new_context(viewport={"width": 360, "height": 740}).new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link doesn't work")
    expect(phone.get_by_role("link", name="Get a new sign-in link")).to_have_count(0)
    no_sideways_scroll(phone)
    assert_accessible(phone)
    phone.screenshot(path=str(SCREENS / "client-link-used-360.png"), full_page=True)
    phone.get_by_label("Your email").fill(CLIENT)
    phone.get_by_role("button", name="Email me a new link").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(phone)
    fresh = [m for m in deliver_all().messages if m["To"] == CLIENT and "/me/link/" in
             m.get_body(("plain",)).get_content()]
    assert len(fresh) == 1
    phone.goto(link_from(fresh[0], "/me/link/"))
    phone.get_by_role("button", name="Open my page").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your requests and invoices")
    card = phone.locator("article.request-card").filter(has_text=therapist.split(",")[0])
    expect(card).to_contain_text("Next:")
    expect(card).to_contain_text("Waiting for an answer")
    no_sideways_scroll(phone)
    assert_accessible(phone)
    phone.screenshot(path=str(SCREENS / "client-page-360.png"), full_page=True)
    card.get_by_role("link").first.click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Your request to")

    # Without JavaScript, the client page and its way back work the same.
    page.goto("/me")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your requests and invoices")
    expect(page.get_by_text(CLIENT)).to_be_visible()


def test_match_in_an_unserved_state_offers_the_waitlist(no_js_page, new_context, page_problems):
    page_problems.allow(r"/match .*status of 422", "the form says the state isn't served")
    page = no_js_page
    page.goto("/providers?state=WY")
    page.get_by_role("link", name="Join the Wyoming waitlist").click()
    expect(page.get_by_role("heading", name="We're not in Wyoming yet")).to_be_visible()
    options = page.locator("#state option").all_inner_texts()
    assert "Wyoming (not yet served: join the waitlist)" in options and "California" in options
    page.get_by_label("Your name").fill("Wren Client")
    page.get_by_label("Email", exact=True).fill("wren@example.org")
    page.get_by_label("How you'll pay").select_option("self-pay")
    page.get_by_label("Telehealth").check()
    page.get_by_label("When are you usually free?").fill("Weekends")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Ask our matching team").click()
    expect(page.locator("#state-error")).to_contain_text("doesn't operate in Wyoming")
    expect(page.get_by_label("Your name")).to_have_value("Wren Client")  # kept as typed
    phone = new_context(viewport={"width": 360, "height": 740}).new_page()  # axe needs JS
    phone.goto("/match?state=WY")
    no_sideways_scroll(phone)
    assert_accessible(phone)
    phone.screenshot(path=str(SCREENS / "match-unserved-360.png"), full_page=True)
    page.locator("#waitlist-email").fill("wren@example.org")
    page.get_by_role("button", name="Join the Wyoming waitlist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're on the Wyoming waitlist")


def test_a_long_email_address_wraps_on_a_phone(phone_page, deliver_all):
    """The client page names the address it is for: a long one wraps instead of widening
    a 360 px screen (it scrolled sideways by 22 px)."""
    long_email = "alexandra.konstantinopoulou.rivera@longfamilyname-example.org"
    page = phone_page
    page.goto("/providers?state=CA")
    page.locator("ol.results h3 a").first.click()
    page.get_by_role("link", name="Request a consultation").first.click()
    send_request(page, "Alexandra Rivera", long_email)
    (received,) = [m for m in deliver_all().messages if m["To"] == long_email]
    page.goto(link_from(received, "/requests/link/"))
    page.get_by_role("button", name="See my request").click()
    page.goto("/me")
    expect(page.get_by_text(long_email)).to_be_visible()
    no_sideways_scroll(page)
