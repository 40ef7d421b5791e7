"""Joining: the eligibility rules, the application, the onboarding call, approval, the listing."""
import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from stdnum import luhn

from alma.accounts.models import User
from alma.clock import utcnow
from alma.directory.models import Listing
from alma.membership import service
from alma.membership.models import (APPROVED, CALL_BOOKED, REFUSED, MembershipApplication,
                                    OnboardingSlot)
from alma.network.models import License, Provider
from tests import factories
from tests.conftest import csrf_token_from, link_in

PASSWORD = "a long and memorable passphrase"


def lic(level, supervised=False):
    return SimpleNamespace(level=level, under_supervision=supervised)


@pytest.mark.parametrize("licenses,member,insurance", [
    ([lic("full")], True, True),
    ([lic("full", supervised=True)], True, True),
    ([lic("limited")], True, False),
    ([lic("limited", supervised=True)], True, False),
    ([lic("pre_licensed")], False, False),
    ([lic("pre_licensed", supervised=True)], False, False),
    ([lic("pre_licensed"), lic("limited")], True, False),
    ([lic("pre_licensed"), lic("full", supervised=True)], True, True),
    ([lic("limited"), lic("full")], True, True),
], ids=["full", "full-supervised", "limited", "limited-supervised", "pre-licensed",
        "pre-licensed-supervised", "pre+limited", "pre+full-supervised", "limited+full"])
def test_the_eligibility_table(licenses, member, insurance):
    verdict = service.eligibility(licenses)
    assert (verdict.may_join, verdict.may_join_insurance) == (member, insurance)
    assert verdict.explanation
    if not member:
        assert "pre-licensed" in verdict.explanation and "reach out" in verdict.explanation
    elif not insurance:
        assert "insurance program needs a full licence" in verdict.explanation


def npi(n):
    first = f"1{n:08d}"
    return first + luhn.calc_check_digit("80840" + first)


def application_data(page, level="full", supervised=False, **changes):
    body = page.get_data(as_text=True)
    key = body.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
    data = {"csrf_token": csrf_token_from(page), "submission_key": key,
            "name": "Robin Hale", "email": "robin@example.org", "phone": "(555) 010-7788",
            "npi": npi(4242), "gender": "woman", "practice_state": "CA",
            "practice_city": "Oakland", "licenses-0-state": "CA",
            "licenses-0-license_type": "LMFT", "licenses-0-number": "LMFT 12345",
            "licenses-0-level": level}
    if supervised:
        data.update({"licenses-0-under_supervision": "y",
                     "licenses-0-supervisor_name": "Dr. Sam Lee",
                     "licenses-0-supervisor_license": "PSY 555"})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def apply(http, **kwargs):
    page = http.get("/join")
    return http.post("/join", data=application_data(page, **kwargs))


@pytest.fixture
def growth(db):
    factories.operate_in("CA")
    return User.create(email="gia@alma.example", name="Gia Growth", roles="growth")


def as_user(http, user):
    with http.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["seen"] = utcnow().timestamp()


def test_a_pre_licensed_applicant_is_told_kindly_and_kept(client, growth, mailbox, deliver):
    response = apply(client, level="pre_licensed")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not yet" in body and "rooting for you" in body
    application = MembershipApplication.get()
    assert application.status == REFUSED and not application.may_join
    deliver()
    (email,) = mailbox.to("robin@example.org")
    assert "/join/link/" not in email.get_body(("plain",)).get_content()


def test_the_form_checks_what_it_needs_and_keeps_what_was_typed(client, growth):
    bad_npi = apply(client, npi="1234567890")
    assert bad_npi.status_code == 422 and "doesn" in bad_npi.get_data(as_text=True)
    wide = apply(client, npi="１２３４５６７８９３")  # full-width digits
    assert wide.status_code == 422
    supervised = apply(client, **{"licenses-0-under_supervision": "y"})
    body = supervised.get_data(as_text=True)
    assert supervised.status_code == 422 and "supervisor" in body
    assert 'value="Robin Hale"' in body and 'value="LMFT 12345"' in body
    none = apply(client, **{"licenses-0-state": None, "licenses-0-license_type": None,
                            "licenses-0-number": None, "licenses-0-level": None})
    assert none.status_code == 422 and "at least one licence" in none.get_data(as_text=True)
    assert MembershipApplication.select().count() == 0


def test_a_licensed_applicant_books_moves_and_cancels_the_call(
        app, client, growth, mailbox, deliver):
    soon = utcnow().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=2)
    with app.app_context():
        assert service.publish_slots(growth, [soon, soon + datetime.timedelta(minutes=30)]) == 2
    response = apply(client, supervised=True)
    assert "You can join" in response.get_data(as_text=True)
    deliver()
    link = link_in(mailbox.to("robin@example.org")[0], "/join/link/")
    mailbox.clear()
    opened = client.post(link, data={"csrf_token": csrf_token_from(client.get(link))})
    page = client.get(opened.headers["Location"])
    first, second = OnboardingSlot.select().order_by(OnboardingSlot.starts_at)
    client.post("/join/application/book", data={"csrf_token": csrf_token_from(page),
                                                 "slot_id": first.id})
    assert MembershipApplication.get().status == CALL_BOOKED
    assert OnboardingSlot.get_by_id(first.id).application_id == MembershipApplication.get().id
    deliver()
    (to_robin,) = mailbox.to("robin@example.org")
    (to_gia,) = mailbox.to("gia@alma.example")
    calendars = [part for part in to_robin.iter_attachments()
                 if part.get_content_type() == "text/calendar"]
    assert calendars and "METHOD:REQUEST" in calendars[0].get_content()
    # In the applicant's zone (California: Pacific), with its VTIMEZONE.
    pacific = soon.replace(tzinfo=datetime.timezone.utc).astimezone(
        ZoneInfo("America/Los_Angeles"))
    assert "DTSTART;TZID=America/Los_Angeles:" + pacific.strftime("%Y%m%dT%H%M%S") in \
        calendars[0].get_content()
    assert any(p.get_content_type() == "text/calendar" for p in to_gia.iter_attachments())
    mailbox.clear()

    client.post("/join/application/book", data={"csrf_token": csrf_token_from(page),
                                                 "slot_id": second.id})
    assert OnboardingSlot.get_by_id(first.id).application_id is None
    deliver()
    moved = mailbox.to("robin@example.org")[0]
    ics = next(p for p in moved.iter_attachments()).get_content()
    assert moved["Subject"].startswith("Moved") and "SEQUENCE:2" in ics
    mailbox.clear()

    client.post("/join/application/cancel", data={"csrf_token": csrf_token_from(page)})
    assert OnboardingSlot.select().where(OnboardingSlot.application.is_null(False)).count() == 0
    deliver()
    cancelled = mailbox.to("robin@example.org")[0]
    assert "METHOD:CANCEL" in next(p for p in cancelled.iter_attachments()).get_content()

    # Every email about the call opens the application afresh, long after the first link.
    for message in (moved, cancelled):
        later = app.test_client()  # another browser, with no session
        fresh = link_in(message, "/join/link/")
        shown = later.get(fresh)
        assert shown.status_code == 200, (fresh, shown.headers.get("Location"))
        opened = later.post(fresh, data={"csrf_token": csrf_token_from(shown)})
        assert opened.status_code == 303
        assert "Choose a time" in later.get(opened.headers["Location"]).get_data(as_text=True)


def test_a_call_moved_to_another_host_or_declined_leaves_no_stale_calendar(
        app, growth, mailbox, deliver):
    soon = utcnow().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=2)
    with app.app_context():
        other = User.create(email="gus@alma.example", name="Gus Growth", roles="growth")
        service.publish_slots(growth, [soon])
        service.publish_slots(other, [soon + datetime.timedelta(hours=1)])
        application = MembershipApplication.create(
            name="Ana Apply", email="ana@example.org", npi=npi(77), gender="woman",
            practice_state="CA", may_join=True, submission_key="ana")
        first, second = OnboardingSlot.select().order_by(OnboardingSlot.starts_at)
        service.book(application, first.id)
        deliver()
        mailbox.clear()
        service.book(MembershipApplication.get_by_id(application.id), second.id)
        deliver()
        (to_gia,) = mailbox.to("gia@alma.example")
        assert to_gia["Subject"].startswith("Cancelled")
        assert "METHOD:CANCEL" in next(to_gia.iter_attachments()).get_content()
        assert mailbox.to("gus@alma.example")[0]["Subject"].startswith("Moved")
        mailbox.clear()

        service.reject(MembershipApplication.get_by_id(application.id), "Not now.", growth)
        deliver()
        (to_gus,) = mailbox.to("gus@alma.example")
        assert "wasn't approved" in to_gus.get_body(("plain",)).get_content()
        (to_ana,) = mailbox.to("ana@example.org")
        for message in (to_gus, to_ana):
            assert "METHOD:CANCEL" in next(message.iter_attachments()).get_content()


def test_two_applicants_cannot_book_the_same_time(app, growth):
    soon = utcnow() + datetime.timedelta(days=1)
    with app.app_context():
        service.publish_slots(growth, [soon])
        slot = OnboardingSlot.get()
        a = MembershipApplication.create(name="A", email="a@x.org", npi="1", gender="man",
                                         practice_state="CA", may_join=True, submission_key="a")
        b = MembershipApplication.create(name="B", email="b@x.org", npi="2", gender="man",
                                         practice_state="CA", may_join=True, submission_key="b")
        service.book(a, slot.id)
        with pytest.raises(service.ApplicationProblem):
            service.book(b, slot.id)


def test_approval_makes_a_hidden_listing_and_a_welcome_that_leads_to_the_directory(
        app, client, growth, mailbox, deliver):
    apply(app.test_client())
    application = MembershipApplication.get()
    as_user(client, growth)
    detail = client.get(f"/team/applications/{application.id}")
    license_id = application.licenses[0].id
    missing = client.post(f"/team/applications/{application.id}/approve",
                          data={"csrf_token": csrf_token_from(detail)})
    assert missing.status_code == 422 and "expiry" in missing.get_data(as_text=True)
    approved = client.post(f"/team/applications/{application.id}/approve", data={
        "csrf_token": csrf_token_from(detail),
        f"expires_{license_id}": (utcnow().date() + datetime.timedelta(days=700)).isoformat()})
    assert approved.status_code == 303
    provider = Provider.get(Provider.email == "robin@example.org")
    assert provider.listing_hidden and MembershipApplication.get().status == APPROVED
    assert License.get(License.provider == provider.id).license_type == "LMFT"
    assert not Listing.select().where(Listing.provider == provider.id).exists()
    deliver()
    welcome = link_in(mailbox.to("robin@example.org")[-1], "/welcome/")

    member = app.test_client()
    page = member.get(welcome)
    started = member.post(welcome, data={"csrf_token": csrf_token_from(page),
                                         "password": PASSWORD})
    assert started.headers["Location"] == "/practice"
    listing = member.get("/practice")
    assert "Hidden from the directory" in listing.get_data(as_text=True)
    too_soon = member.post("/practice/visibility", data={"csrf_token": csrf_token_from(listing),
                                                         "show": "1"}, follow_redirects=True)
    assert "Before your listing shows" in too_soon.get_data(as_text=True)

    saved = member.post("/practice", data={
        "csrf_token": csrf_token_from(listing), "action": "save",
        "bio": "I help adults find their footing after loss and big changes, gently and "
               "practically, one week at a time.",
        "approach": "Mostly ACT.", "specialties": ["grief-and-loss", "anxiety"],
        "ages": ["adults"], "offers_telehealth": "y", "cash_rate": "140",
        "accepting_new_clients": "y", "contact_by_email": "y",
        "cancellation_policy": "24 hours' notice, please."})
    assert saved.status_code == 303
    member.post("/practice/visibility", data={"csrf_token": csrf_token_from(listing),
                                              "show": "1"})
    provider = Provider.get_by_id(provider.id)
    assert not provider.listing_hidden
    results = client.get("/providers?state=CA&q=footing").get_data(as_text=True)
    assert "Robin Hale" in results and "$140 a session" in results


def test_a_preview_shows_changes_without_saving_them(app, growth):
    provider = factories.provider(first_name="Pat", email="pat@example.com")
    factories.user_for(provider, PASSWORD)
    member = app.test_client()
    factories.sign_in(member, User.get(User.email == "pat@example.com"), PASSWORD)
    page = member.get("/practice")
    preview = member.post("/practice", data={
        "csrf_token": csrf_token_from(page), "action": "preview", "bio": "A brand new bio.",
        "offers_telehealth": "y"})
    assert "Preview: not saved yet" in preview.get_data(as_text=True)
    assert "A brand new bio." in preview.get_data(as_text=True)
    assert Provider.get_by_id(provider.id).bio != "A brand new bio."


def test_the_listing_form_refuses_what_cannot_be_shown(app, growth):
    provider = factories.provider(first_name="Pat", email="pat@example.com")
    factories.user_for(provider, PASSWORD)
    member = app.test_client()
    factories.sign_in(member, User.get(User.email == "pat@example.com"), PASSWORD)
    page = member.get("/practice")
    response = member.post("/practice", data={
        "csrf_token": csrf_token_from(page), "action": "save", "bio": "Kept as typed.",
        "offers_in_person": "y", "cash_rate": "5", "sliding_scale": "y"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "zip code" in body and "from $20" in body and "Kept as typed." in body
