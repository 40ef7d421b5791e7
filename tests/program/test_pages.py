"""The program's pages through real HTTP requests to the app: enrolling, the credentialing
team's queue, moving clients in, and each form's good and bad input. (Benefit checks' pages
are tests/benefits/test_pages.py; sessions' are tests/claims/test_pages.py.)"""
import datetime
import re

import pytest

from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.benefits.models import EligibilityCheck
from alma.claims.models import Visit
from alma.clock import today
from alma.network.models import NetworkParticipation, ProgramClient
from alma.program import credentialing
from alma.program.models import CredentialingCase, InsuranceEnrollment
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
    post(team, path, {"action": "checklist", "checked": list(credentialing.CHECKLIST),
                      "notes": "ok"})
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
            for field in credentialing.CHECKLIST:
                setattr(case, field, True)
            case.save()
            credentialing.approve(case, today() - datetime.timedelta(days=30), staff)
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
                                                 "checked": list(credentialing.CHECKLIST)})
    bad = post(team, f"/team/credentialing/{case.id}", {"action": "approve",
                                                       "effective_on": "next tuesday"})
    assert bad.status_code == 422 and CredentialingCase.get_by_id(case.id).status == \
        "submitted"
    assert NetworkParticipation.select().count() == 0
