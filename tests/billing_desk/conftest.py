"""A billing world: a client's paid copay, a provider's open membership fee, and people
of every kind to sign in as."""
import datetime

import pytest

from alma.accounts.models import User
from alma.billing import service
from alma.clock import today, utcnow
from alma.network.models import Client
from tests import factories

TEAM_ROLES = ["matching", "growth", "credentialing", "billing", "admin"]


@pytest.fixture
def world(app, db):
    with app.test_request_context():
        provider = factories.provider(first_name="Maya", last_name="Okafor",
                                      email="maya@example.com")
        client = Client.create(email="pat.payer@example.org", name="Pat Payer", state="CA")
        copay = service.issue("copay", [("Session, Dec 1", 1, 15000)],
                              due_on=today() + datetime.timedelta(days=7),
                              owed_by_client=client, treating_provider=provider)
        payment, _ = service.record_payment(copay, 15000, "local", "local_paid_copay")
        fee = service.issue("membership_fee", [("Membership, one month", 1, 12500)],
                            due_on=today() + datetime.timedelta(days=3),
                            owed_by_provider=provider)
    return {"provider": provider, "client": client, "copay": copay, "payment": payment,
            "fee": fee}


def person(persona, world=None):
    """A signed-in-able user for a persona: a team role, or the provider."""
    if persona == "provider":
        return factories.user_for(world["provider"])
    return User.create(email=f"{persona}@alma.example", name=f"{persona.title()} Person",
                       roles=persona)


def become(http, user):
    with http.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["seen"] = utcnow().timestamp()


@pytest.fixture
def biller(client, world):
    user = User.create(email="bea@alma.example", name="Bea Biller", roles="billing")
    become(client, user)
    return user


@pytest.fixture
def pay(app):
    """`pay(invoice, cents, gateway, reference)`: a payment recorded as a gateway would."""
    def record(invoice, cents, gateway, reference):
        with app.test_request_context():
            return service.record_payment(invoice, cents, gateway, reference)[0]
    return record
