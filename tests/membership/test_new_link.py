"""An applicant whose link no longer works asks for a fresh one by email: never a dead end,
never the therapists' sign-in, and no sign of whether an address applied."""
import pytest

from alma.membership.models import REFUSED, MembershipApplication
from tests import factories
from tests.conftest import csrf_token_from, link_in
from tests.membership.test_joining import apply

ROBIN = "robin@example.org"


@pytest.fixture
def operating(db):
    factories.operate_in("CA")


def _open(client, link):
    return client.post(link, data={"csrf_token": csrf_token_from(client.get(link))})


def _ask(client, email):
    page = client.get("/join/new-link")
    return client.post("/join/new-link", data={"csrf_token": csrf_token_from(page),
                                               "email": email})


def test_a_used_link_offers_a_new_one_by_email_and_the_new_one_opens_the_application(
        client, operating, mailbox, deliver):
    apply(client)
    deliver()
    link = link_in(mailbox.to(ROBIN)[0], "/join/link/")
    mailbox.clear()
    assert _open(client, link).status_code == 303
    with client.session_transaction() as session:
        session.clear()  # another device, or a day later

    dead = client.get(link)
    body = dead.get_data(as_text=True)
    assert dead.status_code == 410
    assert 'action="/join/new-link"' in body and "Email me a new link" in body
    main = body[body.index("<main"):body.index("</main>")]
    assert "sign-in" not in main.lower()  # an applicant has no password yet

    sent = _ask(client, "  Robin@Example.org ")
    assert sent.status_code == 200 and "Check your email" in sent.get_data(as_text=True)
    deliver()
    (message,) = mailbox.to(ROBIN)
    assert message["Subject"] == "Your link to your application to join Alma"
    fresh = link_in(message, "/join/link/")
    assert fresh != link
    opened = _open(client, fresh)
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/join/application")
    assert client.get("/join/application").status_code == 200


def test_an_unknown_or_decided_address_gets_the_same_answer_and_no_email(
        client, operating, mailbox, deliver):
    apply(client, level="pre_licensed")  # refused at once: nothing in progress
    assert MembershipApplication.get().status == REFUSED
    deliver()
    mailbox.clear()
    for email in (ROBIN, "nobody@example.org"):
        answer = _ask(client, email)
        assert answer.status_code == 200
        assert f"If {email} has an application in progress" in answer.get_data(as_text=True)
    deliver()
    assert mailbox.to(ROBIN) == [] and mailbox.to("nobody@example.org") == []


def test_a_bad_address_is_told_and_kept_and_a_post_without_csrf_is_refused(client, db):
    page = client.get("/join/new-link")
    answer = client.post("/join/new-link", data={"csrf_token": csrf_token_from(page),
                                                 "email": "robin at example"})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'value="robin at example"' in body
    assert client.post("/join/new-link", data={"email": ROBIN}).status_code == 400
