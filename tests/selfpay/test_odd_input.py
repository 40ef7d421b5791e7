"""Every field of every self-pay form, sent what people (and scripts) send: line breaks,
control and bidi characters, NUL, huge and empty values, spaces only, digits of other
scripts, dates in year 1 and 9999. Never a 500; what is refused writes nothing."""
from alma.clock import today
from alma.selfpay import service
from alma.selfpay.models import (GoodFaithEstimate, PracticeDetails, SelfPayClient, SelfPayPayment,
                                 SelfPaySession, Superbill)
from tests.conftest import csrf_token_from
from tests.selfpay.helpers import estimate_values, key, session_values

ODD = ["line one\nline two", "a\x00b", "\u202egnp.exe", "x" * 5000, "", "   ", "١٢٣",
       "١٩٩٠-٠٤-٠٢", "0001-01-01", "9999-12-31", "-1", "1e309", "Ｆ４１.１", "١٢٣٤٥"]


def _forms(spc, session_id):
    day = today().isoformat()
    return {
        "/practice/self-pay/details": {
            "tax_id": "12-3456789", "street": "1 Main St", "city": "Oakland", "state": "CA",
            "zip": "94601", "phone": "(415) 555-0100"},
        "/practice/self-pay/clients": {
            "name": "Ana Ruiz", "email": "ana@example.org", "date_of_birth": "1991-02-03"},
        f"/practice/self-pay/clients/{spc.id}": {
            "name": "Sam Okafor", "date_of_birth": "1990-04-02", "street": "1 Elm St",
            "city": "Oakland", "state": "CA", "zip": "94601", "diagnosis_codes": "F41.1",
            "agreed_rate": "120", "first_session_on": day},
        f"/practice/self-pay/clients/{spc.id}/estimates": {
            "primary_service": "Therapy", "first_code": "90791", "code": "90837",
            "sessions": "6", "months": "3", "period_start": day, "rate": "150",
            "diagnosis_codes": "F41.1", "submission_key": key()},
        f"/practice/self-pay/clients/{spc.id}/sessions": {
            "held_on": day, "cpt_code": "90837", "place_of_service": "10", "fee": "150",
            "diagnosis_codes": "F41.1", "submission_key": key()},
        f"/practice/self-pay/sessions/{session_id}/payments": {
            f"p{session_id}-amount": "10", f"p{session_id}-received_on": day,
            f"p{session_id}-method": "card", f"p{session_id}-submission_key": key()},
        f"/practice/self-pay/clients/{spc.id}/superbills": {
            "starts_on": day, "ends_on": day, "submission_key": key()},
    }


def _counts():
    return [model.select().count() for model in (PracticeDetails, SelfPayClient,
                                                 GoodFaithEstimate, SelfPaySession,
                                                 SelfPayPayment, Superbill)]


def test_odd_values_in_every_field_never_break_a_page(app, client, owner, spc):
    with app.app_context():
        service.issue_estimate(spc, estimate_values(sessions=60, months=12), key())
        session_id = service.log_session(spc, session_values(), key()).id
    token = csrf_token_from(client.get("/practice/self-pay/details"))
    failures = []
    for path, base in _forms(spc, session_id).items():
        for field in base:
            for value in ODD:
                data = {**base, field: value, "csrf_token": token}
                if "submission_key" in data or "-submission_key" in field:
                    for name in list(data):
                        if name.endswith("submission_key") and name != field:
                            data[name] = key()
                before = _counts()
                response = client.post(path, data=data)
                if response.status_code >= 500:
                    failures.append((path, field, value[:20], response.status_code))
                elif response.status_code == 422 and _counts() != before:
                    failures.append((path, field, value[:20], "written though refused"))
    assert failures == []


def test_a_zip_code_of_other_digits_is_refused(client, owner):
    page = "/practice/self-pay/details"
    data = {"tax_id": "12-3456789", "street": "1 Main St", "city": "Oakland", "state": "CA",
            "zip": "١٢٣٤٥", "phone": "(415) 555-0100",
            "csrf_token": csrf_token_from(client.get(page))}
    response = client.post(page, data=data)
    assert response.status_code == 422 and "5-digit zip code" in response.get_data(as_text=True)
    assert PracticeDetails.get(PracticeDetails.provider == owner.id).zip == "94105"


def test_a_forged_submission_key_makes_a_new_form_not_a_500(app, client, owner, spc):
    page = f"/practice/self-pay/clients/{spc.id}"
    data = {"held_on": today().isoformat(), "cpt_code": "90837", "place_of_service": "10",
            "fee": "150", "diagnosis_codes": "", "submission_key": "k" * 5000,
            "csrf_token": csrf_token_from(client.get(page))}
    assert client.post(f"{page}/sessions", data=data).status_code == 303
    assert client.post(f"{page}/sessions", data=data).status_code == 303
    assert all(len(s.submission_key) == 32 for s in SelfPaySession.select())
