"""Wrong passwords pause one account's password sign-in (ASVS 2.2.1); the owner's way back.

The person typing always gets the same answer, after the same work, whether the account
exists, has a password, is paused or not; only the owner's inbox says what happened.
"""
import datetime
import logging
import re

import argon2
import pytest

from alma.accounts import passwords, pauses, service
from alma.accounts.models import EmailLink, User
from alma.clock import utcnow
from alma.db import db as database
from alma.mail import delivery
from tests import factories
from tests.conftest import csrf_token_from, link_in

PASSWORD = "correct horse battery staple"
WRONG = "not the right password"


@pytest.fixture
def maya(db):
    factories.operate_in("CA")
    provider = factories.provider(first_name="Maya", email="maya@example.com")
    return factories.user_for(provider, PASSWORD)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(utcnow().replace(tzinfo=datetime.timezone.utc), tick=False)
    return time_machine


@pytest.fixture
def verifications(monkeypatch):
    """Every argon2 verification, by the hash it was checked against (the real hasher runs)."""
    checked = []
    real = passwords._hasher

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, password_hash, plain):
            checked.append(password_hash)
            return real.verify(password_hash, plain)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    return checked


def post_sign_in(client, email, password):
    token = csrf_token_from(client.get("/sign-in"))
    return client.post("/sign-in", data={"email": email, "password": password,
                                         "csrf_token": token})


def answer(response):
    """What the person typing is told, without the parts that differ by design."""
    body = response.get_data(as_text=True)
    body = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", body)
    return response.status_code, re.sub(r'value="[^"]*@example\.com"', "", body)


def fail_times(client, email, times):
    return [post_sign_in(client, email, WRONG) for _ in range(times)]


def reopen_link(mailbox, deliver, address="maya@example.com"):
    deliver()
    [message] = [m for m in mailbox.to(address) if "paused" in m["Subject"]]
    return link_in(message, "/sign-in/reopen/")


def test_ten_wrong_passwords_pause_password_sign_in_and_email_the_owner(
        client, maya, mailbox, deliver, frozen):
    assert {r.status_code for r in fail_times(client, "maya@example.com", 9)} == {422}
    assert post_sign_in(client, "maya@example.com", PASSWORD).status_code == 303
    assert User.get_by_id(maya.id).failed_sign_ins == 0  # a sign-in ends the run

    fail_times(client.application.test_client(), "maya@example.com", 10)
    user = User.get_by_id(maya.id)
    assert user.failed_sign_ins == 10
    assert user.password_paused_until == utcnow() + pauses.PAUSE
    stranger = client.application.test_client()
    refused = post_sign_in(stranger, "maya@example.com", PASSWORD)  # even the right one
    assert refused.status_code == 422 and "don&#39;t match" in refused.get_data(as_text=True)
    assert stranger.get("/inbox").status_code == 302

    deliver()
    [email] = mailbox.to("maya@example.com")
    assert email["Subject"] == "Password sign-in to your Alma account is paused"
    body = email.get_body(("plain",)).get_content()
    assert "10 times in a row" in body and "/sign-in/reopen/" in body
    assert "Email me a sign-in link" in body  # a member can also sign in by link


def test_the_answer_is_the_same_for_unknown_wrong_and_paused_accounts(client, maya):
    wrong = post_sign_in(client, "maya@example.com", WRONG)
    unknown = post_sign_in(client, "nobody@example.com", WRONG)
    no_password = factories.user_for(factories.provider(email="nopass@example.com"))
    never_chose = post_sign_in(client, no_password.email, WRONG)
    fail_times(client, "maya@example.com", 9)
    paused = post_sign_in(client, "maya@example.com", PASSWORD)
    assert answer(wrong) == answer(unknown) == answer(never_chose) == answer(paused)
    assert wrong.status_code == 422


def test_every_answer_costs_one_argon2_verification(client, maya, verifications):
    """Same time whoever is asked about, shown without a clock: the same work in each case."""
    nobody = factories.user_for(factories.provider(email="nopass@example.com"))
    removed = User.create(email="gone@alma.example", name="Gone", roles="matching",
                          active=False, password_hash=passwords.hash_password(PASSWORD))
    cases = [("maya@example.com", WRONG), ("nobody@example.com", WRONG),
             (nobody.email, WRONG), (removed.email, PASSWORD)]
    for email, password in cases:
        verifications.clear()
        post_sign_in(client, email, password)
        assert len(verifications) == 1, email
    assert verifications == [passwords.dummy_hash()]
    fail_times(client, "maya@example.com", 9)
    verifications.clear()
    assert post_sign_in(client, "maya@example.com", PASSWORD).status_code == 422
    assert verifications == [passwords.dummy_hash()]  # paused: the password isn't even tried
    # The dummy costs what a real hash costs.
    assert argon2.extract_parameters(passwords.dummy_hash()) == \
        argon2.extract_parameters(maya.password_hash)


def test_the_emailed_link_reopens_password_sign_in_once(client, maya, mailbox, deliver):
    fail_times(client, "maya@example.com", 10)
    link = reopen_link(mailbox, deliver)
    visitor = client.application.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "Open password sign-in" in page.get_data(as_text=True)
    assert pauses.paused(User.get_by_id(maya.id))  # a GET changes nothing
    reopened = visitor.post(link, data={"csrf_token": csrf_token_from(page)})
    assert reopened.status_code == 303 and reopened.headers["Location"] == "/sign-in"
    assert visitor.get("/inbox").status_code == 302  # the link signs nobody in
    user = User.get_by_id(maya.id)
    assert user.failed_sign_ins == 0 and user.password_paused_until is None
    again = visitor.post(link, data={"csrf_token": csrf_token_from(page)})
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)
    assert visitor.get(link).status_code == 410
    assert post_sign_in(visitor, "maya@example.com", PASSWORD).status_code == 303


def test_guessing_again_at_once_never_keeps_out_the_browser_that_opened_the_link(
        app, client, maya, mailbox, deliver):
    # From enough addresses, ten more wrong passwords arrive in the second between the
    # owner's click and their typing: the browser that opened the link still gets in.
    fail_times(client, "maya@example.com", 10)
    link = reopen_link(mailbox, deliver)
    owner = app.test_client()
    owner.post(link, data={"csrf_token": csrf_token_from(owner.get(link))})
    fail_times(client, "maya@example.com", 10)
    assert pauses.paused(User.get_by_id(maya.id))
    assert post_sign_in(app.test_client(), "maya@example.com", PASSWORD).status_code == 422
    assert post_sign_in(owner, "maya@example.com", WRONG).status_code == 422
    assert post_sign_in(owner, "maya@example.com", PASSWORD).status_code == 303
    assert not pauses.paused(User.get_by_id(maya.id))


def test_an_expired_or_tampered_link_changes_nothing(client, maya, mailbox, deliver, frozen):
    fail_times(client, "maya@example.com", 10)
    link = reopen_link(mailbox, deliver)
    page_token = csrf_token_from(client.get(link))
    tampered = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
    assert client.get(tampered).status_code == 410
    assert client.post(tampered, data={"csrf_token": page_token}).status_code == 410
    frozen.shift(pauses.REOPEN_TTL + datetime.timedelta(seconds=1))
    fail_times(client, "maya@example.com", 1)  # paused again after the first pause ended
    assert client.get(link).status_code == 410
    expired = client.post(link, data={"csrf_token": csrf_token_from(client.get("/sign-in"))})
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert pauses.paused(User.get_by_id(maya.id))
    assert EmailLink.get(EmailLink.purpose == pauses.REOPEN).used_at is None


def test_the_pause_ends_by_itself_and_each_later_wrong_password_starts_another(
        client, maya, mailbox, deliver, frozen):
    fail_times(client, "maya@example.com", 10)
    frozen.shift(datetime.timedelta(minutes=10))
    fail_times(client, "maya@example.com", 5)  # during the pause: counted, not lengthening it
    assert User.get_by_id(maya.id).password_paused_until == \
        utcnow() - datetime.timedelta(minutes=10) + pauses.PAUSE
    frozen.shift(datetime.timedelta(minutes=5, seconds=1))
    fail_times(client, "maya@example.com", 1)  # one try after the pause: paused again
    assert post_sign_in(client, "maya@example.com", PASSWORD).status_code == 422
    frozen.shift(pauses.PAUSE)
    assert post_sign_in(client, "maya@example.com", PASSWORD).status_code == 303
    assert User.get_by_id(maya.id).failed_sign_ins == 0
    deliver()
    assert len(mailbox.to("maya@example.com")) == 1  # one email for the whole run


def test_a_run_that_outlasts_the_link_emails_a_fresh_one_and_the_owner_gets_back_in(
        app, db, mailbox, deliver, frozen):
    # Someone who knows only Sam's address tries once after each pause, for over a day:
    # Sam (team: password only) must not be left without a link that works.
    User.create(email="sam@alma.example", name="Sam Match", roles="matching",
                password_hash=passwords.hash_password(PASSWORD))
    guesser = app.test_client()
    fail_times(guesser, "sam@alma.example", 10)
    for _ in range(4 * 25):
        frozen.shift(pauses.PAUSE + datetime.timedelta(seconds=1))
        fail_times(guesser, "sam@alma.example", 1)
    deliver()
    first, second = [m for m in mailbox.to("sam@alma.example") if "paused" in m["Subject"]]
    assert guesser.get(link_in(first, "/sign-in/reopen/")).status_code == 410  # expired
    link = link_in(second, "/sign-in/reopen/")
    sam = app.test_client()
    assert sam.post(link, data={"csrf_token": csrf_token_from(sam.get(link))}).status_code == 303
    assert post_sign_in(sam, "sam@alma.example", PASSWORD).status_code == 303


def from_address(app, address):
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = address
    return http


def test_wrong_passwords_from_many_addresses_never_keep_the_owner_out_once_reopened(
        app, make_app, mailbox):
    # A limit per email address would: anyone could spend it, and the owner's right
    # password would meet a 429 for the rest of the hour, reopened or not.
    limited = make_app(RATELIMIT_ENABLED=True, TESTING=True, BASE_URL="http://localhost",
                       MAIL_TRANSPORT="smtp", SMTP_URL=app.config["SMTP_URL"])
    with database.atomic() as transaction:  # seen by the requests: they share this thread
        User.create(email="sam@alma.example", name="Sam Match", roles="matching",
                    password_hash=passwords.hash_password(PASSWORD))
        for n in range(12):  # ten tries a minute from each address
            guesser = from_address(limited, f"10.0.0.{n}")
            assert {r.status_code for r in fail_times(guesser, "sam@alma.example", 10)} == {422}
        with limited.app_context():
            delivery.deliver_due()
        [message] = [m for m in mailbox.to("sam@alma.example") if "paused" in m["Subject"]]
        link = link_in(message, "/sign-in/reopen/")
        sam = from_address(limited, "192.0.2.7")
        assert sam.post(link, data={"csrf_token": csrf_token_from(sam.get(link))}).status_code \
            == 303
        assert post_sign_in(sam, "sam@alma.example", PASSWORD).status_code == 303
        transaction.rollback()


def test_a_sign_in_by_emailed_link_ends_the_pause(client, maya, mailbox, deliver):
    fail_times(client, "maya@example.com", 12)
    token = csrf_token_from(client.get("/sign-in"))
    client.post("/sign-in/link", data={"link_email": "maya@example.com", "csrf_token": token})
    deliver()
    link = link_in(mailbox.to("maya@example.com")[-1], "/sign-in/link/")
    signed = client.post(link, data={"csrf_token": csrf_token_from(client.get(link))})
    assert signed.status_code == 303
    user = User.get_by_id(maya.id)
    assert user.failed_sign_ins == 0 and user.password_paused_until is None


def test_a_team_member_who_signs_in_by_password_only_gets_back_in(app, db, mailbox, deliver):
    User.create(email="sam@alma.example", name="Sam Match", roles="matching",
                password_hash=passwords.hash_password(PASSWORD))
    http = app.test_client()
    fail_times(http, "sam@alma.example", 10)
    link = reopen_link(mailbox, deliver, "sam@alma.example")
    body = mailbox.to("sam@alma.example")[0].get_body(("plain",)).get_content()
    assert "Email me a sign-in link" not in body  # the team can't sign in by link
    http.post(link, data={"csrf_token": csrf_token_from(http.get(link))})
    signed = post_sign_in(http, "sam@alma.example", PASSWORD)
    assert signed.status_code == 303 and signed.headers["Location"] == "/team"


def test_an_unknown_email_gets_no_email_and_no_row(client, maya, mailbox, deliver):
    fail_times(client, "nobody@example.com", 12)
    assert deliver() == 0 and not User.select().where(User.email == "nobody@example.com").exists()


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append((record.getMessage(), record.fields))


def test_the_team_can_follow_what_happened_in_the_log(client, maya, mailbox, deliver):
    logger, collect = logging.getLogger("alma.accounts"), Collect()
    logger.addHandler(collect)
    try:
        fail_times(client, "maya@example.com", 10)
        post_sign_in(client, "nobody@example.com", WRONG)
        client.post(reopen_link(mailbox, deliver), data={
            "csrf_token": csrf_token_from(client.get("/sign-in"))})
    finally:
        logger.removeHandler(collect)
    records = collect.records
    paused = [fields for message, fields in records if message == "password sign-in paused"]
    assert paused == [{"user_id": maya.id, "failures": 10, "until": paused[0]["until"],
                       "owner_emailed": True, "ip": "127.0.0.1"}]
    assert ("sign-in failed", {"user_id": maya.id, "failures": 9, "ip": "127.0.0.1"}) in records
    assert ("sign-in failed", {"user_id": None, "ip": "127.0.0.1"}) in records
    assert ("password sign-in reopened by emailed link",
            {"user_id": maya.id, "ip": "127.0.0.1"}) in records
    assert not any("@" in str(fields) for _, fields in records)  # ids, never addresses


def test_choosing_a_password_from_a_welcome_link_ends_the_run(app, db, mailbox, deliver):
    admin = User.create(email="ada@alma.example", name="Ada", roles="admin")
    with app.app_context():
        sam = service.invite("sam@alma.example", "Sam Match", ["matching"], invited_by=admin)
    http = app.test_client()
    fail_times(http, "sam@alma.example", 10)  # before Sam has a password: counted all the same
    assert pauses.paused(User.get_by_id(sam.id))
    deliver()
    link = link_in(mailbox.to("sam@alma.example")[0], "/welcome/")
    http.post(link, data={"csrf_token": csrf_token_from(http.get(link)), "password": PASSWORD})
    user = User.get_by_id(sam.id)
    assert user.failed_sign_ins == 0 and not pauses.paused(user)
