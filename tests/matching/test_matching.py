"""Matching, end to end over HTTP and email: asked, suggested, proposed, answered, closed."""
import datetime

import pytest

from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.clock import utcnow
from alma.consultations import jobs
from alma.consultations.models import ConsultationRequest
from alma.matching import service
from alma.matching.models import (MATCHED, OPEN, PROPOSED, MatchOpportunity, MatchProposal,
                                  MatchRequest)
from alma.network.models import ServiceState
from tests import factories
from tests.conftest import csrf_token_from, link_in

ASK = {"name": "Kim Park", "email": "kim@example.org", "state": "CA", "payment": "aetna",
       "specialty": "grief-and-loss", "preferred_format": "telehealth",
       "availability": "Mornings", "consent": "y", "gender": "woman"}


@pytest.fixture
def network(db):
    factories.operate_in("CA")
    people = {
        "fit": factories.provider(first_name="Fiona", payers=("aetna",),
                                  specialties=("grief-and-loss",), email="fiona@example.com"),
        "near": factories.provider(first_name="Nadia", payers=("aetna",),
                                   email="nadia@example.com"),
        "man": factories.provider(first_name="Marco", payers=("aetna",), gender="man",
                                  specialties=("grief-and-loss",), email="marco@example.com"),
        "other_payer": factories.provider(first_name="Olga", payers=("cigna",)),
        "full": factories.provider(first_name="Fran", payers=("aetna",), accepting=False),
    }
    return people


@pytest.fixture
def team(app, client, db):
    user = User.create(email="mia@alma.example", name="Mia Matcher", roles="matching")
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["seen"] = utcnow().timestamp()
    return user


def ask(http, **changes):
    page = http.get("/match")
    body = page.get_data(as_text=True)
    key = body.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
    data = {**ASK, "csrf_token": csrf_token_from(page), "submission_key": key, **changes}
    return http.post("/match", data={k: v for k, v in data.items() if v is not None}), data


def test_a_client_asks_to_be_matched_and_follows_it(app, network, mailbox, deliver):
    http = app.test_client()
    response, data = ask(http)
    assert response.status_code == 303
    assert http.post("/match", data=data).status_code == 303  # a resend makes one
    match = MatchRequest.get()
    assert (match.origin, match.state, match.payer.slug, match.specialty.slug, match.status) == \
        ("client_form", "CA", "aetna", "grief-and-loss", OPEN)
    assert match.due_at > match.created_at
    deliver()
    (email,) = mailbox.to("kim@example.org")
    link = link_in(email, "/match/link/")
    opened = http.post(link, data={"csrf_token": csrf_token_from(http.get(link))})
    status = http.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Finding someone" in status and match.due_at.strftime("%B %-d") in status


def test_the_form_keeps_what_was_typed_and_stores_nothing_when_wrong(app, network):
    response, _ = ask(app.test_client(), email="nope", availability="", consent=None)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="nope"' in body and 'value="Kim Park"' in body
    assert "Tell us when you" in body and MatchRequest.select().count() == 0


def test_suggestions_follow_the_rules_and_say_why(app, network):
    with app.app_context():
        match, _ = service.ask_to_be_matched(service.Needs(
            name="Kim", email="kim@example.org", phone="", state="CA",
            payer=network["fit"].participations[0].payer, plan="", self_pay=False,
            budget_cents=None, concerns="", specialty=network["fit"].specialty_links[0].specialty,
            gender="woman", language=None, preferred_format="telehealth", modality=None,
            availability="", zip_code=None, submission_key="k"))
        ranked = service.suggestions(match)
    names = [s.provider.first_name for s in ranked]
    assert names[0] == "Fiona"  # in network, helps with grief, a woman as asked
    assert set(names) == {"Fiona", "Nadia", "Marco"}  # not Olga (Cigna), not Fran (full)
    top = ranked[0]
    assert "in network with Aetna" in top.reasons and "helps with Grief and loss" in top.reasons
    assert any("not Grief" in miss for miss in ranked[-1].misses + ranked[-2].misses)


def test_a_not_a_fit_hand_off_is_proposed_accepted_and_closed(
        app, client, network, team, mailbox, deliver):
    # A client's own request, handed back by a provider who isn't the right fit.
    from tests.consultations.helpers import submit

    submit(app.test_client(), network["near"], email="kim@example.org", name="Kim Park",
           state="CA", payment="aetna")
    request = ConsultationRequest.get()
    with app.app_context():
        from alma.consultations import service as consultations

        consultations.hand_to_matching(request)
    match = MatchRequest.get()
    assert match.origin == "not_a_fit" and match.status == OPEN
    queue = client.get("/team/matching").get_data(as_text=True)
    assert "Kim" in queue and "Not a fit, handed over" in queue
    # In the dashboard's words, not the database's ("open"), and times said to be UTC.
    assert '<td data-label="Status">Waiting for a proposal</td>' in queue
    assert '<td data-label="Due (UTC)">' in queue
    detail = client.get(f"/team/matching/{match.id}")
    body = detail.get_data(as_text=True)
    assert ">Waiting for a proposal</span>" in body
    assert f'due {match.due_at:%a %b %-d %H:%M} UTC' in body
    suggested = body.split("Suggested providers")[1]
    assert "Fiona" in suggested and "Why:" in suggested
    assert "Nadia" not in suggested  # she handed the client over: not suggested again
    deliver()
    mailbox.clear()

    proposed = client.post(f"/team/matching/{match.id}/propose", data={
        "csrf_token": csrf_token_from(detail), "provider_id": network["fit"].id,
        "why": "Fiona specialises in grief and is in network with Aetna."})
    assert proposed.status_code == 303
    match = MatchRequest.get_by_id(match.id)
    assert match.status == PROPOSED
    consultation = MatchProposal.get().consultation
    assert (consultation.source, consultation.provider_id, consultation.status) == \
        ("matching", network["fit"].id, "pending")
    deliver()
    (told,) = mailbox.to("kim@example.org")
    assert "We asked" in told["Subject"] and "specialises in grief" in \
        told.get_body(("plain",)).get_content()
    (to_fiona,) = mailbox.to("fiona@example.com")

    # Fiona accepts from her email; the team closes the match once there's an appointment.
    accept = link_in(to_fiona, "do=accept")
    http = app.test_client()
    http.post(accept.split("?")[0], data={"csrf_token": csrf_token_from(http.get(accept)),
                                          "action": "accept"})
    assert ConsultationRequest.get_by_id(consultation.id).status == "accepted"
    assert MatchRequest.get_by_id(match.id).status == PROPOSED
    page = client.get(f"/team/matching/{match.id}")
    closed = client.post(f"/team/matching/{match.id}/close", data={
        "csrf_token": csrf_token_from(page), "outcome": "matched"})
    assert closed.status_code == 303 and MatchRequest.get_by_id(match.id).status == MATCHED
    deliver()
    assert len(mailbox.to("kim@example.org")) == 2  # "we asked Fiona" and "she'll be in touch"
    assert AuditEvent.select().where((AuditEvent.actor == team.id)
                                     & (AuditEvent.client == match.client_id)).count() >= 3


@pytest.mark.parametrize("answer", ["decline", "not_a_fit"])
def test_a_decline_or_not_a_fit_puts_the_match_back_in_the_queue(app, network, team, answer):
    with app.app_context():
        match, _ = service.ask_to_be_matched(service.Needs(
            name="Kim", email="kim@example.org", phone="", state="CA", payer=None, plan="",
            self_pay=True, budget_cents=None, concerns="", specialty=None, gender=None,
            language=None, preferred_format="either", modality=None, availability="",
            zip_code=None, submission_key="k"))
        consultation = service.propose(match, network["fit"], "A good fit.", actor=team)
        from alma.consultations import service as consultations

        if answer == "decline":
            consultations.decline(consultation, "no_room")
        else:
            consultations.hand_to_matching(consultation)
    match = MatchRequest.get_by_id(match.id)
    assert match.status == OPEN and match.returned_at is not None
    assert "Fiona" in match.return_reason
    assert MatchRequest.select().count() == 1  # the same match, not a new one


def test_no_answer_in_three_days_puts_the_match_back(app, network, team, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.timezone.utc),
                         tick=False)
    with app.app_context():
        match, _ = service.ask_to_be_matched(service.Needs(
            name="Kim", email="kim@example.org", phone="", state="CA",
            payer=network["fit"].participations[0].payer, plan="", self_pay=False,
            budget_cents=None, concerns="", specialty=None, gender=None, language=None,
            preferred_format="either", modality=None, availability="", zip_code=None,
            submission_key="k"))
        service.propose(match, network["fit"], "A good fit.", actor=team)
        time_machine.shift(datetime.timedelta(days=3))
        assert jobs.suggest_others() == 1
        assert jobs.suggest_others() == 0
    match = MatchRequest.get_by_id(match.id)
    assert match.status == OPEN and "hasn't answered" in match.return_reason


def test_an_opportunity_goes_out_de_identified_and_the_first_yes_wins(
        app, client, network, team, mailbox, deliver):
    ask(app.test_client())
    match = MatchRequest.get()
    page = client.get(f"/team/matching/{match.id}")
    deliver()
    mailbox.clear()
    sent = client.post(f"/team/matching/{match.id}/opportunities", data={
        "csrf_token": csrf_token_from(page),
        "provider_id": [network["fit"].id, network["man"].id]})
    assert sent.status_code == 303 and MatchOpportunity.select().count() == 2
    deliver()
    for message in mailbox.messages:
        text = message.get_body(("plain",)).get_content()
        assert "Kim" not in text and "kim@example.org" not in text and "Park" not in text
        assert "Grief and loss" in text and "Aetna" in text
    fiona = link_in(mailbox.to("fiona@example.com")[0], "/opportunities/")
    marco = link_in(mailbox.to("marco@example.com")[0], "/opportunities/")
    mailbox.clear()
    http = app.test_client()
    won = http.post(marco, data={"csrf_token": csrf_token_from(http.get(marco))})
    assert "in your inbox" in won.get_data(as_text=True)
    late = http.post(fiona, data={"csrf_token": csrf_token_from(http.get(fiona))})
    assert "said yes first" in late.get_data(as_text=True)
    proposal = MatchProposal.get()
    assert proposal.provider_id == network["man"].id
    assert MatchRequest.get_by_id(match.id).status == PROPOSED
    deliver()
    assert any("Thank you" in m["Subject"] for m in mailbox.to("fiona@example.com"))
    assert mailbox.to("kim@example.org")  # told who, and why
    assert http.post(marco, data={"csrf_token": csrf_token_from(http.get("/match"))}
                     ).status_code == 410  # each link works once


def test_the_team_launches_a_state_and_its_waitlist_is_told_once(
        app, client, network, team, mailbox, deliver):
    from alma.consultations import service as consultations

    consultations.join_waitlist("w@example.org", "WY")
    page = client.get("/team/states")
    assert "Wyoming" in page.get_data(as_text=True)
    token = csrf_token_from(page)
    # One click on the states page only asks: nothing is launched without the confirmation.
    asked = client.post("/team/states/WY/launch", data={"csrf_token": token})
    assert asked.status_code == 303
    assert asked.headers["Location"].endswith("/team/states/WY/launch")
    assert not ServiceState.get_by_id("WY").operating
    confirm = client.get("/team/states/WY/launch").get_data(as_text=True)
    assert "Launch Wyoming?" in confirm and "The 1 person on its waitlist gets one" in confirm
    assert "No provider is licensed in Wyoming yet" in confirm
    consultations.join_waitlist("v@example.org", "WY")
    factories.provider(first_name="Wyo", state="WY")
    factories.provider(first_name="Wren", state="WY")
    confirm = client.get("/team/states/WY/launch").get_data(as_text=True)
    assert "The 2 people on its waitlist each get one email" in confirm
    assert "The 2 providers licensed in Wyoming appear in the directory" in confirm
    yes = {"csrf_token": token, "confirm": "WY"}
    assert client.post("/team/states/WY/launch", data=yes).status_code == 303
    assert client.post("/team/states/WY/launch", data=yes).status_code == 303
    assert ServiceState.get_by_id("WY").operating
    (event,) = AuditEvent.select().where(AuditEvent.action == "launched")
    assert event.actor_id == team.id and "WY (Wyoming) launched; 2 on its waitlist" in event.detail
    deliver()
    assert len(mailbox.to("w@example.org")) == 1 and len(mailbox.to("v@example.org")) == 1


def test_the_dashboard_shows_the_queue_but_failed_emails_only_to_admins(app, client, network,
                                                                          team):
    from alma.mail.models import OutboundEmail

    ask(app.test_client())
    OutboundEmail.update(status="failed", last_error="550 no such mailbox").execute()
    body = client.get("/team").get_data(as_text=True)
    assert "Waiting for a proposal" in body and "1 asked to be matched" in body
    assert "<svg" in body
    # Failed emails name clients: for admins only (tests/team/test_permissions.py).
    assert "550 no such mailbox" not in body


@pytest.mark.parametrize("key", ["k" * 5000, "\x00", "١٢٣", " "])
def test_a_forged_one_time_key_is_replaced_not_stored(app, network, key):
    response, _ = ask(app.test_client(), submission_key=key)
    assert response.status_code == 303
    (made,) = MatchRequest.select()
    assert len(made.submission_key) == 32 and made.submission_key.isalnum()
