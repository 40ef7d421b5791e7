"""The schedule: every feature's jobs, and the commands that run them.

`flask --app app worker` runs every job on its interval (APScheduler, in that
process only); `flask --app app jobs run NAME` runs one once, for a PaaS
scheduler. Each job is a function of a feature built on alma.jobs.claim_each;
this module sits on top of the features, so none of them knows the schedule.
"""
import datetime
import logging
import time

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import current_app
from flask.cli import AppGroup

from alma.benefits import checks as benefit_checks
from alma.billing import overdue
from alma.claims import jobs as claim_jobs
from alma.clock import utcnow
from alma.consultations import answer_times
from alma.consultations import jobs as consultation_jobs
from alma.db import db
from alma.directory import honesty
from alma.directory import service as directory
from alma.jobs import stop_on_signals, stop_requested
from alma.mail import delivery
from alma.membership import fees, leaving
from alma.payouts import statements as payouts
from alma.program import clients as program_clients
from alma.program import opting_out
from alma.selfpay import jobs as selfpay_jobs

log = logging.getLogger("alma.jobs")

# The worker's first runs start this far apart, so they do not all hit the
# database in the same second (and keep that spread on later runs).
STAGGER = datetime.timedelta(seconds=1)

# name: (function, seconds between runs)
JOBS = {
    "deliver-email": (lambda: delivery.deliver_due(limit=10_000), 10),
    "remind-providers": (consultation_jobs.remind_providers, 300),
    "suggest-others": (consultation_jobs.suggest_others, 300),
    "expire-requests": (consultation_jobs.expire_requests, 300),
    "refresh-answer-times": (answer_times.refresh, 6 * 3600),
    "ask-to-confirm-accepting": (honesty.ask_to_confirm_accepting, 3600),
    "stop-unconfirmed-accepting": (honesty.stop_unconfirmed_accepting, 3600),
    "invoice-membership-fees": (fees.invoice_fees, 3600),
    "chase-unpaid-fees": (fees.chase_unpaid, 3600),
    "end-cancelled-memberships": (leaving.end_cancelled_memberships, 3600),
    "overdue-invoices": (overdue.run, 3600),
    "end-program-opt-outs": (opting_out.end_opted_out, 3600),
    "recheck-program-benefits": (program_clients.recheck_program_clients, 6 * 3600),
    "submit-claims": (claim_jobs.submit_claims, 60),
    "read-claim-reports": (claim_jobs.poll_reports, 300),
    "provider-payouts": (payouts.run, 3600),
    "remind-estimates-due": (selfpay_jobs.remind_estimates_due, 3600),
    "forget-visitor-checks": (benefit_checks.forget_visitor_checks, 24 * 3600),
    "reindex-directory": (lambda: directory.reindex(), 24 * 3600),
}


def registry():
    """Every job by name: (function, seconds between runs)."""
    return JOBS


_logged = set()  # jobs whose run this process has logged


def run_job(app, name):
    function, _ = registry()[name]
    if stop_requested():
        return None  # queued behind others when the stop came: the next start runs it
    with app.app_context():
        with db.connection_context():
            started = time.perf_counter()
            result = function()
            # Each job's first run is logged (it started); later ones only when they did
            # something, or deliver-email alone would write a line every 10 seconds.
            level = logging.INFO if result or name not in _logged else logging.DEBUG
            _logged.add(name)
            log.log(level, "job %s done: %s in %.2fs", name, result,
                    time.perf_counter() - started)
            return result


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
