"""Whatever a template is given, the outbox never stalls: the mail layer writes only
headers the email package can build, and a message that still cannot be built fails at
once, for the team to see, while the others go."""
import socket
import uuid

import pytest
from aiosmtpd.controller import Controller

from alma.mail import service as mail
from alma.mail.models import FAILED, QUEUED, SENT, OutboundEmail


class State:
    def __init__(self, name):
        self.name = name


@pytest.fixture
def launched(app, db):
    """Queue the "Alma is now in <state>" email, whose subject shows what it is given."""
    def put(name, to="client@example.org"):
        with app.app_context():
            return mail.queue("state_launched", to, state=State(name),
                              search_url="http://localhost/providers?state=OR")
    return put


def stored(database_row):
    return OutboundEmail.get_by_id(database_row.id)


def test_a_line_break_in_a_name_makes_a_one_line_subject_and_the_email_goes(
        launched, mailbox, deliver):
    row = launched("Ore\r\ngon\t \x00\x1b\u202eX\u2028Y")
    assert row.subject == "Alma is now in Ore gon X Y"
    assert "\n" not in stored(row).subject
    assert deliver() == 1
    (message,) = mailbox.messages
    assert message["Subject"] == row.subject
    assert stored(row).status == SENT


def test_a_long_subject_is_cut_to_fit_its_column(launched, mailbox, deliver):
    row = stored(launched("Oregon " * 60))
    assert len(row.subject) == OutboundEmail.subject.max_length and row.subject.endswith("…")
    assert deliver() == 1 and mailbox.messages[0]["Subject"] == row.subject


def test_text_no_database_can_hold_is_left_out_of_the_bodies(launched, mailbox, deliver):
    row = stored(launched("Ore\x00gon\ud800"))
    assert "Oregon" in row.text_body and "\x00" not in row.html_body
    assert deliver() == 1


@pytest.mark.parametrize("address", [
    "someone@example.org\r\nBcc: everyone@example.org", "two@example.org, three@example.org",
    "no-at-sign", "nobody@", "@example.org", "a@b@example.org", "", "x" * 250 + "@example.org",
])
def test_an_address_that_is_not_one_fails_at_once_and_the_change_goes_on(
        app, launched, mailbox, deliver, address):
    bad = stored(launched("Oregon", to=address))
    good = launched("Oregon", to="fine@example.org")
    assert bad.status == FAILED and bad.last_error.startswith("Not sent:")
    assert "\n" not in bad.to_address
    assert deliver() == 1 and [m["To"] for m in mailbox.messages] == ["fine@example.org"]
    assert stored(good).status == SENT and stored(bad).status == FAILED
    listed = app.test_cli_runner().invoke(args=["mail", "failed"])
    assert "Not sent:" in listed.output and "1 failed." in listed.output


def test_a_message_that_cannot_be_built_fails_at_once_and_the_others_go(app, db, mailbox,
                                                                         deliver):
    # Rows as an older release wrote them: a header the email package refuses.
    def put(to, subject):
        return OutboundEmail.create(to_address=to, subject=subject, text_body="Hello.",
                                    html_body="<p>Hello.</p>", template="test",
                                    message_id=f"<{uuid.uuid4().hex}@test>")

    broken_subject = put("first@example.org", "Call with Sam\nSmith")
    broken_address = put("second@", "Hello")
    fine = put("third@example.org", "Hello")
    assert deliver() == 1
    assert [m["To"] for m in mailbox.messages] == ["third@example.org"]
    for row in (broken_subject, broken_address):
        row = stored(row)
        assert (row.status, row.attempts) == (FAILED, 1)
        assert row.last_error.startswith("Could not be built")
    assert stored(fine).status == SENT
    assert OutboundEmail.select().where(OutboundEmail.status == QUEUED).count() == 0
    listed = app.test_cli_runner().invoke(args=["mail", "failed"])
    assert "first@example.org" in listed.output and "second@" in listed.output
    assert "2 failed." in listed.output


@pytest.mark.parametrize("address", [
    "two@example.org,three@example.org", "Bob <bob@example.org>",
    "a\u202e@example.org", "x@example.org\r\nBcc: y@example.org",
])
def test_sending_a_refused_address_again_sends_it_nowhere(app, launched, mailbox, deliver,
                                                         address):
    # `mail retry` once sent "two@…,three@…" to both, and a tidied "a@example.org" to
    # whoever has that address: each with a link meant for someone else.
    bad = stored(launched("Oregon", to=address))
    assert "\n" not in bad.to_address and "\u202e" not in bad.to_address
    assert app.test_cli_runner().invoke(args=["mail", "retry", str(bad.id)]).exit_code == 0
    assert deliver() == 0 and mailbox.messages == []
    again = stored(bad)
    assert again.status == FAILED and "Not sent:" in again.last_error


@pytest.fixture
def no_smtputf8(app, mailbox):
    """The loopback server as many providers' are: without SMTPUTF8 (non-ASCII addresses)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    yield mailbox
    controller.stop()


def test_an_address_with_a_non_ascii_domain_goes_as_its_ascii_form(launched, no_smtputf8,
                                                                   deliver):
    # It waited an hour of retries, then failed, on a server without SMTPUTF8.
    row = launched("Oregon", to="jamie@exämple.org")
    assert deliver() == 1 and stored(row).status == SENT
    assert [m["To"] for m in no_smtputf8.messages] == ["jamie@xn--exmple-cua.org"]


def test_a_non_ascii_name_fails_at_once_where_the_server_cannot_send_it(
        launched, no_smtputf8, deliver):
    unsendable = launched("Oregon", to="jämie@example.org")
    fine = launched("Oregon", to="fine@example.org")
    assert deliver() == 1 and [m["To"] for m in no_smtputf8.messages] == ["fine@example.org"]
    row = stored(unsendable)
    assert (row.status, row.attempts) == (FAILED, 1) and "SMTPUTF8" in row.last_error
    assert stored(fine).status == SENT
