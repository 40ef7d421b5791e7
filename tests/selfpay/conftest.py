"""The self-pay pages' provider, signed in, and their self-pay client."""
import pytest

from tests import factories
from tests.selfpay.helpers import client_with_dob, provider_with_details

PASSWORD = "a long and memorable passphrase"


@pytest.fixture
def owner(client, db):
    provider = provider_with_details(first_name="Ines", email="ines@example.com",
                                     cash_rate_cents=15000)
    factories.sign_in(client, factories.user_for(provider, PASSWORD), PASSWORD)
    return provider


@pytest.fixture
def spc(app, owner):
    with app.app_context():
        return client_with_dob(owner)
