"""/team/claims through real requests: who may see and do what (every team role, the
claim's provider, another provider, a client, a stranger), the forms' answers to bad
input (4xx, what was typed kept, nothing written), and each action done once."""
import html
import re

import pytest

from alma.accounts.models import User
from alma.accounts.service import ROLES
from alma.claims import queue, queue_actions
from alma.claims.models import Claim
from alma.claims.queue_models import ClaimAction, PayerFilingLimit
from alma.clock import utcnow
from alma.network.models import Client, ProgramClient
from tests import factories
from tests.claims.queue_helpers import COPAY, decided
from tests.conftest import csrf_token_from

TEAM_ROLES = list(ROLES)  # matching, growth, credentialing, billing, admin
PERSONAS = ["stranger", "client", "provider", "other_provider", *TEAM_ROLES]
ROUTES = [("GET", "/team/claims"), ("GET", "/team/claims?state=all&reason=CO-16"),
          ("GET", "/team/claims/{claim}"), ("POST", "/team/claims/{claim}/correct"),
          ("POST", "/team/claims/{claim}/void"), ("POST", "/team/claims/{claim}/write-off")]


@pytest.fixture
def denied(app, in_program, sandbox, later):
    return decided(app, in_program, f"{COPAY}-DENIED")


def become(http, persona, claim):
    if persona == "stranger":
        return None
    with http.session_transaction() as session:
        if persona == "client":
            session["client_id"] = claim.visit.program_client.client_id
            session["client_seen"] = utcnow().timestamp()
            return None
        if persona == "provider":
            user = factories.user_for(claim.visit.provider)
        elif persona == "other_provider":
            user = factories.user_for(factories.provider(first_name="Otto",
                                                         email="otto@example.com"))
        else:
            user = User.create(email=f"{persona}@alma.example", name=persona.title(),
                               roles=persona)
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["seen"] = utcnow().timestamp()
        return user


def text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method,path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_only_billing_and_admins_reach_the_claims(client, denied, persona, method, path):
    become(client, persona, denied)
    path = path.format(claim=denied.id)
    if method == "GET":
        response = client.get(path)
    else:
        token = csrf_token_from(client.get("/sign-in"))
        response = client.post(path, data={"csrf_token": token, "reason": "x",
                                           "confirm": "y"})
    if persona in ("stranger", "client"):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif persona not in ("billing", "admin"):
        assert response.status_code == 403
    elif method == "GET":
        assert response.status_code == 200
        assert "Sam Rivera" in text(response)  # the client, as the provider's record says
    else:  # no form key: refused, nothing done
        assert response.status_code == 422
    assert ClaimAction.select().count() == 0


def test_an_unknown_claim_is_404_and_a_post_needs_its_csrf_token(client, denied):
    become(client, "billing", denied)
    assert client.get("/team/claims/999999").status_code == 404
    assert client.get("/team/claims/99999999999999").status_code == 404
    response = client.post(f"/team/claims/{denied.id}/write-off",
                           data={"reason": "x", "confirm": "y", "form_key": "a" * 32})
    assert response.status_code == 400 and ClaimAction.select().count() == 0


def form_of(page, action):
    """The fields of the form posting to `action` on the page, as the browser sends them."""
    body = page.get_data(as_text=True)
    start = body.index(f'action="{action}"')
    form = body[start:body.index("</form>", start)]
    values = {name: html.unescape(value) for name, value in
              re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form,
                                    re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" '
                           r'selected', options)
        values[name] = next(v for v in chosen.groups() if v) if chosen else ""
    for name in re.findall(r'<textarea[^>]*name="([^"]+)"', form):
        values.setdefault(name, "")
    values.pop("confirm", None)
    return values


def test_billing_corrects_a_denied_claim_once_however_often_the_form_is_sent(client, denied):
    become(client, "billing", denied)
    action = f"/team/claims/{denied.id}/correct"
    page = client.get(f"/team/claims/{denied.id}")
    assert "replacement claim" in text(page) and denied.payer_claim_number in text(page)
    assert "CO-16: the claim was missing information" in text(page)
    values = dict(form_of(page, action), member_id=COPAY, reason="Member ID mistyped",
                  confirm="y")
    first = client.post(action, data=values)
    assert first.status_code == 303
    again = client.post(action, data=values)  # the same form, sent twice
    assert again.status_code == 303
    assert ClaimAction.select().count() == 1 and Claim.select().count() == 2
    other = client.get(f"/team/claims/{denied.id}")
    assert "Replaced by Billing" in text(other) and "What to do" not in text(other)
    late = client.post(f"/team/claims/{denied.id}/write-off", data={
        **form_of(page, f"/team/claims/{denied.id}/write-off"), "reason": "late",
        "confirm": "y"})
    assert late.status_code == 409 and "already acted on this claim" in text(late)
    assert ClaimAction.select().count() == 1


BAD = {"empty": "", "huge": "A" * 5000, "nul": "\x00", "bidi": "\u202e",
       "digits": "\u0661\u0662\u0663\u0664"}
# A reason is words: digits of any script are fine there; every other bad value is refused.
FIELDS = {"member_id": BAD, "diagnosis_code": {**BAD, "digits": "F\u0664\u0661.\u0661"},
          "cpt_code": BAD, "place_of_service": BAD, "form_key": BAD,
          "reason": {k: v for k, v in BAD.items() if k != "digits"},
          "confirm": {"empty": ""}}


@pytest.mark.parametrize("field,kind", [(f, k) for f, kinds in FIELDS.items() for k in kinds])
def test_bad_input_is_refused_whole_and_what_was_typed_is_kept(client, denied, field, kind):
    become(client, "billing", denied)
    action = f"/team/claims/{denied.id}/correct"
    page = client.get(f"/team/claims/{denied.id}")
    values = dict(form_of(page, action), member_id=COPAY, reason="Typed reason",
                  confirm="y")
    values[field] = FIELDS[field][kind]
    if field == "confirm":
        del values["confirm"]
    response = client.post(action, data=values)
    assert 400 <= response.status_code < 500, response.status_code
    assert ClaimAction.select().count() == 0 and Claim.select().count() == 1
    assert ProgramClient.get().member_id == f"{COPAY}-DENIED"
    body = response.get_data(as_text=True)
    if field not in ("member_id", "form_key", "cpt_code", "place_of_service"):
        assert f'value="{COPAY}"' in body  # the other fields as typed
    if field == "reason" and kind == "huge":
        assert "A" * 5000 in body
    if field != "reason":
        assert "Typed reason" in body


@pytest.mark.parametrize("query", ["state=bogus", "payer=\u0661", "provider=x", "page=0",
                                   "page=\u0663", "reason=" + "A" * 5000, "reason=%00",
                                   "reason=\u202eCO-16", "reason=CO-16;drop"])
def test_bad_filters_are_400_with_what_was_typed(client, denied, query):
    become(client, "billing", denied)
    response = client.get(f"/team/claims?{query}")
    assert response.status_code in (200, 400)
    if response.status_code == 200:  # cleaned into something meaningful: shown as such
        assert query.startswith("reason=%00") or query.startswith("reason=\u202e")
    else:
        assert "Please check the filters" in text(response)


def test_the_queue_lists_its_columns_and_pages(client, denied):
    become(client, "billing", denied)
    page = text(client.get("/team/claims"))
    for words in (denied.patient_control_number, "Denied", denied.payer.name,
                  denied.visit.provider.full_name, "Sam Rivera", "Nov 23, 2026", "$125",
                  "12 days"):
        assert words in page, words
    assert "1 claim." in page
    assert "No claims match" in text(client.get("/team/claims?state=paid"))


def test_a_client_signed_in_sees_nothing_of_the_queue(client, denied):
    become(client, "client", denied)
    assert Client.get_by_id(denied.visit.program_client.client_id)
    assert client.get("/team/claims").status_code == 302


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_billing_and_admins_set_a_filing_limit(client, denied, persona):
    become(client, persona, denied)
    token = csrf_token_from(client.get("/sign-in"))
    response = client.post("/team/claims/filing-limits", data={
        "csrf_token": token, "payer": denied.payer_id, "days": "60"})
    if persona in ("stranger", "client"):
        assert response.status_code == 302
    elif persona not in ("billing", "admin"):
        assert response.status_code == 403
    else:
        assert response.status_code == 303
        assert f"{denied.payer.name}: 60 days" in text(client.get("/team/claims"))
    assert PayerFilingLimit.select().count() == (persona in ("billing", "admin"))


@pytest.mark.parametrize("field,value", [("days", ""), ("days", "0"), ("days", "9" * 50),
                                         ("days", "\u0666\u0660"), ("days", "\x00"),
                                         ("days", "\u202e60"), ("payer", ""),
                                         ("payer", "\u0661"), ("payer", "99999999")])
def test_a_bad_filing_limit_is_refused_with_what_was_typed(client, denied, field, value):
    become(client, "billing", denied)
    values = {"payer": str(denied.payer_id), "days": "45", field: value}
    token = csrf_token_from(client.get("/team/claims"))
    response = client.post("/team/claims/filing-limits", data={**values, "csrf_token": token})
    if field == "days" and value == "\u202e60":  # the bidi mark goes: 60 is meant
        assert response.status_code == 303
        return
    assert response.status_code == 422 and PayerFilingLimit.select().count() == 0
    if field == "days" and value.strip("\x00"):
        assert html.escape(value) in response.get_data(as_text=True)


def test_the_provider_reads_what_the_billing_team_did(app, client, denied):
    queue_actions.write_off(denied.id, "b" * 32, "Not worth an appeal", None)
    become(client, "provider", denied)
    page = text(client.get("/practice/sessions"))
    assert "Denied" in page and "Written off by Alma&#39;s billing team" in page
    assert "<title>Sessions · Alma</title>" in client.get("/practice/sessions").get_data(
        as_text=True)


def test_billing_voids_a_paid_claim_and_writes_off_a_partly_paid_one(app, client, in_program,
                                                                     sandbox, later):
    paid = decided(app, in_program, COPAY)
    partly = decided(app, in_program, f"{COPAY}-PARTLY", n=1)
    become(client, "billing", paid)
    page = client.get(f"/team/claims/{paid.id}")
    assert "the insurer takes back the $100 it paid" in text(page)
    response = client.post(f"/team/claims/{paid.id}/void", data={
        **form_of(page, f"/team/claims/{paid.id}/void"), "reason": "Never held",
        "confirm": "y"})
    assert response.status_code == 303
    void = ClaimAction.get(ClaimAction.claim == paid.id).new_claim
    assert (void.frequency_code, void.status) == ("8", "ready")
    page = client.get(f"/team/claims/{partly.id}")
    assert "<strong>$15</strong> is written off" in page.get_data(as_text=True)
    response = client.post(f"/team/claims/{partly.id}/write-off", data={
        **form_of(page, f"/team/claims/{partly.id}/write-off"), "reason": "Contract rate",
        "confirm": "y"})
    assert response.status_code == 303
    action = ClaimAction.get(ClaimAction.claim == partly.id)
    assert (action.kind, action.written_off_cents, action.made_by.roles) == (
        "written_off", 1500, "billing")
    shown = text(client.get(f"/team/claims/{partly.id}"))
    assert "Written off: $15 (charge $125 − insurer paid $85 − client's share $25)" in shown
    assert "No claims match" in text(client.get("/team/claims"))


@pytest.mark.parametrize("endpoint", ["void", "write-off"])
@pytest.mark.parametrize("field,value", [("reason", ""), ("reason", "A" * 1001),
                                         ("reason", "\x00"), ("reason", "\u202e"),
                                         ("form_key", ""), ("form_key", "\u0661" * 32),
                                         ("form_key", "x" * 5000), ("confirm", None)])
def test_void_and_write_off_refuse_bad_input_whole(app, client, in_program, sandbox, later,
                                                   endpoint, field, value):
    claim = decided(app, in_program, f"{COPAY}-PARTLY")
    become(client, "billing", claim)
    page = client.get(f"/team/claims/{claim.id}")
    values = {**form_of(page, f"/team/claims/{claim.id}/{endpoint}"),
              "reason": "Typed reason", "confirm": "y"}
    if value is None:
        del values[field]
    else:
        values[field] = value
    response = client.post(f"/team/claims/{claim.id}/{endpoint}", data=values)
    assert 400 <= response.status_code < 500
    assert ClaimAction.select().count() == 0 and Claim.select().count() == 1
    if field != "reason":
        assert "Typed reason" in response.get_data(as_text=True)


def test_the_queue_pages_oldest_first(app, client, in_program, sandbox, later, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 1)
    first = decided(app, in_program, f"{COPAY}-DENIED")
    second = decided(app, in_program, f"{COPAY}-REJECTED", n=1)
    become(client, "billing", first)
    one = text(client.get("/team/claims"))
    assert first.patient_control_number in one and second.patient_control_number not in one
    assert "page 1 of 2" in one and "Next" in one
    two = text(client.get("/team/claims?state=needs_action&page=2"))
    assert second.patient_control_number in two and "Previous" in two
    assert "No claims match" in text(client.get("/team/claims?page=3"))
