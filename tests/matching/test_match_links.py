"""The matching team is one click away: /match prefilled from what the client told us, and
honest about states the network doesn't serve (their waitlist, never a promised match)."""
import html
import re

import pytest

from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.clock import utcnow
from alma.consultations import service as consultations
from alma.consultations.models import ConsultationRequest, WaitlistEntry
from alma.matching.models import CLOSED, OPEN, MatchRequest
from tests import factories
from tests.conftest import csrf_token_from, link_in
from tests.consultations.helpers import form_page, submit

ASK = {"name": "Kim Park", "email": "kim@example.org", "state": "WY", "payment": "aetna",
       "preferred_format": "telehealth", "availability": "Mornings", "consent": "y",
       "concerns": "Panic on the bus."}


def text(response):
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def network(db):
    factories.operate_in("CA")
    return {"maya": factories.provider(first_name="Maya", payers=("aetna",)),
            "full": factories.provider(first_name="Fran", payers=("aetna",), accepting=False)}


def test_match_reads_what_the_client_told_us_from_its_address(client, network):
    body = client.get("/match?state=CA&payment=aetna&specialty=grief-and-loss&format=in_person"
                      "&zip=94110&language=klingon&gender=woman").get_data(as_text=True)
    assert '<option selected value="CA">' in body
    assert '<option selected value="aetna">' in body
    assert '<option selected value="grief-and-loss">' in body
    assert '<option selected value="woman">' in body
    assert '<input checked id="preferred_format-1" name="preferred_format" required ' \
           'type="radio" value="in_person">' in body
    assert 'value="94110"' in body
    assert "klingon" not in body  # not one of the form's choices: left out
    assert "We're not in" not in body


def test_the_state_lists_mark_states_not_yet_served(client, network):
    for page in (client.get("/match"), form_page(client, network["maya"])):
        body = text(page)
        assert '<option value="WY">Wyoming (not yet served: join the waitlist)</option>' in body
        assert '<option value="CA">California</option>' in body


def test_match_in_a_state_not_served_offers_its_waitlist_and_sends_nothing_to_the_team(
        client, network):
    page = client.get("/match?state=WY")
    assert "We're not in Wyoming yet" in text(page) and 'name="waitlist-email"' in text(page)
    key = page.get_data(as_text=True).split('name="submission_key" type="hidden" value="')[1] \
        .split('"')[0]
    response = client.post("/match", data={**ASK, "csrf_token": csrf_token_from(page),
                                            "submission_key": key})
    body = text(response)
    assert response.status_code == 422 and "Alma doesn't operate in Wyoming yet" in body
    assert 'value="Kim Park"' in body and "Panic on the bus." in body  # kept as typed
    assert re.search(r'<input[^>]*id="waitlist-email"[^>]*value="kim@example.org"', body)
    assert MatchRequest.select().count() == 0
    joined = client.post("/match/waitlist", data={"csrf_token": csrf_token_from(response),
                                                  "waitlist-email": "kim@example.org",
                                                  "waitlist-state": "WY"})
    assert joined.status_code == 200 and "on the Wyoming waitlist" in text(joined)
    assert [(e.email, e.state) for e in WaitlistEntry.select()] == [("kim@example.org", "WY")]


def test_the_waitlist_form_says_what_is_wrong_and_refuses_a_served_state(client, network):
    token = csrf_token_from(client.get("/match?state=WY"))
    bad = client.post("/match/waitlist", data={"csrf_token": token, "waitlist-email": "kim@",
                                               "waitlist-state": "WY"})
    assert bad.status_code == 422 and 'value="kim@"' in text(bad)
    assert "Enter an email address like" in text(bad)
    served = client.post("/match/waitlist", data={"csrf_token": token,
                                                  "waitlist-email": "kim@example.org",
                                                  "waitlist-state": "CA"})
    assert served.status_code == 400 and WaitlistEntry.select().count() == 0


def test_no_client_page_sends_people_to_an_email_address(client, network):
    full = network["full"]
    pages = [client.get("/providers?state=CA&payment=aetna&specialty=grief-and-loss"),
             client.get(f"/providers/{full.slug}?state=CA&payment=aetna"),
             client.get(f"/providers/{full.slug}/request?state=CA&payment=aetna")]
    for page in pages:
        body = page.get_data(as_text=True)
        assert "mailto:" not in body
        assert 'href="/match?state=CA&amp;payment=aetna' in body, page.request.path
    assert 'specialty=grief-and-loss' in pages[0].get_data(as_text=True)
    unserved = client.get("/providers?state=WY").get_data(as_text=True)
    assert 'href="/match?state=WY#waitlist"' in unserved and "mailto:" not in unserved


def test_the_decline_email_and_status_page_link_to_match_prefilled(
        app, client, network, mailbox, deliver):
    submit(client, network["maya"])
    deliver()
    status_link = link_in(mailbox.to("jamie@example.org")[0], "/requests/link/")
    with app.app_context():
        consultations.decline(ConsultationRequest.get(), "no_room")
    deliver()
    declined = [m for m in mailbox.to("jamie@example.org") if "/match?" in
                m.get_body(("plain",)).get_content()]
    assert declined, "the decline email links to /match"
    assert link_in(declined[0], "/match?") == \
        "/match?state=CA&payment=aetna&format=telehealth"
    client.post(status_link, data={"csrf_token": csrf_token_from(client.get(status_link))})
    body = client.get(f"/requests/{ConsultationRequest.get().id}").get_data(as_text=True)
    assert "mailto:" not in body
    assert 'href="/match?state=CA&amp;payment=aetna&amp;format=telehealth"' in body


@pytest.fixture
def team(client, db):
    user = User.create(email="mia@alma.example", name="Mia Matcher", roles="matching")
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["seen"] = utcnow().timestamp()
    return user


def old_unserved_match():
    client = consultations.client_for("Kim Park", "kim@example.org", "", "WY")
    return MatchRequest.create(client=client, name="Kim Park", origin="client_form",
                               state="WY", availability="Mornings")


def test_the_team_sees_an_unserved_state_as_such_and_waitlists_the_client(
        app, client, network, team):
    match = old_unserved_match()
    queue = client.get("/team/matching").get_data(as_text=True)
    assert "(not served: waitlist)" in queue
    body = text(client.get(f"/team/matching/{match.id}"))
    assert "Nobody fits" not in body and "Alma doesn't operate in Wyoming yet" in body
    done = client.post(f"/team/matching/{match.id}/waitlist",
                       data={"csrf_token": csrf_token_from(client.get("/team/matching"))})
    assert done.status_code == 303
    assert MatchRequest.get_by_id(match.id).status == CLOSED
    assert [(e.email, e.state) for e in WaitlistEntry.select()] == [("kim@example.org", "WY")]
    assert AuditEvent.select().where(AuditEvent.action == "closed:waitlisted").count() == 1
    again = client.post(f"/team/matching/{match.id}/waitlist",
                        data={"csrf_token": csrf_token_from(client.get("/team/matching"))})
    assert again.status_code == 409


def test_only_the_matching_team_may_waitlist_a_match(app, network):
    match = old_unserved_match()
    anonymous = app.test_client()
    token = csrf_token_from(anonymous.get("/match"))
    assert anonymous.post(f"/team/matching/{match.id}/waitlist",
                          data={"csrf_token": token}).status_code in (302, 303, 401)
    provider_user = factories.user_for(network["maya"])
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = provider_user.get_id()
        session["seen"] = utcnow().timestamp()
    assert other.post(f"/team/matching/{match.id}/waitlist",
                      data={"csrf_token": token}).status_code in (400, 403)
    assert MatchRequest.get_by_id(match.id).status == OPEN
    assert WaitlistEntry.select().count() == 0
