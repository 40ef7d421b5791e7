"""Issue 15's "done when", in Chromium, as a new user would: Gia accepts a self-pay client,
issues a good-faith estimate inside its deadline (the clock moved a business day on), logs
sessions past the $400 threshold and is warned, and sends a monthly superbill; Sam, the
client, opens it and the estimate from the emails, on a phone, and prints them.

At a desk (1280 px) and each page checked on a phone (360 px)."""
import datetime
import uuid

import pytest
import time_machine
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.clock import today, utcnow
from alma.consultations import service as consultations
from alma.selfpay import business_days
from alma.selfpay.models import GoodFaithEstimate, SelfPaySession
from tests import factories
from tests.browser.support import (PASSWORD, SCREENS, assert_accessible, fits, in_app, link_from,
                                   sign_in)

GIA = "gia.gfe@example.org"
SAM = "sam.selfpay@example.org"
PHONE = {"width": 360, "height": 800}
DESK = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def gia(app, live_server):
    """A listed therapist at $150 a session, and a self-pay client's request waiting."""
    def make():
        factories.operate_in("CA")
        provider = factories.provider(first_name="Gia", last_name="Gfe", email=GIA,
                                      cash_rate_cents=15000)
        User.create(email=GIA, name=provider.full_name, provider=provider,
                    password_hash=passwords.hash_password(PASSWORD))
        consultations.submit(provider, consultations.Submission(
            name="Sam Selfpay", email=SAM, phone="", state="CA", payer=None, member_id="",
            self_pay=True, concerns="Panic attacks on the train.", preferred_format="telehealth",
            availability="Mornings", submission_key=uuid.uuid4().hex))
        return provider
    return in_app(app, make)  # the browser suite's clean-up deletes what this committed


def on_a_phone(page):
    page.set_viewport_size(PHONE)
    fits(page)
    page.set_viewport_size(DESK)


def printed(page):
    """As printed: the site's header, menus and buttons gone, the document kept."""
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".document-actions").first).to_be_hidden()
    expect(page.locator("article.document")).to_be_visible()
    assert page.evaluate(
        "getComputedStyle(document.querySelector('article.document')).borderStyle") == "none"
    page.emulate_media(media="screen")
    expect(page.locator(".document-actions").first).to_be_visible()


def test_a_self_pay_client_gets_an_estimate_in_time_a_warning_and_a_superbill(
        app, new_context, page_problems, deliver_all, mailbox, gia):
    page_problems.allow(r"status of 409", "the session over the estimate asks a confirmation")
    page_problems.allow(r"status of 422", "a superbill for a range in the future is refused")
    deliver_all()
    mailbox.clear()
    accepted_on = today()
    page = new_context(viewport=DESK).new_page()
    sign_in(page, GIA)

    # Gia accepts Sam, who pays themselves, in the inbox: an estimate is now owed.
    page.goto("/inbox")
    card = page.locator(".request-card", has_text="Sam")
    card.get_by_role("button", name="Accept").click()
    expect(page.locator(".request-card").first).to_contain_text(SAM)
    page.get_by_role("link", name="Self-pay").first.click()
    due = business_days.add_business_days(accepted_on, 3)
    main = page.locator("main")
    expect(main).to_contain_text("issue them a good-faith estimate")
    row = page.locator("tbody tr", has_text="Sam Selfpay")
    expect(row).to_contain_text(f"Estimate owed, due by {due:%a %b} {due.day}, {due.year}")
    assert_accessible(page)
    on_a_phone(page)

    # Her Tax ID and office first: the estimate must show them.
    page.get_by_role("link", name="Add your details").click()
    page.get_by_label("Tax ID (EIN)").fill("00-1234567")  # not a prefix the IRS issues
    page.get_by_label("Office street address").fill("100 Market St")
    page.get_by_label("City").fill("San Francisco")
    page.get_by_label("State").fill("CA")
    page.get_by_label("Zip code").fill("94105")
    page.get_by_label("Phone").fill("(415) 555-0100")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".problems")).to_contain_text("like 12-3456789")
    expect(page.get_by_label("City")).to_have_value("San Francisco")
    page.get_by_label("Tax ID (EIN)").fill("12-3456789")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Saved")

    # Sam's date of birth, address and diagnosis; the first session three weeks away.
    page.get_by_role("link", name="Sam Selfpay").click()
    expect(page.locator("#gfe-owed")).to_contain_text("A good-faith estimate is owed")
    page.get_by_label("Date of birth").fill("1991-06-15")
    page.get_by_label("Street address").fill("12 Elm St")
    page.get_by_label("City").fill("Oakland")
    page.get_by_label("State").fill("CA")
    page.get_by_label("Zip code").fill("94607")
    page.get_by_label("Diagnosis codes (ICD-10-CM, optional)").fill("F41.0")
    first = accepted_on + datetime.timedelta(days=21)
    page.get_by_label("First session (if scheduled)").fill(first.isoformat())
    page.get_by_role("button", name="Save details").click()
    expect(page.locator(".flash")).to_contain_text(f"due by {due:%A, %B} {due.day}")
    on_a_phone(page)

    # A business day later (the clock moved), inside the deadline, Gia issues it.
    later = business_days.add_business_days(accepted_on, 1)
    moment = datetime.datetime.combine(later, datetime.time(10), tzinfo=datetime.timezone.utc)
    with time_machine.travel(moment, tick=True):
        sign_in(page, GIA)  # a day away signs a provider out
        page.goto("/practice/self-pay")
        page.get_by_role("link", name="Sam Selfpay").click()
        form = page.locator("form", has=page.get_by_role("button", name="Issue and email"))
        expect(form.get_by_label("Charge a session ($)")).to_have_value("150.00")
        expect(form.get_by_label("First session's code")).to_have_value("90791")
        form.get_by_label("Sessions expected").fill("4")
        form.get_by_label("Over how many months").fill("3")
        form.get_by_label("Starting").fill(today().isoformat())
        form.get_by_role("button", name="Issue and email the estimate").click()
        document = page.locator("article.document")
        expect(document).to_contain_text("Good Faith Estimate")
        for words in ("Sam Selfpay", "1991-06-15", "12-3456789", "90791", "90837", "$600",
                      "F41.0", "not a contract", "$400 or more", "120 calendar days",
                      "cms.gov/nosurprises"):
            expect(document).to_contain_text(words)
        estimate = in_app(app, lambda: GoodFaithEstimate.get())
        assert estimate.on_time and estimate.issued_at.date() == later <= due
        assert_accessible(page)
        on_a_phone(page)

        # Sessions at $250: the fourth takes the bill to $1,000, $400 above the estimate.
        page.get_by_role("link", name="Back to Sam Selfpay").click()
        for _ in range(3):
            page.get_by_label("Fee charged ($)").fill("250")
            page.get_by_role("button", name="Log session").click()
            expect(page.locator(".flash")).to_contain_text("Session logged")
        page.get_by_label("Fee charged ($)").fill("250")
        page.get_by_role("button", name="Log session").click()
        expect(page.locator(".problems").first).to_contain_text("$400 above estimate")
        assert in_app(app, lambda: SelfPaySession.select().count()) == 3
        expect(page.get_by_label("Fee charged ($)")).to_have_value("250")
        on_a_phone(page)
        page.get_by_label("I know this takes the bill $400 or more").check()
        page.get_by_role("button", name="Log session").click()
        expect(page.locator("#over-estimate")).to_contain_text("come to $1,000, $400 above")
        assert in_app(app, lambda: SelfPaySession.select().count()) == 4
        page.screenshot(path=str(SCREENS / "self-pay-client-1280.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SCREENS / "self-pay-client-360.png"), full_page=True)
        page.set_viewport_size(DESK)
        # Sam paid for the first session by card.
        page.locator("summary", has_text="Record a payment").first.click()
        page.get_by_role("button", name="Record payment").first.click()
        expect(page.locator(".flash")).to_contain_text("Payment recorded")

        # The month's superbill (not into the future), emailed to Sam.
        form = page.locator("form", has=page.get_by_role("button", name="Make and email"))
        tomorrow = today() + datetime.timedelta(days=1)
        form.get_by_label("To").fill(tomorrow.isoformat())
        form.get_by_role("button", name="Make and email the superbill").click()
        superbills = page.locator("section", has=page.locator("#superbill-h"))
        expect(superbills.locator(".problems")).to_contain_text("Enter a date")
        expect(superbills.get_by_label("To")).to_have_value(tomorrow.isoformat())
        form = page.locator("form", has=page.get_by_role("button", name="Make and email"))
        form.get_by_label("From").fill(today().replace(day=1).isoformat())
        form.get_by_label("To").fill(today().isoformat())
        form.get_by_role("button", name="Make and email the superbill").click()
        bill = page.locator("article.document")
        expect(bill).to_contain_text("Superbill")
        expect(bill).to_contain_text("$1,000")
        expect(bill).to_contain_text("10 (Telehealth (client at home))")
        on_a_phone(page)

        # Sam, on a phone, opens both from the emails and prints them.
        mail = deliver_all().to(SAM)
        subjects = [m["Subject"] for m in mail]
        estimate_mail = next(m for m in mail
                             if m["Subject"].startswith("Your good-faith estimate"))
        bill_mail = next(m for m in mail if "superbill" in m["Subject"])
        assert estimate_mail and bill_mail, subjects
        assert any(s.startswith("Your right to a good-faith estimate") for s in subjects)
        sam = new_context(viewport=PHONE).new_page()
        sam.goto(link_from(bill_mail, "/self-pay/superbills/link/"))
        sam.get_by_role("button", name="Open the document").click()
        expect(sam.locator("article.document")).to_contain_text("Sam Selfpay")
        expect(sam.locator("article.document")).to_contain_text("F41.0")
        fits(sam)
        assert_accessible(sam)
        printed(sam)
        sam.screenshot(path=str(SCREENS / "self-pay-superbill-360.png"), full_page=True)
        sam.goto(link_from(estimate_mail, "/self-pay/estimates/link/"))
        sam.get_by_role("button", name="Open the document").click()
        expect(sam.locator("article.document")).to_contain_text("$600")
        fits(sam)
        printed(sam)
        sam.set_viewport_size(DESK)
        fits(sam)
        sam.emulate_media(media="print")
        sam.screenshot(path=str(SCREENS / "self-pay-estimate-print-1280.png"), full_page=True)
    assert utcnow()  # the clock is back
