"""The denials queue in Chromium: a billing member finds a denied claim by its reason code,
corrects the client's member ID and sends a replacement; the sandbox clearinghouse pays it,
and the queue no longer shows the claim. The provider sees each step in words."""
import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.claims import sessions
from alma.claims.clearinghouse import local_sandbox
from alma.claims.models import Claim
from alma.clock import today
from tests import factories
from tests.browser.support import assert_accessible, in_app
from tests.claims.queue_helpers import run_clearinghouse
from tests.program.helpers import approve_all, checked, enrol, move_in

PASSWORD = "a long and memorable passphrase"
BEA = "bea.billing@alma.example"
PIA = "pia.provider@example.com"
DENIED = "ALMA-ACTIVE-COPAY-DENIED"


@pytest.fixture(scope="module")
def denied_claim(app, live_server):
    """A session held a week ago whose claim the sandbox denied (CO-16)."""
    def make():
        local_sandbox(app).reset()
        factories.operate_in("CA")
        pia = factories.provider(first_name="Pia", last_name="Provider", email=PIA)
        User.create(email=PIA, name=pia.full_name, provider=pia,
                    password_hash=passwords.hash_password(PASSWORD))
        User.create(email=BEA, name="Bea Billing", roles="billing",
                    password_hash=passwords.hash_password(PASSWORD))
        staff = User.create(email="cass@alma.example", name="Cass", roles="credentialing")
        start = datetime.datetime.combine(today() - datetime.timedelta(days=40),
                                          datetime.time(15))
        with time_machine.travel(start, tick=False):
            approve_all(enrol(pia), staff, today())
        program_client = move_in(pia, member_id=DENIED, email="sam.denied@example.org")
        held = today() - datetime.timedelta(days=7)
        checked(app, program_client, datetime.datetime.combine(
            held - datetime.timedelta(days=3), datetime.time(15)))
        visit = sessions.log_visit(pia, program_client, held, "90834", True, "attended")
        run_clearinghouse(polls=2)
        return Claim.get(Claim.visit == visit)
    claim = in_app(app, make)
    yield claim  # the browser suite's clean-up deletes what this module committed
    local_sandbox(app).reset()


def sign_in(page, email):
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).first.fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_denied_claim_found_corrected_resent_and_paid_leaves_the_queue(
        app, new_context, denied_claim, page_problems):
    page_problems.allow(r"status of 422", "the correction form answers 422 until confirmed")
    assert denied_claim.status == "denied"
    bea = new_context().new_page()
    sign_in(bea, BEA)
    bea.get_by_role("link", name="Claims").click()
    expect(bea.locator("main")).to_contain_text(denied_claim.patient_control_number)
    bea.get_by_label("Reason code").fill("CO-16")
    bea.get_by_role("button", name="Show claims").click()
    row = bea.locator("tr", has_text=denied_claim.patient_control_number)
    expect(row).to_contain_text("Denied")
    expect(row).to_contain_text("Sam Rivera")
    assert_accessible(bea)
    row.get_by_role("link", name=denied_claim.patient_control_number).click()
    expect(bea.locator("main")).to_contain_text("CO-16: the claim was missing information")
    expect(bea.locator("main")).to_contain_text("MA130")
    bea.get_by_label("Member ID").fill("ALMA-ACTIVE-COPAY")
    bea.get_by_label("Why").first.fill("The member ID had a stray suffix")
    bea.get_by_role("button", name="Send the corrected claim").click()
    expect(bea.locator(".problems").first).to_contain_text("Tick the box to confirm")
    expect(bea.get_by_label("Member ID")).to_have_value("ALMA-ACTIVE-COPAY")
    bea.get_by_label("Yes, send the corrected claim").check()
    bea.get_by_role("button", name="Send the corrected claim").click()
    expect(bea.locator(".flash")).to_contain_text("Replaced")
    expect(bea.locator("main")).to_contain_text("Replaced by Bea Billing")
    assert_accessible(bea)

    pia = new_context().new_page()
    sign_in(pia, PIA)
    pia.goto("/practice/sessions")
    expect(pia.locator("main")).to_contain_text("A corrected claim replacing "
                                                + denied_claim.patient_control_number)

    in_app(app, lambda: run_clearinghouse(polls=3))
    bea.goto("/team/claims?reason=CO-16")
    expect(bea.locator("main")).to_contain_text("No claims match")
    bea.goto("/team/claims")
    expect(bea.locator("main")).not_to_contain_text(denied_claim.patient_control_number)
    bea.goto("/team/claims?state=paid")
    replacement = bea.locator("tr", has_text="(replacement)")
    expect(replacement).to_contain_text("Paid")
    expect(replacement).to_contain_text("$100")
    pia.goto("/practice/sessions")
    expect(pia.locator("main")).to_contain_text("Paid")
