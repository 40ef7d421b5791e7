"""Real worker processes: several at once send each message once; one killed mid-send loses nothing."""
import datetime
import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
from playhouse.migrations import Runner

from alma.cli import MIGRATIONS
from alma.clock import utcnow
from alma.mail.delivery import LEASE
from alma.mail.models import SENDING, SENT, OutboundEmail
from tests.conftest import flask_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outbox_database(scratch_database):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    return scratch_database


def put(database, addresses):
    with database.database.bind_ctx([OutboundEmail]):
        for address in addresses:
            OutboundEmail.create(to_address=address, subject=f"Hello {address}",
                                 text_body="Hello.", html_body="<p>Hello.</p>",
                                 template="test", message_id=f"<{uuid.uuid4().hex}@test>")


def rows(database):
    with database.database.bind_ctx([OutboundEmail]):
        return list(OutboundEmail.select().order_by(OutboundEmail.id))


def worker(database, smtp_server):
    controller, _ = smtp_server
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": "worker-test",
           "SMTP_URL": f"smtp://127.0.0.1:{controller.port}", "MAIL_TRANSPORT": "smtp"}
    return subprocess.Popen(flask_command("jobs", "run", "deliver-email"), cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_workers_at_once_send_each_message_once(outbox_database, smtp_server, mailbox):
    addresses = [f"person{n}@example.org" for n in range(40)]
    put(outbox_database, addresses)
    first, second = worker(outbox_database, smtp_server), worker(outbox_database, smtp_server)
    for process in (first, second):
        assert process.wait(timeout=120) == 0, process.stderr.read().decode()[-2000:]
    assert sorted(m["To"] for m in mailbox.messages) == sorted(addresses)
    assert len({m["Message-ID"] for m in mailbox.messages}) == 40
    assert {row.status for row in rows(outbox_database)} == {SENT}


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
        outbox_database, smtp_server, mailbox):
    put(outbox_database, ["stall@example.org", "second@example.org", "third@example.org"])
    doomed = worker(outbox_database, smtp_server)
    assert mailbox.stalled.wait(timeout=60), "the worker never reached the server"
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    left = rows(outbox_database)
    assert [row.status for row in left] == [SENDING, "queued", "queued"]
    assert mailbox.messages == []

    # Time passes beyond the claim's lease, as it would before the next run.
    with outbox_database.database.bind_ctx([OutboundEmail]):
        OutboundEmail.update(claimed_at=utcnow() - LEASE - datetime.timedelta(seconds=1)).where(
            OutboundEmail.status == SENDING).execute()
    again = worker(outbox_database, smtp_server)
    assert again.wait(timeout=120) == 0, again.stderr.read().decode()[-2000:]
    assert sorted(m["To"] for m in mailbox.messages) == [
        "second@example.org", "stall@example.org", "third@example.org"]
    assert {row.status for row in rows(outbox_database)} == {SENT}
