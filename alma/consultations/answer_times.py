"""How fast each provider answers consultation requests, shown on results and profiles.

Each day, every provider's median time to answer a consultation request over the
last 90 days is recomputed (an unanswered request counts as the whole time it
stayed open); fewer than 3 requests make no median.
"""
import datetime
import statistics

from flask import current_app
from peewee import SQL, Case, fn

from alma.charts import as_date, week_of, weeks_back
from alma.clock import utcnow
from alma.consultations.models import WITHDRAWN
from alma.consultations.models import ConsultationRequest as Request
from alma.db import db, seconds_between
from alma.network.models import Provider

WINDOW_DAYS = 90
MIN_REQUESTS = 3


def refresh(now=None):
    """Recompute every provider's median answer time; returns how many providers have one."""
    now = now or utcnow()
    open_for = datetime.timedelta(days=current_app.config["EXPIRE_REQUEST_AFTER_DAYS"])
    hours = {}
    rows = (Request.select(Request.provider, Request.created_at, Request.answered_at,
                           Request.status, Request.decline_reason)
            .where(Request.created_at >= now - datetime.timedelta(days=WINDOW_DAYS))
            .tuples())
    for provider_id, created, answered, status, reason in rows:
        if reason == "state_not_served" or status == "withdrawn":
            continue  # nobody was asked to answer these
        if answered is not None:
            waited = answered - created
        elif status == "expired" or now - created >= open_for:
            waited = open_for
        else:
            continue  # still waiting, and not yet late
        hours.setdefault(provider_id, []).append(waited.total_seconds() / 3600)
    medians = {pid: round(statistics.median(v)) for pid, v in hours.items()
               if len(v) >= MIN_REQUESTS}
    with db.atomic():
        Provider.update(median_answer_hours=None).where(
            Provider.median_answer_hours.is_null(False)
            & Provider.id.not_in(list(medians) or [0])).execute()
        for provider_id, median in medians.items():
            Provider.update(median_answer_hours=median).where(Provider.id == provider_id).execute()
    return len(medians)


ON_TIME_SERIES = (("on_time", "Answered within 2 days"), ("late", "Answered late"),
                  ("unanswered", "Not answered in 2 days"),
                  ("waiting", "Still within the 2 days"))


def on_time_by_week(now=None, weeks=12):
    """Requests asked each week (Monday to Sunday, UTC), the last `weeks` weeks, by whether
    their provider answered within the 2 days the new-request email asks for (the reminder
    goes out then: REMIND_PROVIDER_AFTER_HOURS), late, not yet past 2 days, or not at all.
    Requests nobody was asked to answer (a state not served, withdrawn) are not counted.

    Returns (Mondays, {series key: [count per week]}), counted by the database by day.
    """
    now = now or utcnow()
    hours = current_app.config["REMIND_PROVIDER_AFTER_HOURS"]
    mondays = weeks_back(now.date(), weeks)
    start = datetime.datetime.combine(mondays[0], datetime.time())
    answered = Request.answered_at.is_null(False)
    kind = Case(None, [
        (answered & (seconds_between(Request.answered_at, Request.created_at) <= hours * 3600),
         "on_time"),
        (answered, "late"),
        (Request.created_at <= now - datetime.timedelta(hours=hours), "unanswered"),
    ], "waiting")
    day = fn.DATE(Request.created_at)
    rows = (Request.select(day, kind, fn.COUNT(Request.id))
            .where((Request.created_at >= start) & (Request.created_at <= now)
                   & (Request.status != WITHDRAWN)
                   & (Request.decline_reason.is_null()
                      | (Request.decline_reason != "state_not_served")))
            .group_by(day, SQL("2")).tuples())
    counts = {key: [0] * weeks for key, _ in ON_TIME_SERIES}
    index = {monday: i for i, monday in enumerate(mondays)}
    for when, key, count in rows:
        counts[key][index[week_of(as_date(when))]] += count
    return mondays, counts
