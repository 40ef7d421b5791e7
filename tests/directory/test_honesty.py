"""Honest listings: answer times shown, and "accepting" that must be confirmed to last."""
import datetime

import pytest
from werkzeug.datastructures import MultiDict

from alma.clock import utcnow
from alma.consultations import answer_times
from alma.consultations.models import ConsultationRequest
from alma.directory import criteria, honesty, service
from alma.directory.models import Listing
from alma.network import vocab
from alma.network.models import Client, Provider
from tests import factories
from tests.conftest import csrf_token_from, link_in

NOW = datetime.datetime(2026, 12, 1, 12, 0)


@pytest.fixture
def maya(db):
    factories.operate_in("CA")
    return factories.provider(first_name="Maya", email="maya@example.com")


def ask(provider, answered_after_hours=None, days_ago=5, status=None, n=[0]):
    n[0] += 1
    client = Client.create(email=f"c{n[0]}@example.org", name="C", state="CA")
    created = NOW - datetime.timedelta(days=days_ago)
    answered = (created + datetime.timedelta(hours=answered_after_hours)
                if answered_after_hours is not None else None)
    return ConsultationRequest.create(
        client=client, name=client.name, provider=provider, state="CA", concerns="x",
        preferred_format="either",
        submission_key=f"k{n[0]}", created_at=created, answered_at=answered,
        status=status or ("accepted" if answered else "pending"))


def test_it_shows_how_fast_a_provider_usually_answers(app, client, maya):
    for hours in (2, 10, 30):
        ask(maya, hours)
    with app.app_context():
        assert answer_times.refresh(now=NOW) == 1
    assert Provider.get_by_id(maya.id).median_answer_hours == 10
    assert "Usually answers within a day" in client.get(
        f"/providers/{maya.slug}").get_data(as_text=True)
    assert "Usually answers within a day" in client.get("/providers").get_data(as_text=True)


def test_unanswered_requests_count_against_the_answer_time(app, maya):
    ask(maya, 5)
    ask(maya, None, days_ago=20, status="expired")
    ask(maya, None, days_ago=15)  # open for more than 14 days: as good as unanswered
    ask(maya, None, days_ago=1)  # still within its time: not counted
    with app.app_context():
        answer_times.refresh(now=NOW)
    assert Provider.get_by_id(maya.id).median_answer_hours == 14 * 24
    assert Provider.get_by_id(maya.id).answers_within == "14 days"


def test_it_says_nothing_with_too_few_requests(app, maya):
    ask(maya, 2)
    ask(maya, 3)
    with app.app_context():
        assert answer_times.refresh(now=NOW) == 0
    assert Provider.get_by_id(maya.id).median_answer_hours is None


def accepting_everyone():
    parsed = criteria.parse(MultiDict({}), vocab.current())
    return [r.provider.id for r in service.search(parsed).results]


def test_a_provider_is_asked_after_30_days_and_answers_in_one_click(
        app, client, maya, mailbox, deliver):
    today = utcnow().date()
    Provider.update(accepting_confirmed_on=today - datetime.timedelta(days=31)).where(
        Provider.id == maya.id).execute()
    with app.app_context():
        assert honesty.ask_to_confirm_accepting() == 1
        assert honesty.ask_to_confirm_accepting() == 0  # once
    deliver()
    link = link_in(mailbox.to("maya@example.com")[0], "/availability/")
    page = client.get(link)
    assert "Are you accepting new clients, Maya?" in page.get_data(as_text=True)
    assert Provider.get_by_id(maya.id).accepting_confirmed_on != today  # a GET changes nothing
    done = client.post(link, data={"csrf_token": csrf_token_from(page), "accepting": "yes"})
    assert done.status_code == 200
    assert Provider.get_by_id(maya.id).accepting_confirmed_on == today
    assert Listing.get(Listing.provider == maya.id).accepting_confirmed_on == today
    assert client.post(link, data={"csrf_token": csrf_token_from(page),
                                   "accepting": "no"}).status_code == 410


def test_after_45_days_without_an_answer_the_listing_stops_saying_accepting(
        app, client, maya, mailbox, deliver):
    Provider.update(accepting_confirmed_on=utcnow().date() - datetime.timedelta(days=46)).where(
        Provider.id == maya.id).execute()
    service.reindex([maya.id])
    assert accepting_everyone() == [maya.id]
    with app.app_context():
        assert honesty.stop_unconfirmed_accepting() == 1
        assert honesty.stop_unconfirmed_accepting() == 0
    assert accepting_everyone() == []
    deliver()
    (message,) = mailbox.to("maya@example.com")
    link = link_in(message, "/availability/")
    client.post(link, data={"csrf_token": csrf_token_from(client.get(link)), "accepting": "yes"})
    assert accepting_everyone() == [maya.id]


def test_a_provider_can_say_they_are_full(app, client, maya, mailbox, deliver):
    Provider.update(accepting_confirmed_on=utcnow().date() - datetime.timedelta(days=40)).where(
        Provider.id == maya.id).execute()
    with app.app_context():
        honesty.ask_to_confirm_accepting()
    deliver()
    link = link_in(mailbox.to("maya@example.com")[0], "/availability/")
    client.post(link, data={"csrf_token": csrf_token_from(client.get(link)), "accepting": "no"})
    assert accepting_everyone() == []
    assert not Provider.get_by_id(maya.id).accepting_new_clients
