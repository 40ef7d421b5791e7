"""Keeping listings honest: how fast providers answer, and whether they still have room.

- Each day, every provider's median time to answer a consultation request
  over the last 90 days is recomputed (an unanswered request counts as the
  whole time it stayed open). Results and profiles show it.
- A provider who said they accept new clients but hasn't confirmed it for 30
  days gets an email with a one-click answer; after 45 days without one they
  stop showing as accepting until they confirm.
"""
import datetime
import statistics

from flask import current_app

from alma.accounts import links
from alma.clock import today, utcnow
from alma.db import db
from alma.directory import service
from alma.jobs import claim_each
from alma.mail import service as mail
from alma.network.models import Provider
from alma.web import absolute_url

ASK_AFTER_DAYS = 30
STOP_AFTER_DAYS = 45
WINDOW_DAYS = 90
MIN_REQUESTS = 3
CONFIRM_LINK = "confirm-accepting"
CONFIRM_LINK_TTL = datetime.timedelta(days=30)


def refresh_answer_times(now=None):
    """Recompute every provider's median answer time; returns how many providers have one."""
    from alma.consultations.models import ConsultationRequest as Request

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


def ask_to_confirm_accepting(on=None):
    """Email providers whose "accepting new clients" is 30 days old; once per answer."""
    on = on or today()
    due = ((Provider.accepting_new_clients == True)  # noqa: E712
           & (Provider.membership_status == "active")
           & (Provider.accepting_confirmed_on <= on - datetime.timedelta(days=ASK_AFTER_DAYS))
           & (Provider.accepting_check_sent_on.is_null()
              | (Provider.accepting_check_sent_on < Provider.accepting_confirmed_on)))

    def ask(provider):
        token = links.create(CONFIRM_LINK, provider.id, CONFIRM_LINK_TTL)
        mail.queue("confirm_accepting", provider.email,
                   dedupe_key=f"provider:{provider.id}:confirm:{on.isoformat()}",
                   provider=provider, url=absolute_url("directory.confirm_accepting",
                                                       token=token),
                   days=(on - provider.accepting_confirmed_on).days, stop_after=STOP_AFTER_DAYS)

    return claim_each(Provider, due, {Provider.accepting_check_sent_on: on}, ask)


def stop_unconfirmed_accepting(on=None):
    """After 45 days without confirming, stop showing a provider as accepting."""
    on = on or today()
    due = ((Provider.accepting_new_clients == True)  # noqa: E712
           & (Provider.accepting_confirmed_on <= on - datetime.timedelta(days=STOP_AFTER_DAYS)))

    def stop(provider):
        service.reindex([provider.id], on=on)
        token = links.create(CONFIRM_LINK, provider.id, CONFIRM_LINK_TTL)
        mail.queue("accepting_paused", provider.email,
                   dedupe_key=f"provider:{provider.id}:paused:{on.isoformat()}",
                   provider=provider,
                   url=absolute_url("directory.confirm_accepting", token=token))

    return claim_each(Provider, due, {Provider.accepting_new_clients: False}, stop)


def confirm_accepting(token, accepting):
    """The provider's one-click answer: accepting new clients or not, as of today."""
    with db.atomic():
        link = links.spend(token, CONFIRM_LINK)
        provider = Provider.get_by_id(link.subject_id)
        set_accepting(provider, accepting)
        return provider


def set_accepting(provider, accepting, on=None):
    on = on or today()
    provider.accepting_new_clients = accepting
    provider.accepting_confirmed_on = on
    provider.updated_at = utcnow()
    provider.save()
    service.reindex([provider.id], on=on)
