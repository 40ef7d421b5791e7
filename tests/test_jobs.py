"""`flask jobs run all`: every job runs, whatever another one does; a stop request is
heard between rows."""
import datetime

import pytest
from playhouse.migrations import Runner

from alma.cli import MIGRATIONS
from alma.db import db, is_postgres
from alma.jobs import claim_each
from alma.schedule import registry
from alma.mail import service as mail
from alma.mail.models import QUEUED, OutboundEmail
from alma.network.models import Provider
from tests import factories

D = datetime.date


@pytest.fixture
def run_all(scratch_database, make_app):
    """`flask jobs run all` on a migrated scratch database, committing for real."""
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()

    def run():
        app = make_app(DATABASE_URL=scratch_database.url)
        try:
            return app.test_cli_runner().invoke(args=["jobs", "run", "all"])
        finally:
            if hasattr(db.obj, "close_all"):
                db.obj.close_all()  # pooled connections would keep the scratch database busy
    return run


def test_run_all_runs_every_job_then_fails_naming_the_ones_that_failed(scratch_database,
                                                                       run_all):
    # Two tables gone, as after a botched deploy: the first job and a later one fail for real.
    cascade = " CASCADE" if is_postgres() else ""
    for table in ("outbound_email", "eligibility_check"):
        scratch_database.database.execute_sql(f"DROP TABLE {table}{cascade}")

    result = run_all()

    assert result.exit_code == 1, result.output
    failed = "failed: deliver-email, forget-visitor-checks"
    assert f"2 of {len(registry())} {failed}" in result.output
    assert "deliver-email: failed" in result.output
    for name in registry():
        if name not in ("deliver-email", "forget-visitor-checks"):
            assert f"{name}: " in result.stdout and f"{name}: failed" not in result.output


def test_run_all_exits_zero_when_every_job_succeeds(run_all):
    result = run_all()
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": ") == len(registry())


def test_claim_each_stops_after_the_row_in_hand(app_ctx, stop_jobs):
    providers = [factories.provider(reindex=False) for _ in range(3)]
    acted = []

    def act(provider):
        acted.append(provider.id)
        stop_jobs()  # SIGTERM arrives while this row is being done

    ids = [p.id for p in providers]
    due = Provider.id.in_(ids) & Provider.accepting_check_sent_on.is_null()
    assert claim_each(Provider, due, {Provider.accepting_check_sent_on: D(2026, 1, 1)}, act) == 1
    assert acted == [ids[0]]
    assert Provider.select().where(due).count() == 2  # left for the next run, unclaimed


def test_delivery_stops_before_the_next_message(app, db, mailbox, deliver, stop_jobs):
    with app.app_context():
        for n in range(2):
            mail.queue("state_launched", f"person{n}@example.org",
                       state=type("S", (), {"name": "Oregon"}), search_url="http://localhost/")
    stop_jobs()
    assert deliver() == 0 and mailbox.messages == []
    assert OutboundEmail.select().where(OutboundEmail.status == QUEUED).count() == 2
