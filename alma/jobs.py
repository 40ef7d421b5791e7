"""Background work: each job scans the database and claims one row at a time.

A claim is a conditional UPDATE that stamps the row; a row count of 1 means
this process won it, and the job writes its emails in that same transaction.
So a job can run in any number of processes, be killed at any moment and be
run again: nothing is done twice and nothing is lost.

`flask --app app worker` runs every job on a schedule (APScheduler, in that
process only); `flask --app app jobs run NAME` runs one once, for a PaaS
scheduler. Either stops on SIGTERM or Ctrl-C after the row in hand: every
loop over rows asks `stop_requested()` before the next one.
"""
import contextlib
import datetime
import logging
import signal
import threading
import time

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import current_app
from flask.cli import AppGroup

from alma.clock import utcnow
from alma.db import db

log = logging.getLogger("alma.jobs")

# Set by SIGTERM or Ctrl-C; nothing ever clears it in a running worker.
stopping = threading.Event()
# The worker's first runs start this far apart, so they do not all hit the
# database in the same second (and keep that spread on later runs).
STAGGER = datetime.timedelta(seconds=1)


def stop_requested():
    """True once the process was asked to stop: finish the row in hand, start no other."""
    return stopping.is_set()


def claim_each(model, due, stamps, act, limit=1000):
    """Claim due rows one at a time and act on each, in one transaction per row.

    `due` selects rows still to do; `stamps` (a dict of field -> value) is
    written by the claim and must make the row no longer due. A row whose
    action fails is skipped for the rest of this run (and logged), so one
    bad row can't stop the others or loop forever.
    """
    skipped, done = set(), 0
    while done < limit and not stop_requested():
        query = model.select(model.id).where(due).order_by(model.id).limit(1)
        if skipped:
            query = query.where(model.id.not_in(skipped))
        row = query.first()
        if row is None:
            break
        try:
            with db.atomic():
                won = model.update(stamps).where((model.id == row.id) & due).execute()
                if won == 1:
                    act(model.get_by_id(row.id))
                    done += 1
        except Exception:  # one row's failure must not stop the job
            log.exception("job step failed for %s %s", model.__name__, row.id)
            skipped.add(row.id)
    return done


def registry():
    from alma.consultations import jobs as consultation_jobs
    from alma.directory import honesty
    from alma.billing import overdue
    from alma.directory import service as directory
    from alma.insurance import benefits as insurance_benefits
    from alma.insurance import service as insurance
    from alma.mail import delivery
    from alma.membership import fees, leaving

    return {
        # name: (function, seconds between runs)
        "deliver-email": (lambda: delivery.deliver_due(limit=10_000), 10),
        "remind-providers": (consultation_jobs.remind_providers, 300),
        "suggest-others": (consultation_jobs.suggest_others, 300),
        "expire-requests": (consultation_jobs.expire_requests, 300),
        "refresh-answer-times": (honesty.refresh_answer_times, 6 * 3600),
        "ask-to-confirm-accepting": (honesty.ask_to_confirm_accepting, 3600),
        "stop-unconfirmed-accepting": (honesty.stop_unconfirmed_accepting, 3600),
        "invoice-membership-fees": (fees.invoice_fees, 3600),
        "chase-unpaid-fees": (fees.chase_unpaid, 3600),
        "end-cancelled-memberships": (leaving.end_cancelled_memberships, 3600),
        "overdue-invoices": (overdue.run, 3600),
        "end-program-opt-outs": (insurance.end_opted_out, 3600),
        "recheck-program-benefits": (insurance_benefits.recheck_program_clients, 6 * 3600),
        "forget-visitor-checks": (insurance_benefits.forget_visitor_checks, 24 * 3600),
        "reindex-directory": (lambda: directory.reindex(), 24 * 3600),
    }


def run_job(app, name):
    function, _ = registry()[name]
    if stop_requested():
        return None  # queued behind others when the stop came: the next start runs it
    with app.app_context():
        with db.connection_context():
            started = time.perf_counter()
            result = function()
            log.info("job %s done: %s in %.2fs", name, result, time.perf_counter() - started)
            return result


@contextlib.contextmanager
def stop_on_signals():
    """Inside: SIGTERM (a deploy) and Ctrl-C ask the jobs to stop after their current row.

    The handler only sets a flag (it may run while this thread holds any lock).
    A second signal acts as it would have without us (Ctrl-C twice stops at
    once); a SIGINT ignored by whoever started us (a shell's `&`) stays ignored.
    """
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}

    def handle(number, frame):
        log.info("stopping after the current row (%s)", signal.Signals(number).name)
        stopping.set()
        for each, handler in previous.items():
            signal.signal(each, handler)

    for number, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(number, handle)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


jobs_cli = AppGroup("jobs", help="Background jobs, run once (for a PaaS scheduler).")


@jobs_cli.command("run")
@click.argument("name")
def run_command(name):
    """Run job NAME once ("all" runs every job, even after one fails)."""
    names = list(registry()) if name == "all" else [name]
    unknown = [n for n in names if n not in registry()]
    if unknown:
        raise click.BadParameter(f"choose one of: all, {', '.join(registry())}",
                                 param_hint="NAME")
    app = current_app._get_current_object()
    failed = []
    with stop_on_signals():
        for each in names:
            try:
                click.echo(f"{each}: {run_job(app, each)}")
            except Exception:  # one job's failure must not stop the others
                log.exception("job %s failed", each)
                click.echo(f"{each}: failed (see the log)", err=True)
                failed.append(each)
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(names)} failed: {', '.join(failed)}")


def scheduler_threads(app):
    """One thread per pooled connection but one, so a job never waits for the pool."""
    return max(1, app.config["DB_POOL_SIZE"] - 1)


def make_scheduler(app):
    """Every job on its interval, first runs staggered, a late run made as soon as it can."""
    threads = scheduler_threads(app)
    scheduler = BackgroundScheduler(
        timezone="UTC", executors={"default": ThreadPoolExecutor(threads)},
        # A run that could not start on time (all threads busy, the process
        # paused) starts as soon as it can; several missed runs make one.
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
    first = utcnow()
    for n, (name, (_, seconds)) in enumerate(registry().items()):
        scheduler.add_job(run_job, "interval", seconds=seconds, args=(app, name), id=name,
                          next_run_time=first + n * STAGGER)
    return scheduler


@click.command("worker")
def worker_command():
    """Run every job on its schedule, until stopped (the Procfile's worker)."""
    app = current_app._get_current_object()
    scheduler = make_scheduler(app)
    with stop_on_signals():
        scheduler.start()
        click.echo(f"worker: {', '.join(registry())} on {scheduler_threads(app)} threads")
        # Polled, not waited on: a signal handler must never need a lock this thread holds.
        while not stop_requested():
            time.sleep(0.2)
        scheduler.shutdown(wait=True)  # the running jobs finish their current row
    click.echo("worker: stopped")


def init_app(app):
    app.cli.add_command(jobs_cli)
    app.cli.add_command(worker_command)
