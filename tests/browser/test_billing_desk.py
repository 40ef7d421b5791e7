"""The billing desk in Chromium: a billing team member finds a client's invoice, refunds part
of the payment with a reason, checks it in cents, confirms (twice, as an impatient double
click does), and sees it once on the invoice and on the day's money. Screens at 1280 and
360 pixels go to tests/browser/screens/."""
import datetime

import pytest
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.billing import service
from alma.billing.models import Refund
from alma.clock import today
from alma.network.models import Client
from tests.browser.support import SCREENS, assert_accessible, in_app

PASSWORD = "a long and memorable passphrase"
BEA = "bea.billing@alma.example"
PAYER = "robin.payer@example.org"


@pytest.fixture(scope="module")
def paid_invoice(app, live_server):
    """A client's $150 copay, paid by card; a billing team member to look after it."""
    def make():
        User.create(email=BEA, name="Bea Biller", roles="billing",
                    password_hash=passwords.hash_password(PASSWORD))
        person = Client.create(email=PAYER, name="Robin Payer", state="CA")
        invoice = service.issue("copay", [("Session, 50 minutes", 1, 15000)],
                                due_on=today() + datetime.timedelta(days=14),
                                owed_by_client=person)
        service.record_payment(invoice, 15000, "local", "local_browser_paid")
        return invoice
    return in_app(app, make)


def sign_in(page):
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).first.fill(BEA)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Team dashboard")


def fact(page, term):
    """The value beside a term of the invoice's sums."""
    return page.locator(f".sums dt:text-is('{term}') + dd")


def shot(page, name):
    page.screenshot(path=str(SCREENS / f"billing-{name}.png"), full_page=True)


def test_a_billing_member_finds_an_invoice_refunds_part_once_and_sees_it_by_day(
        app, page, deliver_all, mailbox, paid_invoice):
    mailbox.clear()
    sign_in(page)
    expect(page.locator("#billing-h")).to_have_text("Billing")
    shot(page, "dashboard-1280")
    page.locator(".team-nav").get_by_role("link", name="Billing").click()
    page.get_by_label("Number, name or email").fill("robin payer")
    page.get_by_role("button", name="Find invoices").click()
    expect(page.get_by_role("status")).to_contain_text("1 invoice")
    assert_accessible(page)
    shot(page, "invoices-1280")
    page.get_by_role("link", name=paid_invoice.number).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {paid_invoice.number}")
    expect(fact(page, "Due now")).to_have_text("$0")
    assert_accessible(page)
    page.get_by_role("link", name="Refund the $150 payment").click()
    page.get_by_label("Amount to refund ($)").fill("40")
    page.get_by_label("Reason").fill("The session ran 20 minutes short")
    expect(page.get_by_label("They don't owe it")).to_be_checked()
    assert_accessible(page)
    shot(page, "refund-1280")
    page.get_by_role("button", name="Review the refund").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the refund")
    main = page.locator("main")
    expect(main).to_contain_text("Nothing has happened yet")
    expect(main).to_contain_text("4,000 cents")
    expect(main).to_contain_text("$150 of it not refunded yet, $110 after this")
    expect(main).to_contain_text(PAYER)
    assert_accessible(page)
    shot(page, "review-1280")
    assert in_app(app, lambda: Refund.select().count()) == 0
    page.get_by_role("button", name="Refund $40").dblclick()  # an impatient double click

    expect(page.locator(".flash")).to_contain_text("Refunded $40")
    refunds = page.locator("#refunds-h + .table-scroll tbody tr")
    expect(refunds).to_have_count(1)
    expect(refunds).to_contain_text("The session ran 20 minutes short")
    expect(refunds).to_contain_text("Bea Biller")
    expect(fact(page, "Refunded")).to_have_text("+ $40")
    expect(fact(page, "Credited")).to_have_text("− $40")
    expect(fact(page, "Due now")).to_have_text("$0")
    shot(page, "invoice-1280")
    assert in_app(app, lambda: [r.amount_cents for r in Refund.select()]) == [4000]

    page.locator(".team-nav").get_by_role("link", name="Billing").click()
    page.get_by_role("link", name="Money in and out").click()
    day = page.get_by_role("row").filter(has=page.get_by_role(
        "link", name=today().strftime("%a %b ") + str(today().day)))
    expect(day).to_contain_text("$150")
    expect(day).to_contain_text("$40")
    expect(day).to_contain_text("$110")  # net: $150 in, $40 out
    assert_accessible(page)
    shot(page, "money-1280")
    day.get_by_role("link").first.click()
    expect(page.locator("main")).to_contain_text("The session ran 20 minutes short")
    shot(page, "money-day-1280")

    receipts = [m for m in deliver_all().to(PAYER) if m["Subject"].startswith("Refund")]
    assert [m["Subject"] for m in receipts] == [f"Refund: $40 on invoice {paid_invoice.number}"]


def test_the_desk_reads_on_a_phone(phone_page, paid_invoice):
    page = phone_page
    sign_in(page)

    def check(name):
        assert_accessible(page)
        shot(page, f"{name}-360")
        # Nothing is wider than the phone: a wide table scrolls inside its own box.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (name, width)

    page.goto(f"/team/billing?q={PAYER}")
    check("invoices")
    page.goto(f"/team/billing/invoices/{paid_invoice.number}")
    check("invoice")
    page.get_by_role("link", name="Refund the $150 payment").click()
    page.get_by_label("Amount to refund ($)").fill("5")
    page.get_by_label("Reason").fill("Checking on a phone")
    page.get_by_role("button", name="Review the refund").click()
    check("review")
    page.goto("/team/billing/money")
    check("money")
