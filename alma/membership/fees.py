"""The monthly membership fee: invoiced, chased kindly, and never a surprise.

- Each member is invoiced on their billing day for the month ahead, once per
  period: a unique index on (member, kind, period) makes a second invoice
  impossible, whatever runs at the same time or again after a crash.
- An unpaid fee gets a reminder 3 and 10 days after it was due; 14 days
  after, the listing is hidden (never deleted) until it is paid.
- Pauses (1 to 3 months a calendar year) and cancellations asked by the 20th
  take effect on the 1st of next month; later, the month after. Cash-pay
  income is never touched: Alma only ever invoices the fee.
"""
import calendar
import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from flask import current_app
from peewee import IntegrityError

from alma.billing import events
from alma.billing import service as billing
from alma.billing.models import OPEN, Invoice
from alma.clock import today
from alma.db import db
from alma.directory import service as directory
from alma.jobs import claim_each, stop_requested
from alma.mail import service as mail
from alma.membership.models import Membership, MembershipPause
from alma.network.models import Provider

FEE = "membership_fee"
DUE_AFTER_DAYS = 7
REMIND_AFTER_DAYS = (3, 10)
GRACE_DAYS = 14
MAX_PAUSE_MONTHS_A_YEAR = 3
CHANGE_DEADLINE_DAY = 20


class MembershipProblem(Exception):
    pass


def start(provider, on=None):
    """Membership begins (on approval): the billing day is that day of the month.

    A month too short for it is billed on its last day (see billing_date), so a member
    approved on the 31st is billed on the 31st, February's 28th or 29th, April's 30th…
    """
    on = on or today()
    return Membership.create(provider=provider, fee_cents=current_app.config["MEMBERSHIP_FEE_CENTS"],
                             billing_day=on.day, started_on=on)


def billing_date(membership, year, month):
    """The day of that month the fee period starts: the billing day, or the month's last day."""
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(membership.billing_day, last))


def _next_month(day):
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def period_after(membership, start_day):
    """The fee period that starts on `start_day` (a billing date): [start_day, next one)."""
    following = _next_month(start_day)
    return start_day, billing_date(membership, following.year, following.month)


def effective_month(asked_on):
    """The first day of the month a change asked on `asked_on` takes effect."""
    months = 1 if asked_on.day <= CHANGE_DEADLINE_DAY else 2
    return (asked_on + relativedelta(months=months)).replace(day=1)


def period_for(membership, on):
    """The fee period `on` falls in: from this month's billing date if it has come, else
    from last month's."""
    start_day = billing_date(membership, on.year, on.month)
    if start_day > on:
        before = on.replace(day=1) - datetime.timedelta(days=1)
        start_day = billing_date(membership, before.year, before.month)
    return period_after(membership, start_day)


def fee_for(membership, start_day, end_day, ends_on=None):
    """The fee for the period [start_day, end_day): in full, or by the day when the
    membership ends inside it (a cancellation is never charged past its last day)."""
    ends_on = ends_on or membership.ends_on
    if ends_on is None or ends_on >= end_day:
        return membership.fee_cents, end_day
    days, whole = (ends_on - start_day).days, (end_day - start_day).days
    return (membership.fee_cents * days + whole // 2) // whole, ends_on


def is_paused(membership, day):
    return MembershipPause.select().where(
        (MembershipPause.membership == membership.id) & (MembershipPause.starts_on <= day)
        & (MembershipPause.ends_on > day)).exists()


def invoice_fees(on=None):
    """Issue each member's fee for the period that has begun; returns how many were issued."""
    on = on or today()
    issued = 0
    # Read the list first: on SQLite, a cursor left open across the writes below
    # would pin an old snapshot and make them fail when another worker writes.
    members = list(Membership.select(Membership, Provider).join(Provider)
                   .where(Membership.left_on.is_null()
                          & (Membership.ends_on.is_null() | (Membership.ends_on > on))))
    for membership in members:
        if stop_requested():
            break
        start_day, end_day = period_for(membership, on)
        if start_day < membership.started_on or is_paused(membership, start_day):
            continue
        if Invoice.select().where((Invoice.owed_by_provider == membership.provider_id)
                                  & (Invoice.kind == FEE)
                                  & (Invoice.period_start == start_day)).exists():
            continue
        cents, until = fee_for(membership, start_day, end_day)
        try:
            with db.atomic():
                billing.issue(
                    FEE, [(f"Alma membership, {start_day:%b %-d} to "
                           f"{until - datetime.timedelta(days=1):%b %-d, %Y}", 1, cents)],
                    due_on=start_day + datetime.timedelta(days=DUE_AFTER_DAYS),
                    owed_by_provider=membership.provider, period=(start_day, end_day),
                    email_to=membership.provider.email)
                issued += 1
        except IntegrityError:
            continue  # another worker issued it a moment ago: one invoice, as it should be
    return issued


def chase_unpaid(on=None):
    """Remind at 3 and 10 days overdue; after 14, hide the listing until paid."""
    on = on or today()
    done = 0
    for n, days in enumerate(REMIND_AFTER_DAYS):
        due = ((Invoice.kind == FEE) & (Invoice.status == OPEN) & (Invoice.reminded_count == n)
               & (Invoice.due_on <= on - datetime.timedelta(days=days)))

        def remind(invoice, n=n):
            mail.queue("fee_reminder", invoice.owed_by_provider.email,
                       dedupe_key=f"invoice:{invoice.id}:reminder:{n + 1}", invoice=invoice,
                       url=billing.invoice_link(invoice), grace_days=GRACE_DAYS,
                       due=billing.amounts(invoice).due)

        done += claim_each(Invoice, due, {Invoice.reminded_count: n + 1,
                                          Invoice.last_reminded_on: on}, remind)
    overdue = (Invoice.select(Invoice.owed_by_provider)
               .where((Invoice.kind == FEE) & (Invoice.status == OPEN)
                      & (Invoice.due_on <= on - datetime.timedelta(days=GRACE_DAYS))))
    # Someone who has left is reminded of what they owe, but has no listing to hold.
    due = ((Provider.billing_hold == False) & (Provider.membership_status != "left")  # noqa: E712
           & Provider.id.in_(overdue))

    def hold(provider):
        directory.reindex([provider.id], on=on)
        mail.queue("listing_on_hold", provider.email,
                   dedupe_key=f"provider:{provider.id}:hold:{on.isoformat()}", provider=provider)

    return done + claim_each(Provider, due, {Provider.billing_hold: True}, hold)


@events.invoice_paid.connect
def after_paid(invoice):
    """A paid fee lifts the hold once nothing is overdue past the grace period."""
    if invoice.kind != FEE or invoice.owed_by_provider_id is None:
        return
    provider = Provider.get_by_id(invoice.owed_by_provider_id)
    if not provider.billing_hold:
        return
    still = Invoice.select().where(
        (Invoice.owed_by_provider == provider.id) & (Invoice.kind == FEE)
        & (Invoice.status == OPEN)
        & (Invoice.due_on <= today() - datetime.timedelta(days=GRACE_DAYS))).exists()
    if not still:
        provider.billing_hold = False
        provider.save()
        directory.reindex([provider.id])


# --- Pauses and cancellations, shown before they are confirmed ------------------------------------

@dataclass
class Plan:
    """What a change will do, in words and cents, before the member confirms it."""

    effective_on: datetime.date
    until: datetime.date = None
    charged_until_then_cents: int = 0
    months: int = 0


def _fees_between(membership, end, on, ends_on=None):
    """What will still be invoiced from now until `end` (fees not yet issued)."""
    total = 0
    day = period_after(membership, period_for(membership, on)[0])[1]
    while day < end:
        start_day, end_day = period_after(membership, day)
        if not is_paused(membership, start_day):
            total += fee_for(membership, start_day, end_day, ends_on)[0]
        day = end_day
    return total


def _still_current(membership):
    if membership.left_on is not None:
        raise MembershipProblem("You've left the network: there's no membership to change.")
    if membership.ends_on is not None:
        raise MembershipProblem("Your membership already ends on "
                                f"{membership.ends_on:%B %-d, %Y}.")


def plan_pause(membership, months, on=None):
    on = on or today()
    _still_current(membership)
    if not 1 <= months <= MAX_PAUSE_MONTHS_A_YEAR:
        raise MembershipProblem(f"A pause is 1 to {MAX_PAUSE_MONTHS_A_YEAR} months.")
    starts = effective_month(on)
    for planned in membership.pauses:
        if planned.ends_on > starts:
            raise MembershipProblem(
                f"You have a pause from {planned.starts_on:%B %-d} to "
                f"{planned.ends_on:%B %-d, %Y} already.")
    used = sum(_months(p.starts_on, p.ends_on) for p in membership.pauses
               if p.starts_on.year == starts.year)
    if used + months > MAX_PAUSE_MONTHS_A_YEAR:
        raise MembershipProblem(f"You have {MAX_PAUSE_MONTHS_A_YEAR - used} months of pause "
                                f"left in {starts.year}.")
    return Plan(effective_on=starts, until=starts + relativedelta(months=months),
                charged_until_then_cents=_fees_between(membership, starts, on), months=months)


def _months(start, end):
    return (end.year - start.year) * 12 + end.month - start.month


def pause(membership, months, on=None):
    plan = plan_pause(membership, months, on)
    try:
        with db.atomic():
            MembershipPause.create(membership=membership, starts_on=plan.effective_on,
                                   ends_on=plan.until)
            mail.queue("membership_paused", membership.provider.email, plan=plan,
                       provider=membership.provider)
    except IntegrityError:  # the same pause, confirmed twice at once
        raise MembershipProblem("That pause is set already.") from None
    return plan


def plan_cancel(membership, on=None):
    on = on or today()
    _still_current(membership)
    starts = effective_month(on)
    return Plan(effective_on=starts,
                charged_until_then_cents=_fees_between(membership, starts, on, ends_on=starts))


def cancel(membership, on=None):
    plan = plan_cancel(membership, on)
    with db.atomic():
        membership.ends_on = plan.effective_on
        membership.save()
        mail.queue("membership_cancelled", membership.provider.email, plan=plan,
                   provider=membership.provider)
    return plan
