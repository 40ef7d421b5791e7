"""A higher client share in Chromium: the plan applied the deductible where we estimated a
copay; the billing team reviews it and approves; the client opens the explanation from the
email, reads why, and pays the difference with the local test card."""
import datetime

import pytest
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.benefits import checks
from alma.benefits.models import EligibilityCheck
from alma.billing.gateways import LocalGateway
from alma.claims import jobs, sessions
from alma.claims.clearinghouse import local_sandbox
from alma.claims.reconcile_models import ShareReconciliation
from alma.clock import today
from tests import factories
from tests.browser.support import SCREENS, assert_accessible, in_app, link_from
from tests.program.helpers import approve_all, enrol, move_in

PASSWORD = "a long and memorable passphrase"
BILL = "bea.billing@alma.example"
CLIENT = "rene.raised@example.org"


@pytest.fixture(scope="module")
def raised(app, live_server):
    """A session whose claim came back with the deductible applied: a review waiting."""
    def make():
        factories.operate_in("CA")
        staff = User.create(email="cred.reconcile@alma.example", name="Cred",
                            roles="credentialing")
        User.create(email=BILL, name="Bea Billing", roles="billing",
                    password_hash=passwords.hash_password(PASSWORD))
        provider = factories.provider(first_name="Rhea", last_name="Reconciled",
                                      email="rhea@example.com")
        approve_all(enrol(provider), staff, today() - datetime.timedelta(days=30))
        client = move_in(provider, member_id="ALMA-ACTIVE-COPAY-DEDUCTIBLE", email=CLIENT)
        check = checks.check_for_program_client(client)
        EligibilityCheck.update(checked_at=check.checked_at - datetime.timedelta(days=7)).where(
            EligibilityCheck.id == check.id).execute()
        sessions.log_visit(provider, client, today(), "90834", True, "attended")
        assert jobs.submit_claims() == 1
        for _ in range(3):
            jobs.poll_reports()
        return ShareReconciliation.get().id
    in_app(app, lambda: local_sandbox(app).reset())
    yield in_app(app, make)  # the browser suite's clean-up deletes what this committed
    in_app(app, lambda: local_sandbox(app).reset())


def test_billing_approves_and_the_client_reads_why_and_pays(
        app, new_context, deliver_all, mailbox, raised):
    mailbox.clear()
    bea = new_context().new_page()
    bea.goto("/sign-in")
    bea.get_by_label("Email", exact=True).first.fill(BILL)
    bea.get_by_label("Password").fill(PASSWORD)
    bea.get_by_role("button", name="Sign in").click()
    bea.goto("/team")
    bea.get_by_role("link", name="Client share reviews").click()
    review = bea.locator(f"#review-{raised}")
    expect(review).to_contain_text("$100 more")
    expect(review).to_contain_text("PR-1: your plan's deductible: you pay this part ($125)")
    assert_accessible(bea)
    bea.screenshot(path=str(SCREENS / "share-review.png"), full_page=True)
    review.get_by_role("button", name="Approve: invoice $100").click()
    expect(bea.locator(".flash")).to_contain_text("for the difference")
    expect(bea.locator("main")).to_contain_text("Nothing is waiting for review")

    mail = deliver_all()
    emails = [m for m in mail.to(CLIENT) if "more for" in m["Subject"]]
    assert len(emails) == 1, [m["Subject"] for m in mail.to(CLIENT)]
    assert not [m for m in mail.to(CLIENT) if m["Subject"].startswith("Invoice")
                and "$100" in m["Subject"]]  # never a second bill without the explanation
    rene = new_context().new_page()
    rene.goto(link_from(emails[0], "/claims/explanations/link/"))
    rene.get_by_role("button", name="Open the explanation").click()
    main = rene.locator("main")
    expect(rene.get_by_role("heading", level=1)).to_have_text("Why your bill changed")
    expect(main).to_contain_text("We had estimated $25")
    expect(main).to_contain_text("PR-1: your plan's deductible: you pay this part: $125")
    expect(main).to_contain_text("ask UnitedHealthcare about claim SB")
    assert_accessible(rene)
    rene.screenshot(path=str(SCREENS / "share-explanation.png"), full_page=True)
    rene.get_by_role("button", name="Pay $100").click()
    rene.get_by_label("Card number").fill(LocalGateway.TEST_CARD)
    rene.get_by_role("button", name="Pay $100").click()
    expect(rene.locator(".status-badge")).to_have_text("Paid")
    rene.get_by_role("link", name="Why this bill").click()
    expect(rene.locator("main")).to_contain_text("Paid: thank you.")
