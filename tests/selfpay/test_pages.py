"""The self-pay pages through real requests: who may open each (the owner provider only;
another provider, each team role and a stranger not; the client only their own document,
from its link), CSRF on every POST, and bad input kept as typed with nothing written."""
import datetime
import re

import pytest

from alma import schedule
from alma.accounts import links, passwords
from alma.accounts.models import EmailLink, User
from alma.audit import AuditEvent
from alma.clock import today, utcnow
from alma.mail.models import OutboundEmail
from alma.selfpay import service
from alma.selfpay.models import (GoodFaithEstimate, PracticeDetails, SelfPayClient, SelfPayPayment,
                                 SelfPaySession, Superbill)
from tests import factories
from tests.conftest import csrf_token_from
from tests.selfpay.conftest import PASSWORD
from tests.selfpay.helpers import DETAILS, client_with_dob, estimate_values, key, session_values

ROLES = ("matching", "growth", "credentialing", "billing", "admin")


def text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def post(http, path, data, page):
    token = csrf_token_from(http.get(page))
    return http.post(path, data={**data, "csrf_token": token})


def form_key(http, page, action):
    """The one-time key of the form posting to `action` on `page`."""
    body = http.get(page).get_data(as_text=True)
    form = body.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return re.search(r'name="submission_key" type="hidden" value="([^"]+)"', form).group(1)


def _signed_in(app, user):
    http = app.test_client()
    factories.sign_in(http, user, PASSWORD)
    return http


def _documents(app, spc):
    with app.app_context():
        estimate = service.issue_estimate(spc, estimate_values(), key())
        session = service.log_session(spc, session_values(), key())
        bill = service.make_superbill(spc, today(), today(), key())
    return estimate, session, bill


def _pages(spc, estimate, session, bill):
    """(method, path) of every self-pay page and action of the owner."""
    return [
        ("GET", "/practice/self-pay"), ("GET", "/practice/self-pay/details"),
        ("POST", "/practice/self-pay/details"), ("POST", "/practice/self-pay/clients"),
        ("GET", f"/practice/self-pay/clients/{spc.id}"),
        ("POST", f"/practice/self-pay/clients/{spc.id}"),
        ("POST", f"/practice/self-pay/clients/{spc.id}/asked"),
        ("POST", f"/practice/self-pay/clients/{spc.id}/estimates"),
        ("GET", f"/practice/self-pay/estimates/{estimate.id}"),
        ("POST", f"/practice/self-pay/estimates/{estimate.id}/send"),
        ("POST", f"/practice/self-pay/clients/{spc.id}/sessions"),
        ("POST", f"/practice/self-pay/sessions/{session.id}/payments"),
        ("POST", f"/practice/self-pay/clients/{spc.id}/superbills"),
        ("GET", f"/practice/self-pay/superbills/{bill.id}"),
        ("POST", f"/practice/self-pay/superbills/{bill.id}/send"),
    ]


def _try(http, method, path):
    if method == "GET":
        return http.get(path)
    return http.post(path, data={"csrf_token": _token(http)})


def _token(http):
    """A good CSRF token of this browser's session, from a page anyone may open."""
    return csrf_token_from(http.get("/me/link"))


def test_the_owner_opens_every_page(app, client, owner, spc):
    estimate, session, bill = _documents(app, spc)
    for method, path in _pages(spc, estimate, session, bill):
        if method == "GET":
            response = client.get(path)
            assert response.status_code == 200, path
            assert 'aria-label="Your practice"' in response.get_data(as_text=True), path


def test_another_provider_gets_404_for_each_client_and_document(app, owner, spc):
    estimate, session, bill = _documents(app, spc)
    other = factories.provider(first_name="Other", email="other@example.com")
    http = _signed_in(app, factories.user_for(other, PASSWORD))
    for method, path in _pages(spc, estimate, session, bill):
        if "/clients/" in path or "/estimates/" in path or "/sessions/" in path \
                or "/superbills/" in path:
            assert _try(http, method, path).status_code == 404, path
    # Their own list shows none of the owner's clients.
    assert "Sam Okafor" not in text(http.get("/practice/self-pay"))
    assert GoodFaithEstimate.select().count() == 1 and SelfPaySession.select().count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_every_team_role_is_refused(app, owner, spc, role):
    estimate, session, bill = _documents(app, spc)
    staff = User.create(email=f"{role}@alma.example", name="Team", roles=role,
                        password_hash=passwords.hash_password(PASSWORD))
    http = _signed_in(app, staff)
    for method, path in _pages(spc, estimate, session, bill):
        assert _try(http, method, path).status_code == 403, (role, path)


def test_a_stranger_is_sent_to_sign_in_and_changes_nothing(app, owner, spc):
    estimate, session, bill = _documents(app, spc)
    http = app.test_client()
    before = AuditEvent.select().count()
    for method, path in _pages(spc, estimate, session, bill):
        response = _try(http, method, path)
        assert response.status_code in (302, 303, 401), path
        assert "/sign-in" in response.headers.get("Location", "/sign-in"), path
    assert GoodFaithEstimate.select().count() == 1 and Superbill.select().count() == 1
    assert AuditEvent.select().count() == before
    # The client's own pages don't open without their link either.
    assert http.get(f"/self-pay/estimates/{estimate.id}").status_code == 404
    assert http.get(f"/self-pay/superbills/{bill.id}").status_code == 404


def test_every_post_needs_its_csrf_token(app, client, owner, spc):
    estimate, session, bill = _documents(app, spc)
    for method, path in _pages(spc, estimate, session, bill):
        if method == "POST":
            assert client.post(path, data={}).status_code == 400, path
    assert GoodFaithEstimate.select().count() == 1


def _link(app, purpose, subject_id):
    with app.app_context():
        return links.create(purpose, subject_id, service.DOCUMENT_LINK_TTL)


def test_the_client_opens_only_their_own_documents_from_the_link(app, owner, spc):
    estimate, session, bill = _documents(app, spc)
    with app.app_context():
        other_spc = client_with_dob(owner, email="other@example.org")
        other = service.issue_estimate(other_spc, estimate_values(), key())
    http = app.test_client()
    token = _link(app, service.ESTIMATE_LINK, estimate.id)
    page = http.get(f"/self-pay/estimates/link/{token}")
    assert page.status_code == 200 and "Open the document" in text(page)
    assert http.get(f"/self-pay/estimates/{estimate.id}").status_code == 404  # not spent yet
    opened = http.post(f"/self-pay/estimates/link/{token}",
                       data={"csrf_token": csrf_token_from(page)})
    assert opened.status_code == 303
    shown = text(http.get(opened.headers["Location"]))
    assert "Good Faith Estimate" in shown and "Sam Okafor" in shown and "1990-04-02" in shown
    assert http.get(f"/self-pay/estimates/{other.id}").status_code == 404
    assert http.get(f"/self-pay/superbills/{bill.id}").status_code == 404
    # A used link says so; the browser that used it goes straight to the page.
    assert http.get(f"/self-pay/estimates/link/{token}").status_code == 302
    assert app.test_client().get(f"/self-pay/estimates/link/{token}").status_code == 410
    viewed = AuditEvent.get((AuditEvent.subject_type == "good_faith_estimate")
                            & (AuditEvent.actor_label == "client (emailed link)"))
    assert viewed.client_id == spc.client_id


def test_a_tampered_or_expired_or_misdirected_link_is_refused(app, owner, spc):
    estimate, session, bill = _documents(app, spc)
    http = app.test_client()
    token = _link(app, service.ESTIMATE_LINK, estimate.id)
    assert http.get(f"/self-pay/estimates/link/{token[:-2]}xx").status_code == 410
    page = http.get(f"/self-pay/estimates/link/{token}")
    tampered = http.post(f"/self-pay/estimates/link/{token}x",
                         data={"csrf_token": csrf_token_from(page)})
    assert tampered.status_code == 410
    # An estimate's link doesn't open a superbill.
    assert http.get(f"/self-pay/superbills/link/{token}").status_code == 410
    EmailLink.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).execute()
    assert http.get(f"/self-pay/estimates/link/{token}").status_code == 410
    expired = http.post(f"/self-pay/estimates/link/{token}",
                        data={"csrf_token": csrf_token_from(page)})
    assert expired.status_code == 410
    assert http.get(f"/self-pay/estimates/{estimate.id}").status_code == 404


# --- Bad input -----------------------------------------------------------------------------------------

def test_the_details_form_keeps_what_was_typed_and_refuses_a_bad_tax_id(client, owner):
    PracticeDetails.delete().execute()
    bad = post(client, "/practice/self-pay/details", {**DETAILS, "tax_id": "00-1234567"},
               "/practice/self-pay/details")
    assert bad.status_code == 422 and "like 12-3456789" in text(bad)
    assert 'value="00-1234567"' in text(bad) and PracticeDetails.select().count() == 0
    control = post(client, "/practice/self-pay/details",
                   {**DETAILS, "street": "1\x00 Main\u202e St", "phone": "x" * 5000},
                   "/practice/self-pay/details")
    assert control.status_code == 422 and PracticeDetails.select().count() == 0
    good = post(client, "/practice/self-pay/details", {**DETAILS, "tax_id": "123456789"},
                "/practice/self-pay/details")
    assert good.status_code == 303 and PracticeDetails.get().tax_id == "12-3456789"


def test_adding_a_client_without_a_date_of_birth_says_so(client, owner):
    bad = post(client, "/practice/self-pay/clients", {"name": "Ana Diaz",
                                                      "email": "ana@example.org"},
               "/practice/self-pay")
    assert bad.status_code == 422 and "date of birth" in text(bad)
    assert 'value="Ana Diaz"' in text(bad) and SelfPayClient.select().count() == 0
    future = post(client, "/practice/self-pay/clients", {
        "name": "Ana Diaz", "email": "ana@example.org",
        "date_of_birth": (today() + datetime.timedelta(days=3)).isoformat()},
        "/practice/self-pay")
    assert future.status_code == 422 and SelfPayClient.select().count() == 0
    good = post(client, "/practice/self-pay/clients", {
        "name": "Ana\u202e Diaz\x00", "email": "ana@example.org", "date_of_birth": "1988-01-31"},
        "/practice/self-pay")
    assert good.status_code == 303 and SelfPayClient.get().name == "Ana Diaz"


def test_an_impossible_diagnosis_code_is_refused_and_nothing_is_half_written(client, owner,
                                                                              spc):
    page = f"/practice/self-pay/clients/{spc.id}"
    bad = post(client, page, {"name": "Sam Okafor", "date_of_birth": "1990-04-02",
                              "street": "9 New Rd", "city": "Oakland", "state": "CA",
                              "zip": "94601", "diagnosis_codes": "F41.1 41.9"}, page)
    assert bad.status_code == 422 and "an ICD-10-CM code: a letter" in text(bad)
    assert 'value="F41.1 41.9"' in text(bad)
    kept = SelfPayClient.get_by_id(spc.id)
    assert kept.street == "1 Elm St" and kept.diagnosis_codes == "F41.1"
    missing = post(client, page, {"name": "Sam Okafor", "date_of_birth": ""}, page)
    assert missing.status_code == 422 and "date of birth" in text(missing)
    good = post(client, page, {"name": "Sam Okafor", "date_of_birth": "1990-04-02",
                               "diagnosis_codes": "f43.10"}, page)
    assert good.status_code == 303 and SelfPayClient.get_by_id(spc.id).codes == ["F43.10"]


def test_an_estimate_form_with_bad_values_keeps_them(client, owner, spc):
    page = f"/practice/self-pay/clients/{spc.id}"
    action = f"/practice/self-pay/clients/{spc.id}/estimates"
    values = {"primary_service": "Therapy", "first_code": "90791", "code": "90837",
              "sessions": "99999999999", "months": "13", "period_start": today().isoformat(),
              "rate": "NaN", "diagnosis_codes": "", "submission_key": form_key(client, page,
                                                                                action)}
    bad = post(client, action, values, page)
    assert bad.status_code == 422 and GoodFaithEstimate.select().count() == 0
    assert "from 1 to 12 months" in text(bad) and 'value="NaN"' in text(bad)
    good = post(client, action, {**values, "sessions": "6", "months": "6", "rate": "150"}, page)
    assert good.status_code == 303
    again = post(client, action, {**values, "sessions": "6", "months": "6", "rate": "150"}, page)
    assert again.status_code == 303 and GoodFaithEstimate.select().count() == 1
    shown = text(client.get(good.headers["Location"]))
    assert "$900" in shown and "cms.gov/nosurprises" in shown and "12-3456789" in shown


def test_logging_past_the_threshold_warns_and_asks_for_a_confirmation(app, client, owner, spc):
    with app.app_context():
        service.issue_estimate(spc, estimate_values(sessions=2), key())  # $300
        for _ in range(4):
            service.log_session(spc, session_values(), key())  # $600
    page = f"/practice/self-pay/clients/{spc.id}"
    shown = text(client.get(page))
    assert "Before you bill more" in shown and "One more session" in shown
    assert "log it anyway" in shown
    action = f"/practice/self-pay/clients/{spc.id}/sessions"
    values = {"held_on": today().isoformat(), "cpt_code": "90837", "place_of_service": "10",
              "fee": "150", "submission_key": form_key(client, page, action)}
    refused = post(client, action, values, page)
    assert refused.status_code == 409 and "$450 above" in text(refused)
    assert SelfPaySession.select().count() == 4
    done = post(client, action, {**values, "confirm_over_estimate": "y"}, page)
    assert done.status_code == 303 and SelfPaySession.select().count() == 5


def test_past_the_estimate_s_period_the_page_asks_for_a_new_one(app, client, owner, spc):
    with app.app_context():
        service.issue_estimate(spc, estimate_values(
            months=1, period_start=today() - datetime.timedelta(days=70)), key())
    shown = text(client.get(f"/practice/self-pay/clients/{spc.id}"))
    assert "have no good-faith estimate" in shown and "log it anyway" not in shown
    assert "a new one is needed" in text(client.get("/practice/self-pay"))


def test_a_payment_form_refuses_more_than_owed_and_records_once(app, client, owner, spc):
    with app.app_context():
        session = service.log_session(spc, session_values(), key())
    page = f"/practice/self-pay/clients/{spc.id}"
    action = f"/practice/self-pay/sessions/{session.id}/payments"
    body = client.get(page).get_data(as_text=True)
    form = body.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    pkey = re.search(r'name="p\d+-submission_key" type="hidden" value="([^"]+)"', form).group(1)
    prefix = f"p{session.id}-"
    values = {prefix + "amount": "1000000", prefix + "received_on": today().isoformat(),
              prefix + "method": "card", prefix + "submission_key": pkey}
    bad = post(client, action, values, page)
    assert bad.status_code == 422 and SelfPayPayment.select().count() == 0
    values[prefix + "amount"] = "150"
    assert post(client, action, values, page).status_code == 303
    assert post(client, action, values, page).status_code == 303
    assert SelfPayPayment.select().count() == 1


def test_a_superbill_range_in_the_future_or_backwards_is_refused(app, client, owner, spc):
    with app.app_context():
        service.log_session(spc, session_values(), key())
    page = f"/practice/self-pay/clients/{spc.id}"
    action = f"/practice/self-pay/clients/{spc.id}/superbills"
    skey = form_key(client, page, action)
    tomorrow = (today() + datetime.timedelta(days=1)).isoformat()
    future = post(client, action, {"starts_on": today().isoformat(), "ends_on": tomorrow,
                                   "submission_key": skey}, page)
    assert future.status_code == 422 and f'value="{tomorrow}"' in text(future)
    backwards = post(client, action, {
        "starts_on": today().isoformat(),
        "ends_on": (today() - datetime.timedelta(days=1)).isoformat(), "submission_key": skey},
        page)
    assert backwards.status_code == 422 and "starts on or before" in text(backwards)
    assert Superbill.select().count() == 0
    good = post(client, action, {"starts_on": today().replace(day=1).isoformat(),
                                 "ends_on": today().isoformat(), "submission_key": skey}, page)
    assert good.status_code == 303 and Superbill.select().count() == 1
    assert OutboundEmail.get(OutboundEmail.template == "superbill_sent")


def test_seeing_and_changing_a_client_is_audited(client, owner, spc):
    page = f"/practice/self-pay/clients/{spc.id}"
    client.get(page)
    post(client, page, {"name": "Sam Okafor", "date_of_birth": "1990-04-02"}, page)
    client.get("/practice/self-pay")
    events = [(e.action, e.subject_type) for e in AuditEvent.select().where(
        AuditEvent.client == spc.client_id).order_by(AuditEvent.id)]
    assert ("viewed", "self_pay_client") in events and ("changed", "self_pay_client") in events
    assert ("viewed", "self_pay_clients") in events
    assert all(e.actor.provider_id == owner.id for e in AuditEvent.select().where(
        AuditEvent.action.in_(["viewed", "changed"])
        & AuditEvent.subject_type.startswith("self_pay_client")))


def test_a_superseded_estimate_says_so_to_the_client_and_stays_as_issued(app, owner, spc):
    with app.app_context():
        first = service.issue_estimate(spc, estimate_values(), key())
        service.issue_estimate(spc, estimate_values(sessions=8), key())
    http = app.test_client()
    token = _link(app, service.ESTIMATE_LINK, first.id)
    page = http.get(f"/self-pay/estimates/link/{token}")
    opened = http.post(f"/self-pay/estimates/link/{token}",
                       data={"csrf_token": csrf_token_from(page)})
    shown = text(http.get(opened.headers["Location"]))
    assert "replaced by a newer one" in shown and "$600" in shown


def test_the_reminder_job_is_on_the_schedule():
    function, seconds = schedule.registry()["remind-estimates-due"]
    assert function.__module__ == "alma.selfpay.jobs" and seconds <= 3600
