"""The practice menu: on every practice page (the inbox too), offering only what the
provider can use; a page reached anyway says why there is nothing there."""
import datetime

import pytest

from alma.membership.models import Membership
from tests import factories

PASSWORD = "a long and memorable passphrase"
MENU = 'aria-label="Your practice"'


@pytest.fixture
def provider(client, db):
    factories.operate_in("CA")
    p = factories.provider(first_name="Ines", email="ines@example.com")
    factories.sign_in(client, factories.user_for(p, PASSWORD), PASSWORD)
    return p


def _practice_pages(app):
    """Every practice page a provider opens without an id: /practice… and /inbox."""
    return sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if (rule.rule.startswith("/practice") or rule.rule.startswith("/inbox"))
        and "GET" in rule.methods and not rule.arguments and not rule.rule.endswith(".csv"))


def test_every_practice_page_has_the_menu_the_inbox_too(app, client, provider):
    Membership.create(provider=provider, fee_cents=12500, billing_day=5,
                      started_on=datetime.date(2026, 1, 5))
    pages = _practice_pages(app)
    assert "/inbox" in pages and "/practice/sessions" in pages and "/practice/billing" in pages
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert MENU in body, path
        assert 'href="/practice/billing"' in body, path  # a member has a membership to see


def test_a_provider_without_a_membership_is_not_offered_billing_and_is_told_why(
        client, provider):
    inbox = client.get("/inbox").get_data(as_text=True)
    assert MENU in inbox and 'href="/practice/billing"' not in inbox
    assert 'href="/practice/sessions"' in inbox
    page = client.get("/practice/billing")
    body = page.get_data(as_text=True)
    assert page.status_code == 200  # not a 404
    assert "You have no membership, so nothing to bill" in body and 'href="/join"' in body
