"""The program's pages through real HTTP requests to the app: each form's good and bad input,
benefit checks for every sandbox case, and costs in the directory."""
import datetime
import re

import pytest

from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.billing.models import Invoice
from alma.clock import today
from alma.insurance import sandbox, service
from alma.insurance.models import (Claim, CredentialingCase, EligibilityCheck, InsuranceEnrollment,
                                   ProgramClient, Visit)
from alma.network.models import NetworkParticipation
from tests import factories
from tests.conftest import csrf_token_from

PASSWORD = "a long and memorable passphrase"


def post(http, path, data, page=None):
    token = csrf_token_from(http.get(page or path))
    return http.post(path, data={**data, "csrf_token": token})


def text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def provider(client, db):
    factories.operate_in("CA")
    p = factories.provider(first_name="Ines", email="ines@example.com")
    factories.sign_in(client, factories.user_for(p, PASSWORD), PASSWORD)
    return p


ENROL = {"caqh_id": "12345678", "malpractice_carrier": "CPH", "attest": "y"}


def enrol_form(**changes):
    values = dict(ENROL, caqh_attested_on=(today() - datetime.timedelta(days=5)).isoformat(),
                  malpractice_expires_on=(today() + datetime.timedelta(days=200)).isoformat())
    values.update(changes)
    return values


def test_the_page_says_the_program_is_free_and_what_it_promises(client, provider):
    page = text(client.get("/practice/insurance"))
    assert "No fee: it's included with your membership" in page
    assert "Optum and Aetna under Alma's Tax ID, whatever your current credentials" in page
    assert "telehealth is paid the same as in person" in page and "no minimum" in page
    assert "30 days' notice" in page


def test_enrolling_with_a_mistake_keeps_what_was_typed_and_stores_nothing(client, provider):
    response = post(client, "/practice/insurance/enrol", enrol_form(caqh_id="12ab"),
                    "/practice/insurance")
    assert response.status_code == 422
    page = text(response)
    assert "5 to 10 digits" in page and 'value="CPH"' in page and 'value="12ab"' in page
    assert InsuranceEnrollment.select().count() == 0
    response = post(client, "/practice/insurance/enrol", enrol_form(attest=""),
                    "/practice/insurance")
    assert response.status_code == 422 and "confirm the attestation" in text(response)
    response = post(client, "/practice/insurance/enrol", enrol_form(), "/practice/insurance")
    assert response.status_code == 303
    assert {c.payer.slug for c in CredentialingCase.select()} == {"optum", "aetna"}


def test_a_limited_licence_sees_why_and_cannot_enrol(client, db):
    factories.operate_in("MI")
    limited = factories.provider(state="MI", license_type="LLP", level="limited",
                                 email="llp@example.com")
    factories.sign_in(client, factories.user_for(limited, PASSWORD), PASSWORD)
    assert "needs a full licence" in text(client.get("/practice/insurance"))
    response = post(client, "/practice/insurance/enrol", enrol_form(), "/practice/insurance")
    assert response.status_code == 409 and InsuranceEnrollment.select().count() == 0


@pytest.fixture
def staff(app, db):
    from alma.accounts import passwords

    return User.create(email="cred@alma.example", name="Casey", roles="credentialing",
                       password_hash=passwords.hash_password(PASSWORD))


def test_the_credentialing_team_works_a_case_to_approval(app, db, provider, staff):
    with app.test_client() as provider_http:
        factories.sign_in(provider_http, User.get(User.email == provider.email), PASSWORD)
        post(provider_http, "/practice/insurance/enrol", enrol_form(), "/practice/insurance")
    team = app.test_client()
    factories.sign_in(team, staff, PASSWORD)
    queue = text(team.get("/team/credentialing"))
    assert "Ines" in queue and "0 of 4" in queue
    case = CredentialingCase.get(CredentialingCase.payer == factories.payer("aetna"))
    path = f"/team/credentialing/{case.id}"
    response = post(team, path, {"action": "approve", "effective_on": today().isoformat()})
    assert response.status_code == 409 and "Before approving" in text(response)
    response = post(team, path, {"action": "deny", "reason": ""})
    assert response.status_code == 422 and "Say why" in text(response)
    post(team, path, {"action": "checklist", "checked": list(service.CHECKLIST), "notes": "ok"})
    assert "4 of 4" in text(team.get("/team/credentialing"))
    response = post(team, path, {"action": "approve", "effective_on": today().isoformat()})
    assert response.status_code == 303
    assert CredentialingCase.get_by_id(case.id).status == "approved"
    assert NetworkParticipation.select().where(
        (NetworkParticipation.provider == provider.id)
        & (NetworkParticipation.via == "group")).count() == 1
    page = text(client_page := team.get(path))
    assert client_page.status_code == 200 and "Approved" in page
    assert AuditEvent.select().where(AuditEvent.subject_type == "credentialing_case").count() >= 3


@pytest.fixture
def credentialed(app, db, client, provider, staff):
    post(client, "/practice/insurance/enrol", enrol_form(), "/practice/insurance")
    with app.app_context():
        for case in CredentialingCase.select():
            for field in service.CHECKLIST:
                setattr(case, field, True)
            case.save()
            service.approve(case, today() - datetime.timedelta(days=30), staff)
    return provider


MOVE_IN = {"first_name": "Sam", "last_name": "Rivera", "date_of_birth": "1990-04-02",
           "gender": "U", "email": "sam@example.com", "member_id": "ALMA-ACTIVE-COPAY",
           "address": "12 Elm St", "city": "Oakland", "state": "CA", "zip": "94607",
           "diagnosis_code": "F41.1", "tell": "y"}


def test_moving_a_client_in_checks_their_benefits_and_tells_them(client, credentialed):
    uhc = factories.payer("unitedhealthcare")
    bad = post(client, "/practice/insurance/clients", {**MOVE_IN, "payer": uhc.id,
                                                       "diagnosis_code": "anxiety"},
               "/practice/insurance")
    assert bad.status_code == 422 and "ICD-10" in text(bad) and 'value="Rivera"' in text(bad)
    assert ProgramClient.select().count() == 0
    cigna = factories.payer("cigna")
    bad = post(client, "/practice/insurance/clients", {**MOVE_IN, "payer": cigna.id},
               "/practice/insurance")
    assert bad.status_code == 422 and ProgramClient.select().count() == 0
    done = post(client, "/practice/insurance/clients", {**MOVE_IN, "payer": uhc.id},
                "/practice/insurance")
    assert done.status_code == 303
    page = text(client.get("/practice/insurance"))
    assert "Sam Rivera" in page and "about $25 a session" in page
    assert EligibilityCheck.select().count() == 1
    assert AuditEvent.select().where((AuditEvent.subject_type == "program_client")
                                     & (AuditEvent.action == "viewed")).count() >= 1


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


def test_another_providers_client_is_not_found(app, client, credentialed):
    uhc = factories.payer("unitedhealthcare")
    post(client, "/practice/insurance/clients", {**MOVE_IN, "payer": uhc.id},
         "/practice/insurance")
    program_client = ProgramClient.get()
    other = factories.provider(first_name="Other", email="other@example.com")
    http = app.test_client()
    factories.sign_in(http, factories.user_for(other, PASSWORD), PASSWORD)
    response = post(http, f"/practice/insurance/clients/{program_client.id}/check", {},
                    "/practice/insurance")
    assert response.status_code == 404
    response = post(http, "/practice/sessions", {"client": program_client.id,
                                                 "held_on": today().isoformat(),
                                                 "cpt_code": "90834", "format": "telehealth",
                                                 "attendance": "attended"})
    assert response.status_code == 422 and Visit.select().count() == 0
    assert "Sam Rivera" not in text(http.get("/practice/insurance"))


# --- A client checking their own benefits --------------------------------------------------------

def check_form(member_id, payer="unitedhealthcare"):
    return {"payer": payer, "member_id": member_id, "first_name": "Sam",
            "last_name": "Rivera", "date_of_birth": "1990-04-02"}


@pytest.mark.parametrize("member_id,says", [
    ("ALMA-ACTIVE-COPAY", ["A session will cost you about $25", "You've met your deductible",
                           "A firm estimate"]),
    ("ALMA-COINS-DEDUCT", ["A session will cost you about $125",
                           "$1,200 of your deductible ($1,500) is left",
                           "20% of it", "A likely estimate"]),
    ("ALMA-INACTIVE", ["isn't active: it ended on March 31, 2025"]),
    ("ALMA-CARVE-OUT", ["A session will cost you about $30",
                        "passes mental-health benefits to Optum Behavioral Health"]),
    ("ALMA-NOT-COVERED", ["doesn't cover mental-health visits"]),
    ("ALMA-OOP-MET", ["A session will cost you nothing", "reached your out-of-pocket maximum"]),
])
def test_every_sandbox_case_reads_as_a_plain_answer(client, db, member_id, says):
    response = post(client, "/benefits", check_form(member_id))
    assert response.status_code == 303
    stored = EligibilityCheck.get()
    # The visitor's name and date of birth are not kept, nor the answer that repeats them.
    assert "Rivera" not in str(stored.__data__) and "1990" not in str(stored.__data__)
    page = text(client.get(response.headers["Location"]))
    for words in says:
        assert words in page, words


@pytest.mark.parametrize("member_id,status,says", [
    ("ALMA-PAYER-ERROR", 503, "try again"),
    ("ALMA-TIMEOUT", 503, "in time"),
    ("NOBODY-123", 422, "member ID"),
])
def test_a_failed_check_is_explained_keeps_the_form_and_stores_nothing(
        client, db, member_id, status, says):
    response = post(client, "/benefits", check_form(member_id))
    assert response.status_code == status
    page = text(response)
    assert says in page and f'value="{member_id}"' in page and 'value="Rivera"' in page
    assert EligibilityCheck.select().count() == 0


@pytest.fixture
def over_http(app):
    server, url = sandbox.serve()
    saved = {k: app.config[k] for k in ("ELIGIBILITY_GATEWAY", "ELIGIBILITY_URL",
                                        "ELIGIBILITY_TIMEOUT_SECONDS")}
    app.config.update(ELIGIBILITY_GATEWAY="http", ELIGIBILITY_URL=url,
                      ELIGIBILITY_TIMEOUT_SECONDS=0.5)
    yield url
    app.config.update(saved)
    sandbox.shutdown(server)


def test_checks_over_real_http_including_a_timeout(client, db, over_http):
    response = post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    assert response.status_code == 303
    assert EligibilityCheck.get().gateway == "http"
    response = post(client, "/benefits", check_form("ALMA-TIMEOUT"))
    assert response.status_code == 503 and "in time" in text(response)
    assert EligibilityCheck.select().count() == 1


def test_other_insurers_get_what_to_ask_and_may_note_the_answers(client, db):
    response = post(client, "/benefits", check_form("ANY", payer="cigna"))
    assert response.status_code == 303 and "/benefits/ask?payer=cigna" in \
        response.headers["Location"]
    page = text(client.get("/benefits/ask?payer=cigna"))
    assert "back of your insurance card" in page and "mental health outpatient visit" in page
    assert "behavioural health" in page
    bad = post(client, "/benefits/ask?payer=cigna", {"payer": "cigna", "deductible_left": "50"},
               "/benefits/ask?payer=cigna")
    assert bad.status_code == 422 and "copay or the coinsurance" in text(bad)
    done = post(client, "/benefits/ask?payer=cigna", {"payer": "cigna", "copay": "30",
                                                      "deductible_left": "0",
                                                      "in_network": "y"},
                "/benefits/ask?payer=cigna")
    assert done.status_code == 303
    assert "Cigna" in text(client.get("/benefits/result"))


def test_the_directory_shows_the_cost_beside_providers_in_network_through_alma(client, db):
    factories.operate_in("CA")
    inside = factories.provider(first_name="Grace", payers=("unitedhealthcare",))
    outside = factories.provider(first_name="Ivy", payers=("unitedhealthcare",))
    NetworkParticipation.update(via="individual").where(
        NetworkParticipation.provider == outside.id).execute()
    before = text(client.get("/providers?state=CA"))
    assert "Your cost" not in before and "Check your insurance benefits" in before
    post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    page = client.get("/providers?state=CA&payment=unitedhealthcare")
    cards = text(page).split('class="card"')
    grace = next(c for c in cards if "Grace" in c)
    ivy = next(c for c in cards if "Ivy" in c)
    assert "Your cost" in grace and "$25 a session with your UnitedHealthcare plan" in grace
    assert "Your cost" not in ivy
    profile = text(client.get(f"/providers/{inside.slug}"))
    assert "$25 a session" in profile and "a firm estimate" in profile
    post(client, "/benefits/forget", {}, "/benefits")
    assert EligibilityCheck.select().count() == 0
    profile = text(client.get(f"/providers/{inside.slug}"))
    assert "$25 a session" not in profile and "Check your insurance benefits" in profile


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


def test_benefit_checks_are_rate_limited_per_address(db, make_app):
    # Each check may cost the group a clearinghouse fee: ten an hour from one address.
    app = make_app(RATELIMIT_ENABLED=True)
    http = app.test_client()
    token = csrf_token_from(http.get("/sign-in"))
    statuses = [http.post("/benefits", data={"csrf_token": token}).status_code
                for _ in range(11)]
    assert statuses == [422] * 10 + [429]


def test_a_visitors_check_is_forgotten_after_90_days(client, db):
    import time_machine

    from alma.insurance import benefits

    post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    assert benefits.forget_visitor_checks() == 0
    with time_machine.travel(datetime.datetime.now() + datetime.timedelta(days=91)):
        assert benefits.forget_visitor_checks() == 1
        assert client.get("/benefits/result").status_code == 303
    assert EligibilityCheck.select().count() == 0


def test_bad_input_on_the_other_forms_is_a_clear_422_that_keeps_what_was_typed(
        app, client, provider, staff):
    # The provider's fees: only once enrolled; a typo keeps the other field, nothing saved.
    early = post(client, "/practice/insurance/fees", {"late_cancel_fee": "75"},
                 "/practice/insurance")
    assert early.status_code == 409 and "Enrol in the insurance program first" in text(early)
    post(client, "/practice/insurance/enrol", enrol_form(), "/practice/insurance")
    bad = post(client, "/practice/insurance/fees", {"late_cancel_fee": "75",
                                                    "no_show_fee": "999"},
               "/practice/insurance")
    assert bad.status_code == 422 and "from $1 to $500" in text(bad) and 'value="75"' in \
        text(bad)
    assert provider.__class__.get_by_id(provider.id).late_cancel_fee_cents is None
    done = post(client, "/practice/insurance/fees", {"late_cancel_fee": "75.505"},
                "/practice/insurance")
    assert done.status_code == 303
    assert provider.__class__.get_by_id(provider.id).late_cancel_fee_cents == 7551
    # A client's noted answers: a percent over 100 is refused; an unknown payer is a 404.
    bad = post(client, "/benefits/ask?payer=cigna", {"payer": "cigna", "coinsurance": "150",
                                                     "copay": "20"},
               "/benefits/ask?payer=cigna")
    assert bad.status_code == 422 and "0 to 100" in text(bad) and 'value="20' in text(bad)
    assert post(client, "/benefits/ask", {"payer": "nobody"}, "/benefits/ask").status_code \
        == 404
    assert EligibilityCheck.select().count() == 0
    # The team's approval date must be a date.
    case = CredentialingCase.get(CredentialingCase.payer == factories.payer("aetna"))
    team = app.test_client()
    factories.sign_in(team, staff, PASSWORD)
    post(team, f"/team/credentialing/{case.id}", {"action": "checklist",
                                                 "checked": list(service.CHECKLIST)})
    bad = post(team, f"/team/credentialing/{case.id}", {"action": "approve",
                                                       "effective_on": "next tuesday"})
    assert bad.status_code == 422 and CredentialingCase.get_by_id(case.id).status == \
        "submitted"
    assert NetworkParticipation.select().count() == 0
