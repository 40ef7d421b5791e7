"""Self-pay test data: a provider with their practice details, and a self-pay client."""
import datetime
import uuid

from alma.clock import today
from alma.consultations import service as consultations
from alma.selfpay import service
from tests import factories

DETAILS = {"tax_id": "12-3456789", "street": "100 Market St", "city": "San Francisco",
           "state": "CA", "zip": "94105", "phone": "(415) 555-0100"}


def provider_with_details(**fields):
    factories.operate_in("CA")
    provider = factories.provider(**fields)
    service.save_details(provider, DETAILS)
    return provider


def self_pay_request(provider, email="sam@example.org", name="Sam Okafor"):
    request, _ = consultations.submit(provider, consultations.Submission(
        name=name, email=email, phone="", state="CA", payer=None, member_id="", self_pay=True,
        concerns="Panic attacks.", preferred_format="telehealth", availability="",
        submission_key=uuid.uuid4().hex))
    return request


def key():
    return uuid.uuid4().hex


def client_with_dob(provider, email="sam@example.org"):
    spc, _ = service.add_client(provider, {
        "email": email, "name": "Sam Okafor", "date_of_birth": datetime.date(1990, 4, 2)})
    spc.date_of_birth = datetime.date(1990, 4, 2)
    spc.street, spc.city, spc.state, spc.zip = "1 Elm St", "Oakland", "CA", "94601"
    spc.diagnosis_codes = "F41.1"
    spc.save()
    return spc


def estimate_values(**changes):
    values = {"primary_service": "Individual psychotherapy", "first_code": "90791",
              "code": "90837", "sessions": 4, "months": 3, "period_start": today(),
              "rate_cents": 15000, "diagnosis_codes": "F41.1"}
    values.update(changes)
    return values


def session_values(days_ago=0, fee_cents=15000, **changes):
    values = {"held_on": today() - datetime.timedelta(days=days_ago), "cpt_code": "90837",
              "place_of_service": "10", "fee_cents": fee_cents, "diagnosis_codes": ""}
    values.update(changes)
    return values
