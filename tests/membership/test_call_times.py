"""Onboarding call times in the applicant's zone, stated, on their page, in every email and
in the calendar invitation; the team sees its own zone beside the applicant's."""
import datetime

import icalendar
import pytest

from alma.accounts.models import User
from alma.clock import utcnow
from alma.membership import service, zones
from alma.membership.models import MembershipApplication, OnboardingSlot
from tests import factories
from tests.conftest import csrf_token_from
from tests.membership.test_joining import npi


def _a_tuesday_at(hour_utc):
    """A Tuesday at least a week ahead, at this hour UTC (whatever today is)."""
    day = utcnow().date() + datetime.timedelta(days=8)
    day += datetime.timedelta(days=(1 - day.weekday()) % 7)
    return datetime.datetime.combine(day, datetime.time(hour_utc))


def test_a_moment_is_stated_in_a_named_zone():
    winter = datetime.datetime(2026, 12, 8, 18, 0)  # UTC
    assert zones.stated(winter, "America/Los_Angeles") == "Tuesday 8 Dec, 10:00 Pacific time (PT)"
    assert zones.stated(winter, "America/New_York", short=True) == "Tue 8 Dec, 13:00 ET"
    assert zones.stated(winter, "America/Phoenix", day=False) == "11:00 Arizona time (MST)"
    summer = datetime.datetime(2027, 7, 6, 17, 0)  # daylight saving time
    assert zones.stated(summer, "America/Los_Angeles") == "Tuesday 6 Jul, 10:00 Pacific time (PT)"
    assert zones.stated(summer, "America/Phoenix", day=False) == "10:00 Arizona time (MST)"
    assert zones.stated(winter, "Mars/Olympus") == zones.stated(winter, zones.DEFAULT)
    assert zones.to_utc(datetime.datetime(2027, 7, 6, 10, 0), "America/Los_Angeles") == summer
    assert zones.for_state("ca") == "America/Los_Angeles" and zones.for_state("TX") == \
        "America/Chicago" and zones.for_state("") == zones.DEFAULT


@pytest.fixture
def world(app, db, client):
    factories.operate_in("CA")
    host = User.create(email="gia@alma.example", name="Gia Growth", roles="growth",
                       time_zone="America/New_York")
    starts = _a_tuesday_at(18)
    with app.app_context():
        service.publish_slots(host, [starts])
    application = MembershipApplication.create(
        name="Ana Apply", email="ana@example.org", npi=npi(77), gender="woman",
        practice_state="CA", may_join=True, submission_key="ana")
    with client.session_transaction() as session:
        session["application_id"] = application.id
        session["application_seen"] = utcnow().timestamp()
    return host, application, starts


def test_the_applicant_books_in_their_zone_and_every_email_says_it(
        app, client, world, mailbox, deliver):
    host, application, starts = world
    pacific = zones.stated(starts, "America/Los_Angeles")
    page = client.get("/join/application").get_data(as_text=True)
    assert "Times in Pacific time (PT)" in page and pacific in page and "UTC" not in page
    # They live in Arizona, though their practice is in California: they choose their zone.
    arizona = client.get("/join/application?zone=America/Phoenix").get_data(as_text=True)
    assert zones.stated(starts, "America/Phoenix") in arizona
    assert 'name="time_zone" value="America/Phoenix"' in arizona
    slot = OnboardingSlot.get()
    client.post("/join/application/book", data={
        "csrf_token": csrf_token_from(client.get("/join/application")), "slot_id": slot.id,
        "time_zone": "America/Phoenix"})
    assert MembershipApplication.get_by_id(application.id).time_zone == "America/Phoenix"
    in_arizona = zones.stated(starts, "America/Phoenix")
    assert in_arizona in client.get("/join/application").get_data(as_text=True)
    deliver()
    (to_ana,) = mailbox.to("ana@example.org")
    assert to_ana["Subject"].endswith(zones.stated(starts, "America/Phoenix", short=True))
    assert in_arizona in to_ana.get_body(("plain",)).get_content()
    assert in_arizona in to_ana.get_body(("html",)).get_content()
    invitation = icalendar.Calendar.from_ical(next(to_ana.iter_attachments()).get_content())
    event = next(iter(invitation.walk("VEVENT")))
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "America/Phoenix"
    assert start.astimezone(datetime.timezone.utc).replace(tzinfo=None) == starts
    assert in_arizona in str(event["description"])
    assert any(True for _ in invitation.walk("VTIMEZONE"))
    # The host reads their own zone first, and the applicant's beside it.
    (to_gia,) = mailbox.to("gia@alma.example")
    body = to_gia.get_body(("plain",)).get_content()
    assert zones.stated(starts, "America/New_York") in body
    assert zones.stated(starts, "America/Phoenix", day=False) + " for them" in body
    assert to_gia["Subject"].endswith(zones.stated(starts, "America/New_York", short=True))
    mailbox.clear()
    client.post("/join/application/cancel",
                data={"csrf_token": csrf_token_from(client.get("/join/application"))})
    deliver()
    (cancelled,) = mailbox.to("ana@example.org")
    assert in_arizona in cancelled.get_body(("plain",)).get_content()


def test_the_team_enters_and_reads_times_in_its_own_zone(app, world):
    host, application, starts = world
    with app.app_context():
        service.book(application, OnboardingSlot.get().id)
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"] = host.get_id()
        session["seen"] = utcnow().timestamp()
    detail = http.get(f"/team/applications/{application.id}").get_data(as_text=True)
    assert zones.stated(starts, "America/New_York") in detail
    assert zones.stated(starts, "America/Los_Angeles", day=False) + " for Ana" in detail
    listed = http.get("/team/applications").get_data(as_text=True)
    assert zones.stated(starts, "America/New_York") in listed
    # Opening times: typed as Pacific wall-clock time, kept in UTC, the zone remembered.
    page = http.get("/team/availability")
    wall = _a_tuesday_at(0).replace(hour=9)
    made = http.post("/team/availability", data={
        "csrf_token": csrf_token_from(page), "start": wall.strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "America/Los_Angeles", "count": "1"})
    assert made.status_code == 303
    assert OnboardingSlot.select().where(OnboardingSlot.starts_at == zones.to_utc(
        wall, "America/Los_Angeles")).exists()
    assert User.get_by_id(host.id).time_zone == "America/Los_Angeles"
    mine = http.get("/team/availability").get_data(as_text=True)
    assert "Starts (your time)" in mine and "09:00 Pacific time (PT)" in mine
    bad = http.post("/team/availability", data={
        "csrf_token": csrf_token_from(page), "start": wall.strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "Mars/Olympus", "count": "1"})
    assert bad.status_code == 422 and OnboardingSlot.select().count() == 2
