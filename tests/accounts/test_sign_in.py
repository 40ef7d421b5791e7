"""Signing in with a password or an emailed link; sessions that really end."""
import datetime

import pytest

from alma.accounts import passwords
from alma.accounts.models import User
from alma.clock import utcnow
from alma.config import from_environment
from tests import factories
from tests.conftest import csrf_token_from, link_in

PASSWORD = "correct horse battery staple"


@pytest.fixture
def maya(db):
    factories.operate_in("CA")
    return factories.provider(first_name="Maya", email="maya@example.com")


@pytest.fixture
def user(maya):
    return factories.user_for(maya, PASSWORD)


def text(response):
    return response.get_data(as_text=True)


def post_sign_in(client, email, password, next_=""):
    token = csrf_token_from(client.get("/sign-in"))
    return client.post("/sign-in", data={"email": email, "password": password,
                                         "csrf_token": token, "next": next_})


def test_it_signs_in_with_the_right_password(client, user):
    response = post_sign_in(client, "MAYA@example.com ", PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/inbox"
    assert client.get("/inbox").status_code == 200


def test_it_refuses_a_wrong_password_and_keeps_the_email(client, user):
    response = post_sign_in(client, "maya@example.com", "wrong password!!")
    body = text(response)
    assert response.status_code == 422
    assert "don&#39;t match" in body and 'value="maya@example.com"' in body
    assert client.get("/inbox").status_code == 302
    assert User.get_by_id(user.id).failed_sign_ins == 1


def test_it_never_redirects_elsewhere_after_signing_in(client, user):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = post_sign_in(client, "maya@example.com", PASSWORD, next_=target)
        assert response.headers["Location"] == "/inbox"
    assert post_sign_in(client, "maya@example.com", PASSWORD,
                        next_="/account/password").headers["Location"] == "/account/password"


def test_a_next_that_is_no_address_at_all_leads_home(client, user):
    # urlsplit refuses an unclosed IPv6 host: a link with it once made signing in a 500.
    for target in ("//[x", "http://[x/inbox"):
        response = post_sign_in(client, "maya@example.com", PASSWORD, next_=target)
        assert response.status_code == 303 and response.headers["Location"] == "/inbox"


def test_a_sign_in_link_works_once_and_only_by_post(client, maya, mailbox, deliver):
    token = csrf_token_from(client.get("/sign-in"))
    sent = client.post("/sign-in/link", data={"link_email": "maya@example.com",
                                              "csrf_token": token})
    assert sent.status_code == 200 and "Check your email" in text(sent)
    deliver()
    link = link_in(mailbox.to("maya@example.com")[0], "/sign-in/link/")
    page = client.get(link)
    assert page.status_code == 200 and client.get("/inbox").status_code == 302
    signed = client.post(link, data={"csrf_token": csrf_token_from(page)})
    assert signed.status_code == 303 and client.get("/inbox").status_code == 200
    assert User.get(User.email == "maya@example.com").provider_id == maya.id  # made on first use
    other = client.application.test_client()
    assert other.get(link).status_code == 410


def test_a_sign_in_link_expires_after_ten_minutes(client, maya, mailbox, deliver, time_machine):
    time_machine.move_to(utcnow().replace(tzinfo=datetime.timezone.utc), tick=False)
    token = csrf_token_from(client.get("/sign-in"))
    client.post("/sign-in/link", data={"link_email": "maya@example.com", "csrf_token": token})
    deliver()
    link = link_in(mailbox.to("maya@example.com")[0], "/sign-in/link/")
    page_token = csrf_token_from(client.get(link))
    time_machine.shift(datetime.timedelta(minutes=10, seconds=1))
    response = client.post(link, data={"csrf_token": page_token})
    assert response.status_code == 410 and "expired" in text(response)


def test_it_says_the_same_whether_or_not_the_email_has_an_account(client, maya, mailbox, deliver):
    token = csrf_token_from(client.get("/sign-in"))
    unknown = client.post("/sign-in/link", data={"link_email": "nobody@example.com",
                                                 "csrf_token": token})
    assert unknown.status_code == 200 and "If nobody@example.com belongs" in text(unknown)
    assert deliver() == 0


def test_signing_out_ends_every_session_of_the_user(app, client, user):
    post_sign_in(client, "maya@example.com", PASSWORD)
    elsewhere = app.test_client()
    post_sign_in(elsewhere, "maya@example.com", PASSWORD)
    cookie_before = client.get_cookie("session").value
    token = csrf_token_from(client.get("/inbox"))
    client.post("/sign-out", data={"csrf_token": token})
    assert client.get("/inbox").status_code == 302
    assert elsewhere.get("/inbox").status_code == 302  # the other device is signed out too
    replayed = app.test_client()
    replayed.set_cookie("session", cookie_before)
    assert replayed.get("/inbox").status_code == 302  # an old cookie no longer works


def test_it_signs_out_after_thirty_idle_minutes(client, user, time_machine):
    time_machine.move_to(utcnow().replace(tzinfo=datetime.timezone.utc), tick=False)
    post_sign_in(client, "maya@example.com", PASSWORD)
    time_machine.shift(datetime.timedelta(minutes=29))
    assert client.get("/inbox").status_code == 200
    time_machine.shift(datetime.timedelta(minutes=29))
    assert client.get("/inbox").status_code == 200  # activity keeps it alive
    time_machine.shift(datetime.timedelta(minutes=31))
    assert client.get("/inbox").status_code == 302


def test_an_idle_device_signs_out_only_itself(app, client, user, time_machine, monkeypatch):
    # Shorter than the session cookie's life, so it is the idle check that acts.
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 10)
    time_machine.move_to(utcnow().replace(tzinfo=datetime.timezone.utc), tick=False)
    post_sign_in(client, "maya@example.com", PASSWORD)
    phone = app.test_client()
    post_sign_in(phone, "maya@example.com", PASSWORD)
    time_machine.shift(datetime.timedelta(minutes=6))
    assert phone.get("/inbox").status_code == 200  # the phone is in use; the laptop idles
    time_machine.shift(datetime.timedelta(minutes=5))
    laptop = client.get("/inbox")
    assert laptop.status_code == 302  # idle 11 minutes: signed out, and told why
    assert "without activity" in client.get(laptop.headers["Location"]).get_data(as_text=True)
    assert phone.get("/inbox").status_code == 200  # the phone stays signed in
    assert User.get_by_id(user.id).session_version == user.session_version


def test_the_session_cookie_lives_as_long_as_the_idle_timeout(tmp_path):
    config = from_environment(str(tmp_path), {"SECRET_KEY": "x",
                                              "ALMA_IDLE_TIMEOUT_MINUTES": "45"})
    assert config["PERMANENT_SESSION_LIFETIME"] == 45 * 60  # not cut short at 30


@pytest.mark.parametrize("password,problem", [
    ("short pass", "at least 12"),
    ("passwordpassword", "too common"),
    ("aaaaaaaaaaaaaaaa", "too common"),
    ("maya-is-my-name-1", "email address"),
])
def test_it_refuses_weak_passwords(client, user, password, problem):
    post_sign_in(client, "maya@example.com", PASSWORD)
    token = csrf_token_from(client.get("/account/password"))
    response = client.post("/account/password", data={"new_password": password,
                                                        "csrf_token": token})
    assert response.status_code == 422 and problem in text(response)
    assert passwords.verify(User.get_by_id(user.id).password_hash, PASSWORD)


def test_changing_a_password_later_needs_the_current_one(client, user, time_machine):
    time_machine.move_to(utcnow().replace(tzinfo=datetime.timezone.utc), tick=False)
    post_sign_in(client, "maya@example.com", PASSWORD)
    time_machine.shift(datetime.timedelta(minutes=11))
    page = client.get("/account/password")
    assert 'name="current_password"' in text(page)
    wrong = client.post("/account/password", data={
        "csrf_token": csrf_token_from(page), "current_password": "nope nope nope",
        "new_password": "a brand new long passphrase"})
    assert wrong.status_code == 422
    right = client.post("/account/password", data={
        "csrf_token": csrf_token_from(page), "current_password": PASSWORD,
        "new_password": "a brand new long passphrase"})
    assert right.status_code == 303
    assert passwords.verify(User.get_by_id(user.id).password_hash, "a brand new long passphrase")


def test_passwords_are_stored_as_argon2id_hashes(user):
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_sign_in_is_rate_limited(db, make_app):
    app = make_app(RATELIMIT_ENABLED=True, TESTING=True)
    client = app.test_client()
    statuses = [post_sign_in(client, "someone@example.com", "wrong password!!").status_code
                for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429
