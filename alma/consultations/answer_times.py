"""How fast each provider answers consultation requests, shown on results and profiles.

Each day, every provider's median time to answer a consultation request over the
last 90 days is recomputed (an unanswered request counts as the whole time it
stayed open); fewer than 3 requests make no median.
"""
import datetime
import statistics

from flask import current_app

from alma.clock import utcnow
from alma.consultations.models import ConsultationRequest as Request
from alma.db import db
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
