"""The real `flask --app app worker`, against a scratch database committed to for real.

Its first start runs every job, even on a small connection pool; SIGTERM lets the row
in hand finish and the process exit 0; started again, it does the rest, nothing twice.
"""
import collections
import datetime
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from playhouse.migrations import Runner

from alma import schedule
from alma.cli import MIGRATIONS
from alma.mail.models import QUEUED, SENDING, SENT, OutboundEmail
from alma.network.models import Provider
from alma.schedule import registry

ROOT = Path(__file__).resolve().parents[1]
FLASK = str(Path(sys.executable).parent / "flask")
JOBS = set(registry())
# The worker runs on the real clock, whatever --clock says: its work is dated long ago.
LONG_AGO = datetime.datetime(2020, 1, 1)
# What a lost run looks like: the job raised (say, the pool was full) or was skipped.
TROUBLE = re.compile(r'"level": "error"|raised an exception|was missed|Traceback')


class Worker:
    """One worker process; what it logs is collected as it comes."""

    def __init__(self, database_url, smtp_port, pool_size):
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "worker-test",
               "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "MAIL_TRANSPORT": "smtp",
               "ALMA_DB_POOL_SIZE": str(pool_size)}
        self.process = subprocess.Popen([FLASK, "--app", "app", "worker"], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def log(self):
        return "".join(self.lines)

    def jobs_done(self):
        return {match.group(1) for match in re.finditer(r"job (\S+) done", self.log())}

    def trouble(self):
        return [line for line in self.lines if TROUBLE.search(line)]

    def wait_for(self, condition, what, limit=180):
        """Wait until condition(); the limit only keeps a broken worker from hanging the suite."""
        deadline = time.monotonic() + limit
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited before it {what}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker never {what}:\n{self.log()}")
            time.sleep(0.1)

    def terminate(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=180)


@pytest.fixture
def start_worker(scratch_database, smtp_server, mailbox):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    controller, _ = smtp_server
    started = []

    def start(pool_size=8):
        worker = Worker(scratch_database.url, controller.port, pool_size)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def test_the_first_start_runs_every_job_even_with_a_small_pool(start_worker):
    worker = start_worker(pool_size=2)
    worker.wait_for(lambda: worker.jobs_done() >= JOBS or worker.trouble(), "ran every job")
    assert worker.trouble() == [], worker.log()
    assert worker.jobs_done() == JOBS
    assert worker.terminate() == 0, worker.log()


def test_sigterm_finishes_the_row_in_hand_and_a_restart_does_the_rest_once(
        scratch_database, start_worker, mailbox):
    database = scratch_database.database
    early = [f"early{n}@example.org" for n in range(3)]
    later = [f"later{n}@example.org" for n in range(20)]
    with database.bind_ctx([OutboundEmail, Provider]):
        for address in [*early, "hold@example.org", *later]:
            OutboundEmail.create(to_address=address, subject=f"Hello {address}",
                                 text_body="Hello.", html_body="<p>Hello.</p>",
                                 template="test", message_id=f"<{uuid.uuid4().hex}@test>",
                                 next_attempt_at=LONG_AGO)  # due whatever the worker's clock
        # Work for two other jobs: providers who said "accepting" long ago are asked whether
        # they still are, then shown as not accepting.
        for n in range(10):
            Provider.create(slug=f"p-{n}", first_name="P", last_name=str(n),
                            email=f"provider{n}@example.com", npi=f"{n:010d}", gender="woman",
                            accepting_new_clients=True,
                            accepting_confirmed_on=LONG_AGO.date())
    providers = [f"provider{n}@example.com" for n in range(10)]

    worker = start_worker()
    assert mailbox.held.wait(timeout=120), worker.log()  # mid-send: the server holds a message
    worker.process.send_signal(signal.SIGTERM)
    worker.wait_for(lambda: "stopping after the current row" in worker.log(), "heard SIGTERM")
    mailbox.release.set()
    assert worker.process.wait(timeout=180) == 0, worker.log()

    with database.bind_ctx([OutboundEmail, Provider]):
        status = {row.to_address: row.status for row in OutboundEmail.select()
                  .where(OutboundEmail.template == "test")}
        assert SENDING not in status.values()
        assert {status[a] for a in [*early, "hold@example.org"]} == {SENT}
        assert {status[a] for a in later} == {QUEUED}  # stopped before the next row
        emailed = collections.defaultdict(set)
        for row in OutboundEmail.select().where(OutboundEmail.template != "test"):
            emailed[row.template].add(row.to_address)
        for provider in Provider.select():  # each step done wholly or not at all
            assert (provider.accepting_check_sent_on is not None) == (
                provider.email in emailed["confirm_accepting"])
            assert provider.accepting_new_clients != (provider.email in emailed[
                "accepting_paused"])
    assert sorted(m["To"] for m in mailbox.messages) == sorted([*early, "hold@example.org"])

    again = start_worker()

    def all_done():
        with database.bind_ctx([OutboundEmail, Provider]):
            return (Provider.select().where(Provider.accepting_new_clients).count() == 0
                    and OutboundEmail.select().where(OutboundEmail.status != SENT).count() == 0)

    again.wait_for(all_done, "did everything")
    assert again.terminate() == 0, again.log()
    received = collections.Counter((m["To"], m["Subject"]) for m in mailbox.messages)
    assert {to for to, _ in received} == {*early, "hold@example.org", *later, *providers}
    assert set(received.values()) == {1}  # nothing twice


def test_a_run_that_finds_every_thread_busy_runs_late_rather_than_never(app, monkeypatch):
    """A run whose time comes while the scheduler's threads are all busy starts when one
    is free, however late (APScheduler's default drops a run over a second late)."""
    app.config["DB_POOL_SIZE"] = 2  # one thread for the jobs
    busy, release, ran = threading.Event(), threading.Event(), threading.Event()

    def hold():
        busy.set()
        release.wait(timeout=120)
        return 0

    monkeypatch.setattr(schedule, "JOBS", {"hold": (hold, 3600),
                                           "late": (lambda: ran.set() or 0, 3600)})
    scheduler = schedule.make_scheduler(app)
    due = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    scheduler.start(paused=True)
    scheduler.modify_job("hold", next_run_time=due)
    scheduler.modify_job("late", next_run_time=due + datetime.timedelta(milliseconds=100))
    scheduler.resume()
    try:
        assert busy.wait(timeout=60)
        while datetime.datetime.now(datetime.timezone.utc) < due + datetime.timedelta(seconds=3):
            time.sleep(0.1)  # "late" is due, and waits for the one thread
        assert not ran.is_set()
        release.set()
        assert ran.wait(timeout=60)
    finally:
        release.set()
        scheduler.shutdown(wait=True)
