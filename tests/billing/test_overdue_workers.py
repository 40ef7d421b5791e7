"""Overdue invoices with real workers at once: every claim is won by one process, so one
digest per provider a day and one reminder per stage, however many run."""
import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from playhouse.migrations import Runner

from alma.accounts.models import EmailLink
from alma.billing.models import Invoice, InvoiceLine, OverdueDigest
from alma.cli import MIGRATIONS
from alma.mail.models import OutboundEmail
from alma.network.models import Client, Provider

D = datetime.date
ROOT = Path(__file__).resolve().parents[2]

WORKER = ("import datetime, sys\n"
          "from alma.factory import create_app\n"
          "from alma.billing import overdue\n"
          "from alma.db import db\n"
          "app = create_app()\n"
          "with app.app_context(), db.connection_context():\n"
          "    print(overdue.run(datetime.date.fromisoformat(sys.argv[1])))\n")
WORKER_MODELS = [Provider, Client, Invoice, InvoiceLine, OutboundEmail, OverdueDigest, EmailLink]
PROVIDERS = 5
DAYS_OVERDUE = (1, 3, 7, 9, 14, 30, 57)  # reminder stages 1, 1, 2, 2, 3, 3, 3
ON = D(2026, 5, 1)


@pytest.fixture
def overdue_world(scratch_database):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    with scratch_database.database.bind_ctx(WORKER_MODELS):
        for p in range(PROVIDERS):
            provider = Provider.create(slug=f"worker-{p}", first_name="Worker", last_name=str(p),
                                       email=f"worker{p}@example.com", npi=f"{p:010d}",
                                       gender="woman")
            for n, days in enumerate(DAYS_OVERDUE):
                client = Client.create(email=f"client-{p}-{n}@example.org",
                                       name=f"Client {p}-{n}")
                Invoice.create(number=f"AL-W-{p}-{n}", kind="copay", owed_by_client=client,
                               treating_provider=provider, total_cents=2500,
                               issued_on=ON - datetime.timedelta(days=days + 14),
                               due_on=ON - datetime.timedelta(days=days))
    return scratch_database


def workers_at_once(database, on, count=3):
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": "overdue-worker-test"}
    processes = [subprocess.Popen([sys.executable, "-c", WORKER, on.isoformat()], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(count)]
    done = 0
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]
        done += int(out.decode().strip().splitlines()[-1])
    return done


def outbox(database):
    with database.database.bind_ctx(WORKER_MODELS):
        return ([e.dedupe_key for e in OutboundEmail.select()
                 .where(OutboundEmail.template == "invoice_overdue")],
                [e.to_address for e in OutboundEmail.select()
                 .where(OutboundEmail.template == "overdue_digest")],
                OverdueDigest.select().count())


def test_workers_running_at_once_send_one_digest_per_provider_and_one_reminder_per_stage(
        overdue_world):
    invoices = PROVIDERS * len(DAYS_OVERDUE)
    # Every claim is won by exactly one process: marks + reminders + digests, counted once.
    assert workers_at_once(overdue_world, ON) == invoices + invoices + PROVIDERS
    reminders, digests, digest_rows = outbox(overdue_world)
    assert len(reminders) == len(set(reminders)) == invoices
    stages = sorted(key.rsplit(":", 1)[1] for key in reminders)
    assert stages == sorted(["1", "1", "2", "2", "3", "3", "3"] * PROVIDERS)
    assert sorted(digests) == sorted(f"worker{p}@example.com" for p in range(PROVIDERS))
    assert digest_rows == PROVIDERS

    # The next day nothing changed: nothing is sent, however many run.
    assert workers_at_once(overdue_world, ON + datetime.timedelta(days=1)) == 0
    # Three days on, the 3-day-old one reaches its second reminder and the 57-day-old
    # one passes 60: one more reminder each, one more digest each provider.
    assert workers_at_once(overdue_world, ON + datetime.timedelta(days=4)) == \
        PROVIDERS + PROVIDERS
    reminders, digests, digest_rows = outbox(overdue_world)
    assert len(reminders) == len(set(reminders)) == invoices + PROVIDERS
    assert len(digests) == digest_rows == 2 * PROVIDERS
