"""Every billing desk page and POST against every kind of visitor: the billing team and
admins get in; every other team role and a provider get 403; a stranger or a client who
only opened an emailed link is sent to sign in. A refused POST writes nothing."""
import datetime

import pytest

from alma.billing.models import CreditNote, Refund
from alma.clock import today, utcnow
from tests.billing_desk.conftest import TEAM_ROLES, become, person
from tests.billing_desk.helpers import key_from
from tests.conftest import csrf_token_from

PERSONAS = ["stranger", "client", "provider", *TEAM_ROLES]
ALLOWED = {"billing", "admin"}
ROUTES = [
    ("GET", "/team/billing"),
    ("GET", "/team/billing?q=pat&status=paid"),
    ("GET", "/team/billing/invoices/{copay}"),
    ("GET", "/team/billing/payments/{payment}/refund"),
    ("POST", "/team/billing/payments/{payment}/refund"),
    ("POST", "/team/billing/payments/{payment}/refund/confirm"),
    ("GET", "/team/billing/invoices/{fee}/credit"),
    ("POST", "/team/billing/invoices/{fee}/credit"),
    ("POST", "/team/billing/invoices/{fee}/credit/confirm"),
    ("GET", "/team/billing/money"),
    ("GET", "/team/billing/money?start={week_ago}&end={today}"),
    ("GET", "/team/billing/money.csv"),
    ("GET", "/team/billing/money/{today}"),
]


def sign_in_as(http, world, persona):
    if persona == "stranger":
        return
    if persona == "client":  # a client who opened their invoice from its email
        with http.session_transaction() as session:
            session["invoice_ids"] = [world["copay"].id]
            session["client_id"] = world["client"].id
            session["client_seen"] = utcnow().timestamp()
        return
    become(http, person(persona, world))


def full_form(http):
    """A complete, valid form for any of the POSTs, as the billing team's pages send it."""
    return {"csrf_token": csrf_token_from(http.get("/sign-in")), "key": "k" * 32,
            "amount": "10", "reason": "Goodwill", "after": "credit"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method,path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_billing_desk_route(client, world, persona, method, path):
    sign_in_as(client, world, persona)
    path = path.format(copay=world["copay"].number, fee=world["fee"].number,
                       payment=world["payment"].id, today=today().isoformat(),
                       week_ago=(today() - datetime.timedelta(days=7)).isoformat())
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data=full_form(client))
    if persona in ("stranger", "client"):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif persona not in ALLOWED:
        assert response.status_code == 403
    else:
        # Shown (a review is shown), or done and redirected to the invoice.
        assert response.status_code in (200, 303), response.status_code
    made = Refund.select().count() + CreditNote.select().count()
    if persona in ALLOWED and path.endswith("/confirm"):
        assert made >= 1
    else:
        assert made == 0


def test_a_team_member_with_billing_among_other_roles_gets_in(client, world):
    from alma.accounts.models import User

    user = User.create(email="two@alma.example", name="Two Hats", roles="matching,billing")
    become(client, user)
    assert client.get("/team/billing").status_code == 200


def test_the_console_links_the_desk_for_billing_and_admins_only(client, world):
    for persona in TEAM_ROLES:
        http = client.application.test_client()
        become(http, person(persona, world))
        text = http.get("/team").get_data(as_text=True)
        linked = 'href="/team/billing"' in text
        assert linked == (persona in ALLOWED), persona
        assert ('id="billing-h"' in text) == (persona in ALLOWED)


def test_every_post_needs_its_csrf_token(client, world):
    become(client, person("billing", world))
    page = client.get(f"/team/billing/payments/{world['payment'].id}/refund")
    data = {"key": key_from(page), "amount": "10", "reason": "Goodwill", "after": "credit"}
    for path in (f"/team/billing/payments/{world['payment'].id}/refund/confirm",
                 f"/team/billing/invoices/{world['fee'].number}/credit/confirm"):
        assert client.post(path, data=data).status_code == 400
        assert client.post(path, data={**data, "csrf_token": "made-up"}).status_code == 400
    assert Refund.select().count() + CreditNote.select().count() == 0
