"""The payout pages: who may see what (the permission matrix), what they show, the CSV,
and the billing team's one-click way from a payout line to its claim, remittance, session
and invoice."""
import csv
import io

import pytest

from alma.accounts.models import User
from alma.claims import reconcile
from alma.claims.reconcile_models import ShareReconciliation
from alma.clock import utcnow
from alma.network.models import Client
from alma.payouts.models import PayoutLine, PayoutStatement
from tests import factories
from tests.conftest import csrf_token_from
from tests.payouts.helpers import D, on, paid_claim, run_on

TEAM = ["matching", "growth", "credentialing", "billing", "admin"]


@pytest.fixture
def world(app, in_program, sandbox):
    claim = paid_claim(app, in_program)
    run_on(D(2026, 12, 1))
    statement = PayoutStatement.get(PayoutStatement.provider == in_program.id)
    other = factories.provider(first_name="Otto", email="otto@example.com")
    client = Client.create(email="x@example.org", name="Xan Client", state="CA")
    return {"provider": in_program, "other": other, "claim": claim, "statement": statement,
            "line": PayoutLine.get(), "client": client}


def become(http, world, persona):
    if persona == "anonymous":
        return
    with http.session_transaction() as session:
        if persona == "client":
            session["client_id"] = world["client"].id
            session["client_seen"] = utcnow().timestamp()
            return
        if persona in ("provider", "other"):
            user = factories.user_for(world[persona])
        else:
            user = User.create(email=f"{persona}@alma.example", name=persona.title(),
                               roles=persona)
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["seen"] = utcnow().timestamp()


PERSONAS = ["anonymous", "client", "provider", "other", *TEAM]
PRACTICE = ["/practice/payouts", "/practice/payouts/{statement}",
            "/practice/payouts/{statement}.csv"]
TEAM_ROUTES = [("GET", "/team/payouts"), ("GET", "/team/payouts/{statement}"),
               ("GET", "/team/payouts/{statement}.csv"), ("GET", "/team/payouts/claims/{claim}"),
               ("GET", "/team/payouts/remittances/{remittance}"),
               ("GET", "/team/payouts/visits/{visit}"),
               ("POST", "/team/payouts/providers/{provider}/account")]


def _path(world, path):
    line = world["line"]
    return path.format(statement=world["statement"].id, claim=line.claim_id,
                       remittance=line.remittance_id, visit=line.visit_id,
                       provider=world["provider"].id)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("path", PRACTICE)
def test_a_provider_sees_only_their_own_statements(client, world, persona, path):
    become(client, world, persona)
    response = client.get(_path(world, path))
    if persona in ("anonymous", "client"):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif persona in TEAM:
        assert response.status_code == 403
    elif persona == "other":
        # Their own page, empty; another provider's statement doesn't exist for them.
        assert response.status_code == (200 if path == "/practice/payouts" else 404)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method,path", TEAM_ROUTES, ids=[p for _, p in TEAM_ROUTES])
def test_only_billing_and_admins_see_the_teams_payout_pages(client, world, persona, method,
                                                            path):
    become(client, world, persona)
    if method == "GET":
        response = client.get(_path(world, path))
    else:
        token = csrf_token_from(client.get("/sign-in"))
        response = client.post(_path(world, path), data={"csrf_token": token,
                                                         "account": "acct_1Abc"})
    if persona in ("anonymous", "client"):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif persona in ("billing", "admin"):
        assert response.status_code in (200, 303)
    else:
        assert response.status_code == 403


def test_the_provider_sees_what_is_coming_and_when(client, world, app, sandbox):
    paid_claim(app, world["provider"], paid_on=D(2026, 12, 3), n=1,
               program_client=world["claim"].visit.program_client)
    with on(D(2026, 12, 4)):
        become(client, world, "provider")
        page = client.get("/practice/payouts").get_data(as_text=True)
        statement = client.get(f"/practice/payouts/{world['statement'].id}").get_data(
            as_text=True)
    assert "Coming on December 16, 2026" in page
    assert "For Dec 1 to Dec 15, 2026, so far: <strong>$100</strong>" in page
    assert "Nov 16 – Nov 30, 2026" in page and "Waiting for bank details" in page
    assert "have your bank details yet" in page
    assert world["line"].remittance.trace_number in statement
    assert "/team/" not in statement  # the trace links are the team's


def test_the_csv_is_numbers_and_safe_text(client, world):
    line = world["line"]
    line.description = "=HYPERLINK(\"http://evil.example\")"
    line.save()
    become(client, world, "provider")
    response = client.get(f"/practice/payouts/{world['statement'].id}.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["date", "what", "description", "amount"]
    assert rows[1][2].startswith("'=HYPERLINK") and rows[1][3] == "100.00"
    assert rows[1][4] == world["claim"].patient_control_number
    assert ["", "total", "", "100.00"] in rows


def test_each_line_leads_to_its_claim_remittance_session_and_invoice(client, world):
    become(client, world, "billing")
    page = client.get(f"/team/payouts/{world['statement'].id}").get_data(as_text=True)
    line = world["line"]
    claim_url = f"/team/payouts/claims/{line.claim_id}"
    for url in (claim_url, f"/team/payouts/remittances/{line.remittance_id}",
                f"/team/payouts/visits/{line.visit_id}",
                f"/team/billing/invoices/{line.invoice.number}"):
        assert f'href="{url}"' in page
    invoice = client.get(f"/team/billing/invoices/{line.invoice.number}")
    assert invoice.status_code == 200 and line.invoice.number in invoice.get_data(as_text=True)
    claim = client.get(claim_url).get_data(as_text=True)
    assert line.remittance.trace_number in claim and line.invoice.number in claim
    remittance = client.get(f"/team/payouts/remittances/{line.remittance_id}").get_data(
        as_text=True)
    assert line.claim.patient_control_number in remittance
    visit = client.get(f"/team/payouts/visits/{line.visit_id}").get_data(as_text=True)
    assert "90834" in visit and line.invoice.number in visit


def test_the_billing_team_gives_bank_details_and_the_waiting_statement_is_paid(client,
                                                                                world):
    become(client, world, "billing")
    page = client.get("/team/payouts").get_data(as_text=True)
    assert "Waiting for bank details" in page
    token = csrf_token_from(client.get("/team/payouts"))
    path = f"/team/payouts/providers/{world['provider'].id}/account"
    client.post(path, data={"csrf_token": token, "account": "=1+1"})
    assert world["provider"].__class__.get_by_id(world["provider"].id).payout_account_id is None
    client.post(path, data={"csrf_token": token, "account": "acct_1Nv0FGQ9RKHgCVdK"})
    run_on(D(2026, 12, 2))
    assert PayoutStatement.get_by_id(world["statement"].id).status == "paid"


def test_the_invoice_for_a_raised_share_is_one_click_from_the_line_its_claim_and_session(
        client, app, in_program, sandbox):
    claim = paid_claim(app, in_program, member_id="ALMA-ACTIVE-COPAY-COINSURANCE")
    row = ShareReconciliation.get(ShareReconciliation.claim == claim.id)
    reconcile.approve(row.id, User.create(email="bea@alma.example", name="Bea",
                                          roles="billing"))
    raised = ShareReconciliation.get_by_id(row.id).additional_invoice
    run_on(D(2026, 12, 1))
    line = PayoutLine.get()
    assert (line.amount_cents, raised.total_cents) == (10000, 1250)
    become(client, {}, "billing")
    for path in (f"/team/payouts/{line.statement_id}", f"/team/payouts/claims/{claim.id}",
                 f"/team/payouts/visits/{claim.visit_id}"):
        page = client.get(path).get_data(as_text=True)
        for invoice in (claim.visit.invoice, raised):
            assert f'href="/team/billing/invoices/{invoice.number}"' in page, (path, invoice)
