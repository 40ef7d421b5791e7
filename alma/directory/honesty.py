"""Keeping listings honest: whether providers still have room.

(How fast they answer is consultations' to measure: alma/consultations/answer_times.py.)

- A provider who said they accept new clients but hasn't confirmed it for 30
  days gets an email with a one-click answer; after 45 days without one they
  stop showing as accepting until they confirm.
"""
import datetime

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
CONFIRM_LINK = "confirm-accepting"
CONFIRM_LINK_TTL = datetime.timedelta(days=30)


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
