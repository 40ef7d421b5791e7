"""Every /team route against every kind of visitor: each gets exactly what it should."""
import datetime
import re

import pytest

from alma.accounts.models import User
from alma.clock import utcnow
from alma.mail.models import FAILED, OutboundEmail
from alma.matching.models import MatchRequest
from alma.membership.models import Membership
from alma.network.models import Client
from tests import factories
from tests.conftest import csrf_token_from

PERSONAS = ["anonymous", "client", "provider", "matching", "growth", "credentialing", "billing",
            "admin"]
# route -> the team roles allowed (admin always is)
ROUTES = [
    ("GET", "/team", {"matching", "growth", "credentialing", "billing"}),
    ("GET", "/team/matching", {"matching"}),
    ("GET", "/team/matching/{match}", {"matching"}),
    ("POST", "/team/matching/{match}/work", {"matching"}),
    ("POST", "/team/matching/{match}/propose", {"matching"}),
    ("POST", "/team/matching/{match}/opportunities", {"matching"}),
    ("POST", "/team/matching/{match}/close", {"matching"}),
    ("GET", "/team/states", {"matching"}),
    ("GET", "/team/states/WY/launch", {"matching"}),
    ("POST", "/team/states/WY/launch", {"matching"}),
    ("GET", "/team/members", set()),
    ("POST", "/team/members", set()),
    ("POST", "/team/members/{other}/remove", set()),
    ("GET", "/team/audit?client=x@example.org", set()),
    ("GET", "/team/applications", {"growth"}),
    ("GET", "/team/applications/{application}", {"growth"}),
    ("POST", "/team/applications/{application}/notes", {"growth"}),
    ("POST", "/team/applications/{application}/approve", {"growth"}),
    ("POST", "/team/applications/{application}/reject", {"growth"}),
    ("GET", "/team/availability", {"growth"}),
    ("POST", "/team/availability", {"growth"}),
    ("GET", "/team/credentialing", {"credentialing"}),
    ("GET", "/team/credentialing?show=all", {"credentialing"}),
    ("GET", "/team/credentialing/{case}", {"credentialing"}),
    ("POST", "/team/credentialing/{case}", {"credentialing"}),
]
# The provider's own pages: only a provider (whoever else is signed in gets 403).
PRACTICE_ROUTES = [("GET", "/practice"), ("POST", "/practice"), ("POST", "/practice/visibility"),
                   ("POST", "/practice/photo"), ("POST", "/practice/photo/remove"),
                   ("GET", "/inbox"), ("GET", "/practice/billing"),
                   ("POST", "/practice/billing/pause"), ("POST", "/practice/billing/cancel"),
                   ("GET", "/practice/leave"), ("POST", "/practice/leave"),
                   ("GET", "/practice/clients"), ("POST", "/practice/clients"),
                   ("GET", "/practice/clients.csv"), ("GET", "/practice/invoices.csv"),
                   ("GET", "/practice/invoices"),
                   ("GET", "/practice/insurance"), ("POST", "/practice/insurance/enrol"),
                   ("POST", "/practice/insurance/notice"), ("POST", "/practice/insurance/fees"),
                   ("POST", "/practice/insurance/clients"),
                   ("GET", "/practice/sessions"), ("POST", "/practice/sessions")]


@pytest.fixture
def world(db):
    factories.operate_in("CA")
    provider = factories.provider(email="prov@example.com")
    Membership.create(provider=provider, fee_cents=12500, billing_day=5,
                      started_on=datetime.date(2026, 1, 5))
    client = Client.create(email="x@example.org", name="Xan Client", state="CA")
    match = MatchRequest.create(client=client, name=client.name, origin="client_form",
                                state="CA", due_at=utcnow())
    other = User.create(email="other@alma.example", name="Other", roles="growth")
    from alma.membership.models import MembershipApplication

    application = MembershipApplication.create(
        name="App Licant", email="app@example.org", npi="1234567893", gender="woman",
        practice_state="CA", may_join=True, submission_key="k")
    from alma.program.models import CredentialingCase, InsuranceEnrollment

    enrollment = InsuranceEnrollment.create(
        provider=provider, open_for=provider.id, caqh_id="12345678",
        caqh_attested_on=datetime.date(2026, 11, 1), malpractice_carrier="CPH",
        malpractice_expires_on=datetime.date(2027, 11, 1), attestation_signed_at=utcnow())
    case = CredentialingCase.create(enrollment=enrollment, payer=factories.payer("aetna"),
                                    opened_on=datetime.date(2026, 11, 2))
    return {"provider": provider, "client": client, "match": match, "other": other,
            "application": application, "case": case}


def become(http, world, persona):
    if persona == "anonymous":
        return
    with http.session_transaction() as session:
        if persona == "client":
            session["client_id"] = world["client"].id
            session["client_seen"] = utcnow().timestamp()
            return
        if persona == "provider":
            user = factories.user_for(world["provider"])
        else:
            user = User.create(email=f"{persona}@alma.example", name=persona.title(),
                               roles=persona)
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["seen"] = utcnow().timestamp()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method,path,roles", ROUTES,
                         ids=[f"{m} {p.split('?')[0]}" for m, p, _ in ROUTES])
def test_team_route(client, world, persona, method, path, roles):
    become(client, world, persona)
    path = path.format(match=world["match"].id, other=world["other"].id,
                       application=world["application"].id, case=world["case"].id)
    if method == "GET":
        response = client.get(path)
    else:
        token = csrf_token_from(client.get("/sign-in"))
        response = client.post(path, data={"csrf_token": token})
    allowed = persona == "admin" or persona in roles
    if persona in ("anonymous", "client"):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif not allowed:
        assert response.status_code == 403
    else:
        # It reached the page: shown, done, or refused for what was (not) sent.
        assert response.status_code in (200, 303, 409, 422), response.status_code


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method,path", PRACTICE_ROUTES, ids=[f"{m} {p}" for m, p in
                                                               PRACTICE_ROUTES])
def test_practice_route(client, world, persona, method, path):
    become(client, world, persona)
    if method == "GET":
        response = client.get(path)
    else:
        token = csrf_token_from(client.get("/sign-in"))
        response = client.post(path, data={"csrf_token": token})
    if persona in ("anonymous", "client"):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif persona != "provider":
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 303, 422), response.status_code


@pytest.mark.parametrize("persona", ["matching", "growth", "credentialing", "billing", "admin"])
def test_only_admins_see_the_emails_that_failed(client, world, persona):
    # Their addresses and subjects are about clients; admins run the mail server.
    OutboundEmail.create(to_address="bounce@example.org", subject="Your request to Dr Who",
                         text_body="…", html_body="…", template="test", status=FAILED,
                         message_id="<failed@test>", last_error="550 no such user")
    become(client, world, persona)
    page = client.get("/team").get_data(as_text=True)
    assert ("bounce@example.org" in page) == (persona == "admin")
    assert ("Emails that failed" in page) == (persona == "admin")


@pytest.mark.parametrize("persona", ["matching", "growth", "credentialing", "billing", "admin"])
def test_the_dashboard_links_only_to_pages_the_role_may_open(client, world, persona):
    # A link that answers 403 is a dead end (the oldest waiting match, for non-matchers).
    become(client, world, persona)
    page = client.get("/team").get_data(as_text=True)
    links = set(re.findall(r'href="(/team[^"#]*)"', page))
    assert links
    for link in links:
        status = client.get(link.replace("&amp;", "&")).status_code
        assert status == 200, (link, status)
