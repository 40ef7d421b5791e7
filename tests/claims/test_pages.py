"""Sessions' page through real HTTP requests to the app, and the fees a provider collects
themselves."""
import datetime

from alma.audit import AuditEvent
from alma.benefits.models import EligibilityCheck
from alma.billing.models import CreditNote, Invoice
from alma.claims import jobs
from alma.claims.models import Claim, Visit
from alma.clock import today
from alma.network.models import ProgramClient
from tests import factories
# The program's page fixtures (a signed-in provider, credentialed by the team) among them.
from tests.program.test_pages import (MOVE_IN, PASSWORD, credentialed, post,  # noqa: F401
                                      provider, staff, text)


def test_logging_sessions_from_the_page(client, credentialed):
    uhc = factories.payer("unitedhealthcare")
    post(client, "/practice/insurance/clients", {**MOVE_IN, "payer": uhc.id},
         "/practice/insurance")
    program_client = ProgramClient.get()
    for check in EligibilityCheck.select():  # checked last week, as the worker would have
        check.checked_at -= datetime.timedelta(days=5)
        check.save()
    tomorrow = (today() + datetime.timedelta(days=1)).isoformat()
    bad = post(client, "/practice/sessions", {"client": program_client.id, "held_on": tomorrow,
                                              "cpt_code": "90834", "format": "telehealth",
                                              "attendance": "attended"})
    assert bad.status_code == 422 and "once it has happened" in text(bad)
    assert f'value="{tomorrow}"' in text(bad) and Visit.select().count() == 0
    done = post(client, "/practice/sessions", {"client": program_client.id,
                                               "held_on": today().isoformat(),
                                               "cpt_code": "90834", "format": "in_person",
                                               "attendance": "attended"})
    assert done.status_code == 303
    assert "the client was invoiced $25" in text(client.get("/practice/sessions"))
    assert Claim.select().count() == 1 and Invoice.get().kind == "copay"


def test_provider_collected_fees_are_not_taken_by_the_groups_checkout(app, client, db):
    from alma.billing import service as billing
    from alma.network.models import Client

    p = factories.provider(first_name="Fee")
    owner = Client.create(email="c@example.com", name="C Lient")
    invoice = billing.issue("cancellation_fee", [("Late cancellation", 1, 7500)],
                            today(), owed_by_client=owner, collected_by="provider",
                            collecting_provider=p, treating_provider=p)
    with client.session_transaction() as session:
        session["invoice_ids"] = [invoice.id]
    page = text(client.get(f"/billing/invoices/{invoice.number}"))
    assert "pay Fee directly" in page and "Pay $75" not in page
    response = post(client, f"/billing/invoices/{invoice.number}/pay", {}, "/sign-in")
    assert response.status_code == 409


def test_the_provider_marks_their_own_fee_paid_and_no_one_else_can(app, client, provider):
    from alma.billing import service as billing
    from alma.network.models import Client

    owner = Client.create(email="c@example.com", name="C Lient")
    with app.app_context():
        invoice = billing.issue("missed_visit", [("Missed session", 1, 5000)], today(),
                                owed_by_client=owner, collected_by="provider",
                                collecting_provider=provider, treating_provider=provider)
    other = factories.provider(first_name="Other", email="other@example.com")
    http = app.test_client()
    factories.sign_in(http, factories.user_for(other, PASSWORD), PASSWORD)
    assert post(http, f"/practice/invoices/{invoice.number}/paid", {},
                "/practice/invoices").status_code == 404
    assert Invoice.get_by_id(invoice.id).status == "open"
    page = text(client.get("/practice/invoices"))
    assert "They paid me" in page
    response = post(client, f"/practice/invoices/{invoice.number}/paid", {},
                    "/practice/invoices")
    assert response.status_code == 303
    assert Invoice.get_by_id(invoice.id).status == "paid"
    assert "marked paid" in text(client.get("/practice/invoices"))


def test_the_provider_sees_each_claims_state_in_plain_words(app, client, credentialed,
                                                             sandbox):
    def run(job):
        with app.app_context():
            job()

    uhc = factories.payer("unitedhealthcare")
    post(client, "/practice/insurance/clients",
         {**MOVE_IN, "payer": uhc.id, "member_id": "ALMA-ACTIVE-COPAY-DEDUCTIBLE"},
         "/practice/insurance")
    for check in EligibilityCheck.select():
        check.checked_at -= datetime.timedelta(days=5)
        check.save()
    post(client, "/practice/sessions", {"client": ProgramClient.get().id,
                                        "held_on": today().isoformat(), "cpt_code": "90834",
                                        "format": "in_person", "attendance": "attended"})
    page = text(client.get("/practice/sessions"))
    assert "Ready to send" in page and "ALMA-ACTIVE-COPAY-REVERSED" in page  # the test insurer
    run(jobs.submit_claims)
    assert "Sent to UnitedHealthcare" in text(client.get("/practice/sessions"))
    run(jobs.poll_reports)
    assert "Accepted for review" in text(client.get("/practice/sessions"))
    run(jobs.poll_reports)
    page = text(client.get("/practice/sessions"))
    assert "Paid" in page and "PR-1: your plan&#39;s deductible: you pay this part ($125)" in page


def test_the_fee_box_is_unticked_and_hidden_while_attended_is_chosen(app, client,
                                                                    credentialed):
    credentialed.no_show_fee_cents = 5000
    credentialed.save()
    uhc = factories.payer("unitedhealthcare")
    post(client, "/practice/insurance/clients", {**MOVE_IN, "payer": uhc.id},
         "/practice/insurance")
    page = client.get("/practice/sessions").get_data(as_text=True)
    box = page.split('name="charge_fee"')[0].rsplit("<input", 1)[1] + \
        page.split('name="charge_fee"')[1].split(">", 1)[0]
    assert "checked" not in box and 'class="fee-choice"' in page
    css = open(app.static_folder + "/css/app.css").read()
    assert 'form:has(input[name="attendance"][value="attended"]:checked) .fee-choice' in css


def test_a_wrong_no_show_is_voided_from_the_page_by_its_provider_only(app, client,
                                                                     credentialed):
    credentialed.no_show_fee_cents = 5000
    credentialed.save()
    uhc = factories.payer("unitedhealthcare")
    post(client, "/practice/insurance/clients", {**MOVE_IN, "payer": uhc.id},
         "/practice/insurance")
    post(client, "/practice/sessions", {"client": ProgramClient.get().id,
                                        "held_on": today().isoformat(), "cpt_code": "90834",
                                        "format": "in_person", "attendance": "no_show",
                                        "charge_fee": "y"})
    visit = Visit.get()
    assert Invoice.get().kind == "missed_visit"
    void = f"/practice/sessions/{visit.id}/void"
    assert void in text(client.get("/practice/sessions"))
    other = factories.provider(first_name="Other", email="other@example.com")
    http = app.test_client()
    factories.sign_in(http, factories.user_for(other, PASSWORD), PASSWORD)
    assert http.get(void).status_code == 404
    assert post(http, void, {"reason": "Not mine"}, "/practice/sessions").status_code == 404
    assert client.post(void, data={}).status_code == 400  # no CSRF token
    assert "cancels its invoice" in text(client.get(void))
    # Not without saying what was wrong (kept in the audit trail, as billing's claim voids).
    for reason in ("", "   ", "x" * 501):
        refused = post(client, void, {"reason": reason})
        assert refused.status_code == 422 and Visit.select().count() == 1
        assert "What was wrong" in text(refused)
    assert "at most 500 characters" in text(refused) and "x" * 501 in text(refused)
    done = post(client, void, {"reason": "Sam came: wrong button."})
    assert done.status_code == 303 and Visit.select().count() == 0
    assert "Session voided" in text(client.get("/practice/sessions"))
    event = AuditEvent.get(AuditEvent.action == "voided")
    assert event.detail.endswith("The provider said: Sam came: wrong button.")
    assert "wrong button" not in CreditNote.get().reason  # what the client is emailed
