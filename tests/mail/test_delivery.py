"""The outbox and its delivery over SMTP, to a real server on loopback."""
import datetime

import pytest

from alma.clock import utcnow
from alma.mail import delivery
from alma.mail import service as mail
from alma.mail.models import FAILED, QUEUED, SENDING, SENT, OutboundEmail


@pytest.fixture
def queue(app, db):
    def put(to="client@example.org", key=None):
        with app.app_context():
            return mail.queue("state_launched", to, dedupe_key=key,
                              state=type("S", (), {"name": "Oregon"}),
                              search_url="http://localhost/providers?state=OR")
    return put


def test_it_delivers_the_text_and_html_of_each_message(queue, mailbox, deliver):
    row = queue()
    assert deliver() == 1
    (message,) = mailbox.messages
    assert message["Subject"] == "Alma is now in Oregon"
    assert message["Message-ID"] == row.message_id
    assert "Oregon" in message.get_body(("plain",)).get_content()
    assert "<html" in message.get_body(("html",)).get_content()
    row = OutboundEmail.get_by_id(row.id)
    assert (row.status, row.attempts) == (SENT, 1) and row.sent_at


def test_the_same_event_queues_one_email(queue):
    first, again = queue(key="waitlist:1:launched"), queue(key="waitlist:1:launched")
    assert first.id == again.id and OutboundEmail.select().count() == 1


def test_a_refused_recipient_fails_for_good_and_does_not_hold_up_others(queue, mailbox, deliver):
    bounced = queue(to="bounce@example.org")
    fine = queue(to="fine@example.org")
    assert deliver() == 1
    assert [m["To"] for m in mailbox.messages] == ["fine@example.org"]
    bounced = OutboundEmail.get_by_id(bounced.id)
    assert bounced.status == FAILED and "550" in bounced.last_error
    assert OutboundEmail.get_by_id(fine.id).status == SENT


def test_a_server_that_is_down_means_retries_with_growing_delays_then_failure(app, queue):
    row = queue()
    app.config.update(MAIL_TRANSPORT="smtp", SMTP_URL="smtp://127.0.0.1:9")  # nothing listens
    try:
        now = utcnow()
        delays = []
        with app.app_context():
            for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
                assert delivery.deliver_due(now=now) == 0
                row = OutboundEmail.get_by_id(row.id)
                assert row.attempts == attempt
                if row.status == QUEUED:
                    delays.append(row.next_attempt_at - now)
                    assert delivery.deliver_due(now=now) == 0  # not due yet: not tried
                    now = row.next_attempt_at
        assert row.status == FAILED and row.last_error
        assert delays == sorted(delays) and delays[0] < delays[-1]
    finally:
        app.config.update(MAIL_TRANSPORT="console", SMTP_URL=None)


def test_a_message_left_sending_by_a_dead_worker_is_sent_later_once(queue, mailbox, deliver):
    row = queue()
    OutboundEmail.update(status=SENDING, claimed_at=utcnow() - datetime.timedelta(minutes=1),
                         attempts=1).where(OutboundEmail.id == row.id).execute()
    assert deliver() == 0  # the claim may still be alive
    OutboundEmail.update(claimed_at=utcnow() - delivery.LEASE - datetime.timedelta(seconds=1)
                         ).where(OutboundEmail.id == row.id).execute()
    assert deliver() == 1 and deliver() == 0
    assert len(mailbox.messages) == 1


def test_a_claim_is_won_by_one_worker(app, queue):
    row = queue()
    with app.app_context():
        now = utcnow()
        assert delivery.claim_next(now).id == row.id
        assert delivery.claim_next(now) is None


def test_the_outbox_page_exists_only_in_development(db, make_app):
    assert make_app().test_client().get("/dev/mail").status_code == 404
    development = make_app(ALMA_ENV="development").test_client()
    page = development.get("/dev/mail")
    assert page.status_code == 200 and "<h1>Outbox</h1>" in page.get_data(as_text=True)


def test_the_team_sees_failed_emails_and_can_send_them_again(app, queue, mailbox, deliver):
    bounced = queue(to="bounce@example.org")
    deliver()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["mail", "failed"])
    assert "bounce@example.org" in listed.output and "550" in listed.output
    assert "1 failed." in listed.output
    OutboundEmail.update(to_address="fixed@example.org").where(
        OutboundEmail.id == bounced.id).execute()
    assert runner.invoke(args=["mail", "retry", str(bounced.id)]).exit_code == 0
    assert runner.invoke(args=["mail", "retry", str(bounced.id)]).exit_code != 0  # not failed now
    assert deliver() == 1 and mailbox.to("fixed@example.org")


def test_links_are_sent_on_the_base_url_of_the_moment_not_of_the_queueing(
        app, db, mailbox, deliver, monkeypatch):
    """`flask seed` (or any job) run without BASE_URL writes links for 127.0.0.1:5000; the
    site served by `PORT=5001 make run` sends them on 5001. Another site's address that
    merely starts alike is left alone; a message from before base_url was kept is sent as
    written."""
    monkeypatch.setitem(app.config, "BASE_URL", "http://127.0.0.1:5000")
    with app.app_context():
        row = mail.queue("state_launched", "client@example.org",
                         state=type("S", (), {"name": "Oregon"}),
                         search_url="http://127.0.0.1:5000/providers?state=OR "
                                    "http://127.0.0.1:50000/elsewhere")
        old = mail.queue("state_launched", "old@example.org",
                         state=type("S", (), {"name": "Oregon"}),
                         search_url="http://127.0.0.1:5000/providers?state=OR")
    OutboundEmail.update(base_url=None).where(OutboundEmail.id == old.id).execute()
    assert row.base_url == "http://127.0.0.1:5000"
    monkeypatch.setitem(app.config, "BASE_URL", "http://127.0.0.1:5001")
    assert deliver() == 2
    [message] = mailbox.to("client@example.org")
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert "http://127.0.0.1:5001/providers?state=OR" in body
        assert "127.0.0.1:5000/" not in body and "http://127.0.0.1:50000/elsewhere" in body
    [unchanged] = mailbox.to("old@example.org")
    assert "http://127.0.0.1:5000/providers" in unchanged.get_body(("plain",)).get_content()
    with app.app_context():
        moved = "see https://alma.example/app/billing/x and https://alma.example/appendix"
        monkeypatch.setitem(app.config, "BASE_URL", "https://new.example")
        assert mail.rebased(moved, "https://alma.example/app") == (
            "see https://new.example/billing/x and https://alma.example/appendix")
