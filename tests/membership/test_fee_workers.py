"""Real `flask jobs run invoice-membership-fees` processes: run together, or killed and run
again, they issue each member exactly one fee invoice, each with its lines and its one email."""
import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playhouse.migrations import Runner

from alma.billing.models import Invoice, InvoiceLine
from alma.cli import MIGRATIONS
from alma.mail.models import OutboundEmail
from alma.membership.models import Membership
from alma.network.models import Provider

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")
MODELS = [Provider, Membership, Invoice, InvoiceLine, OutboundEmail]
MEMBERS = 40


@pytest.fixture
def members(scratch_database):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    with scratch_database.database.bind_ctx(MODELS):
        for n in range(MEMBERS):
            provider = Provider.create(slug=f"member-{n}", first_name="Member", last_name=str(n),
                                       email=f"member{n}@example.com", npi=f"{n:010d}",
                                       gender="woman")
            # Billing day 1, started long ago: whatever today is, a period has begun.
            Membership.create(provider=provider, fee_cents=12500, billing_day=1,
                              started_on=datetime.date(2025, 1, 1))
    return scratch_database


def job(database):
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": "fee-worker-test"}
    return subprocess.Popen([FLASK, "--app", "app", "jobs", "run", "invoice-membership-fees"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def outcome(database):
    with database.database.bind_ctx(MODELS):
        invoices = list(Invoice.select())
        lines = {line.invoice_id for line in InvoiceLine.select()}
        emails = [e.to_address for e in OutboundEmail.select()
                  .where(OutboundEmail.template == "invoice_issued")]
        return invoices, lines, emails


def assert_one_each(database):
    invoices, lines, emails = outcome(database)
    owed_by = sorted(invoice.owed_by_provider_id for invoice in invoices)
    assert len(owed_by) == MEMBERS and len(set(owed_by)) == MEMBERS
    assert lines == {invoice.id for invoice in invoices}
    assert sorted(emails) == sorted(f"member{n}@example.com" for n in range(MEMBERS))


def test_three_runs_at_once_issue_one_invoice_per_member(members):
    processes = [job(members) for _ in range(3)]
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read().decode()[-2000:]
    assert_one_each(members)


def test_a_run_killed_part_way_leaves_nothing_half_written_and_the_next_run_finishes(members):
    doomed = job(members)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not outcome(members)[0]:
        time.sleep(0.01)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    invoices, lines, emails = outcome(members)
    # Whatever was issued before the kill is whole: its lines and its email with it.
    assert lines == {invoice.id for invoice in invoices}
    assert len(emails) == len(invoices)

    again = job(members)
    assert again.wait(timeout=120) == 0, again.stderr.read().decode()[-2000:]
    assert_one_each(members)
