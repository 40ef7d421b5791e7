"""Provider payout statements, twice a month: what is due, made once, paid once.

Periods run from the 1st to the 15th and from the 16th to the month's end. A statement for
a period collects every item that became due before the period ended and is on no
statement yet (so an item posted late, or a period the worker missed, is never lost):

- a session whose claim an 835 paid or partly paid: the provider's rate (rates.py);
- minus a client's balance for a paid session (the invoice made when it was logged, or
  one for a share a remittance raised), still unpaid 60 days after its due date (from
  then the provider may collect it directly: billing.overdue), what was due then;
- plus a payment to the group on such a balance afterwards (a recovery), up to what was
  deducted;
- minus a session paid out whose claim the insurer then reversed (CLP02 22).

Each line's `source_key` is unique, so an item is on one statement once, whatever runs at
once. One statement per provider per period (unique), made by the worker that claims its
row. A total below zero sends nothing and carries to the provider's next statement.
"""
import calendar
import datetime
import logging
from dataclasses import dataclass, field

from peewee import IntegrityError, fn

from alma.billing import service as billing
from alma.billing import transfers
from alma.billing.models import OPEN, Invoice, Payment, Refund
from alma.billing.overdue import PROVIDER_MAY_COLLECT_AFTER_DAYS
from alma.claims.models import Claim, Visit
from alma.claims.reconcile import session_invoices
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.clock import today, utcnow
from alma.db import db
from alma.jobs import claim_each, stop_requested
from alma.mail import service as mail
from alma.network.models import Provider
from alma.payouts import rates
from alma.payouts.models import (CARRIED, DRAFTING, PAID, RECOUPMENT, RECOVERY, SESSION, TO_PAY,
                                 UNPAID, WAITING, PayoutLine, PayoutStatement)
from alma.templating import money
from alma.web import absolute_url

log = logging.getLogger("alma.payouts")

NOT_PAID_STATUS = ("4", "22")  # denied, reversed: a claim payment that pays no session


# --- Periods --------------------------------------------------------------------------------

def period_of(day):
    """(first day, last day) of the half-month holding `day`."""
    if day.day <= 15:
        return day.replace(day=1), day.replace(day=15)
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=16), day.replace(day=last)


def last_ended_period(on):
    """The period that ended most recently before `on`."""
    start, _ = period_of(on)
    return period_of(start - datetime.timedelta(days=1))


def pay_day(period_end):
    """When a period's statement is made and sent: the day after it ends."""
    return period_end + datetime.timedelta(days=1)


def _end_moment(period_end):
    return datetime.datetime.combine(period_end + datetime.timedelta(days=1), datetime.time())


# --- What is due ----------------------------------------------------------------------------

@dataclass
class Item:
    """A line to be: everything a PayoutLine records."""

    kind: str
    amount_cents: int
    source_key: str
    description: str
    happened_at: datetime.datetime
    links: dict = field(default_factory=dict)


def _held(visit):
    return f"{visit.cpt_code} on {visit.held_on:%b %-d, %Y}"


def _sessions(provider_id, until, types, taken):
    """Claims paid or partly paid by an 835 posted before `until`, not on a statement."""
    rows = (ClaimPayment.select(ClaimPayment, Claim, Visit, Remittance)
            .join(Claim).join(Visit).switch(ClaimPayment).join(Remittance)
            .where((Visit.provider == provider_id) & (Remittance.posted_at < until)
                   & ClaimPayment.status_code.not_in(NOT_PAID_STATUS)
                   & (ClaimPayment.paid_cents + ClaimPayment.patient_cents > 0))
            .order_by(Remittance.posted_at, ClaimPayment.id))
    items, standing = {}, _standing_visits(provider_id)
    for payment in rows:
        claim = payment.claim
        key = f"session:claim:{claim.id}"
        if key in taken or key in items:
            continue
        if claim.visit_id in standing:
            # Another claim for the session (the one this replaces) is paid out and not
            # taken back yet: this one waits until that recoupment is on a statement.
            continue
        rate = rates.rate_for(claim.visit, types)
        if rate is None:
            log.warning("no pay rate for %s on %s: claim %s waits", claim.visit.cpt_code,
                        claim.visit.held_on, claim.id)
            continue
        remittance = payment.remittance
        items[key] = Item(
            SESSION, rate.cents, key,
            f"Session {_held(claim.visit)}, {claim.visit.program_client.name}: paid by "
            f"{remittance.payer_name.title() or 'the insurer'} (835 trace "
            f"{remittance.trace_number}); your rate {money(rate.cents)}",
            remittance.posted_at,
            dict(visit=claim.visit_id, claim=claim.id, claim_payment=payment.id,
                 remittance=remittance.id, invoice=claim.visit.invoice_id, pay_rate=rate.id))
        standing.add(claim.visit_id)
    return list(items.values())


def _standing_visits(provider_id):
    """Sessions paid out on a statement and not taken back: never paid twice, whatever
    claims (a replacement, frequency 7) are made for them."""
    lines = (PayoutLine.select(PayoutLine.kind, PayoutLine.visit).join(PayoutStatement)
             .where((PayoutStatement.provider == provider_id)
                    & PayoutLine.kind.in_([SESSION, RECOUPMENT])).tuples())
    count = {}
    for kind, visit_id in lines:
        count[visit_id] = count.get(visit_id, 0) + (1 if kind == SESSION else -1)
    return {visit_id for visit_id, n in count.items() if n > 0}


def _session_lines(provider_id, new):
    """{claim id: amount} of every session paid out, on a statement or about to be."""
    paid = {item.links["claim"]: item.amount_cents for item in new if item.kind == SESSION}
    for line in PayoutLine.select().join(PayoutStatement).where(
            (PayoutStatement.provider == provider_id) & (PayoutLine.kind == SESSION)):
        paid[line.claim_id] = line.amount_cents
    return paid


def _recoupments(provider_id, until, taken, paid_out):
    rows = (ClaimPayment.select(ClaimPayment, Claim, Visit, Remittance)
            .join(Claim).join(Visit).switch(ClaimPayment).join(Remittance)
            .where((Visit.provider == provider_id) & (Remittance.posted_at < until)
                   & (ClaimPayment.status_code == "22"))
            .order_by(Remittance.posted_at, ClaimPayment.id))
    items = {}
    for payment in rows:
        claim = payment.claim
        key = f"recoupment:claim:{claim.id}"
        if key in taken or key in items or claim.id not in paid_out:
            continue
        remittance = payment.remittance
        items[key] = Item(
            RECOUPMENT, -paid_out[claim.id], key,
            f"Taken back: {remittance.payer_name.title() or 'the insurer'} reversed its "
            f"payment for the session {_held(claim.visit)} (claim "
            f"{claim.patient_control_number}, 835 trace {remittance.trace_number})",
            remittance.posted_at,
            dict(visit=claim.visit_id, claim=claim.id, claim_payment=payment.id,
                 remittance=remittance.id, invoice=claim.visit.invoice_id))
    return list(items.values())


def _unpaid(provider_id, on, taken, paid_out):
    """Balances of paid-out sessions the group collects, unpaid 60 days after due on `on`."""
    latest_due = on - datetime.timedelta(days=PROVIDER_MAY_COLLECT_AFTER_DAYS)
    rows = session_invoices((Visit.provider == provider_id) & (Invoice.status == OPEN)
                            & (Invoice.collected_by == "group")
                            & (Invoice.due_on <= latest_due))
    claims = {}
    for claim in Claim.select(Claim.id, Claim.visit).where(
            Claim.visit.in_([visit.id for _, visit in rows])):
        if claim.id in paid_out:
            claims[claim.visit_id] = claim.id
    items = []
    for invoice, visit in rows:
        key = f"unpaid:invoice:{invoice.id}"
        due = billing.amounts(invoice).due
        if key in taken or visit.id not in claims or due <= 0:
            continue
        since = invoice.due_on + datetime.timedelta(days=PROVIDER_MAY_COLLECT_AFTER_DAYS)
        items.append(Item(
            UNPAID, -due, key,
            f"Your client's balance on invoice {invoice.number} ({invoice.kind_label.lower()} "
            f"for the session {_held(visit)}) is unpaid {PROVIDER_MAY_COLLECT_AFTER_DAYS}"
            f" days after its due date: you may now collect it directly",
            datetime.datetime.combine(since, datetime.time()),
            dict(visit=visit.id, claim=claims[visit.id], invoice=invoice.id)))
    return items


def _recoveries(provider_id, until, taken):
    """Payments to the group on a deducted balance, made after it was deducted."""
    deducted = list(PayoutLine.select(PayoutLine, PayoutStatement).join(PayoutStatement)
                    .where((PayoutStatement.provider == provider_id)
                           & (PayoutLine.kind == UNPAID)))
    items = []
    for line in deducted:
        recovered = (PayoutLine.select(fn.COALESCE(fn.SUM(PayoutLine.amount_cents), 0))
                     .where((PayoutLine.kind == RECOVERY)
                            & (PayoutLine.invoice == line.invoice_id)).scalar())
        left = -line.amount_cents - recovered
        payments = (Payment.select().where(
            (Payment.invoice == line.invoice_id) & (Payment.gateway != "direct")
            & (Payment.created_at >= line.statement.made_at) & (Payment.created_at < until))
            .order_by(Payment.id))
        for payment in payments:
            key = f"recovery:payment:{payment.id}"
            refunded = (Refund.select(fn.COALESCE(fn.SUM(Refund.amount_cents), 0))
                        .where(Refund.payment == payment.id).scalar())
            cents = min(payment.amount_cents - refunded, left)
            if key in taken or cents <= 0:
                continue
            left -= cents
            items.append(Item(
                RECOVERY, cents, key,
                f"Recovered: your client paid Alma {money(cents)} of the balance on invoice "
                f"{line.invoice.number}, deducted earlier",
                payment.created_at, dict(visit=line.visit_id, claim=line.claim_id,
                                         invoice=line.invoice_id, payment=payment.id)))
    return items


def _taken(provider_id):
    return {key for key, in PayoutLine.select(PayoutLine.source_key).join(PayoutStatement)
            .where(PayoutStatement.provider == provider_id).tuples()}


def due_items(provider_id, period_end, now=None):
    """Every item due to a provider up to the end of `period_end` (or up to `now`, for
    the period still running) that is on no statement yet, in order."""
    until = min(_end_moment(period_end), now) if now else _end_moment(period_end)
    taken = _taken(provider_id)
    types = rates.licence_types(provider_id)
    sessions = _sessions(provider_id, until, types, taken)
    paid_out = _session_lines(provider_id, sessions)
    on = (until - datetime.timedelta(microseconds=1)).date()
    items = (sessions + _recoupments(provider_id, until, taken, paid_out)
             + _unpaid(provider_id, on, taken, paid_out) + _recoveries(provider_id, until, taken))
    return sorted(items, key=lambda item: (item.happened_at, item.source_key))


# --- Making statements -----------------------------------------------------------------------

def _candidates():
    """Providers who may have something due: their visits have claim payments or invoices."""
    with_payments = (Visit.select(Visit.provider).join(Claim).join(ClaimPayment).distinct())
    with_invoices = (Visit.select(Visit.provider).where(Visit.invoice.is_null(False))
                     .distinct())
    return sorted({row.provider_id for query in (with_payments, with_invoices)
                   for row in query})


def open_statements(on=None):
    """A drafting statement for the period that just ended, for each provider with
    something due in it. The unique (provider, period start) makes it one, however many
    workers run. Returns how many this call opened."""
    on = on or today()
    start, end = last_ended_period(on)
    opened = 0
    for provider_id in _candidates():
        if stop_requested():
            break
        if PayoutStatement.select().where((PayoutStatement.provider == provider_id)
                                          & (PayoutStatement.period_start == start)).exists():
            continue
        if not due_items(provider_id, end):
            continue
        try:
            with db.atomic():
                PayoutStatement.create(provider=provider_id, period_start=start,
                                       period_end=end)
            opened += 1
        except IntegrityError:  # another worker opened it a moment ago
            continue
    return opened


def _previous(statement):
    return (PayoutStatement.select()
            .where((PayoutStatement.provider == statement.provider_id)
                   & (PayoutStatement.period_start < statement.period_start))
            .order_by(PayoutStatement.period_start.desc()).first())


class NotYet(Exception):
    """An earlier statement of the provider is still being made: this one waits for it."""


def make(statement):
    """Write a drafting statement's lines and totals, and email the provider (one
    transaction, inside the worker's claim of the row)."""
    previous = _previous(statement)
    if previous is not None and previous.status == DRAFTING:
        raise NotYet(f"statement {previous.id} first")
    items = due_items(statement.provider_id, statement.period_end)
    for item in items:
        PayoutLine.create(statement=statement, kind=item.kind, amount_cents=item.amount_cents,
                          source_key=item.source_key, description=item.description,
                          happened_at=item.happened_at, **item.links)
    provider = Provider.get_by_id(statement.provider_id)
    statement.carried_in_cents = previous.carried_out_cents if previous else 0
    statement.lines_cents = sum(item.amount_cents for item in items)
    statement.total_cents = statement.carried_in_cents + statement.lines_cents
    statement.carried_out_cents = min(statement.total_cents, 0)
    statement.made_at = utcnow()
    if statement.total_cents <= 0:
        statement.status = CARRIED
    elif provider.payout_account_id:
        statement.status, statement.destination = TO_PAY, provider.payout_account_id
    else:
        statement.status = WAITING
    statement.save()
    mail.queue("payout_statement", provider.email,
               dedupe_key=f"payout-statement:{statement.id}", provider=provider,
               statement=statement, lines=len(items), pay_on=pay_day(statement.period_end),
               url=absolute_url("payouts.statement", statement_id=statement.id))


def make_statements():
    return claim_each(PayoutStatement, (PayoutStatement.status == DRAFTING)
                      & PayoutStatement.made_at.is_null(),
                      {PayoutStatement.made_at: utcnow()}, make)


# --- Paying them ------------------------------------------------------------------------------

RETRY_AFTER = datetime.timedelta(hours=1)


def set_payout_account(provider, account):
    """Where a provider is paid from now on. Their statements waiting for it take it as
    their destination (fixed from then on) and are paid on the job's next run."""
    with db.atomic():
        provider.payout_account_id = account
        provider.updated_at = utcnow()
        provider.save()
        return (PayoutStatement.update(status=TO_PAY, destination=account)
                .where((PayoutStatement.provider == provider.id)
                       & (PayoutStatement.status == WAITING)).execute())


def _payable():
    return (PayoutStatement.status == TO_PAY) & (
        PayoutStatement.next_try_at.is_null() | (PayoutStatement.next_try_at <= utcnow()))


def pay(statement, gateway):
    """Transfer a statement's total, keyed by the statement: a retry (this worker's or
    another's, or after a crash) gets the same transfer back, never a second one. A
    refusal is recorded, and tried again, with the same key, an hour later."""
    try:
        reference = gateway.transfer(
            statement.destination, statement.total_cents, statement.idempotency_key,
            f"Alma payout, {statement.period_start:%b %-d}–{statement.period_end:%b %-d, %Y}")
    except transfers.TransferFailed as problem:
        log.warning("payout statement %s not paid: %s", statement.id, problem)
        statement.status, statement.transfer_problem = TO_PAY, str(problem)[:1000]
        statement.transfer_attempts += 1
        statement.next_try_at = utcnow() + RETRY_AFTER
        statement.save()
        return
    statement.transfer_reference, statement.gateway = reference, gateway.name
    statement.status, statement.paid_at, statement.transfer_problem = PAID, utcnow(), ""
    statement.save()


def pay_statements():
    gateway = transfers.gateway()
    if gateway is None:
        return 0  # no payout gateway on this site: statements wait, to pay
    paid = 0

    def pay_one(statement):
        nonlocal paid
        pay(statement, gateway)
        paid += statement.status == PAID
    claim_each(PayoutStatement, _payable(), {PayoutStatement.status: PAID}, pay_one)
    return paid


def run(on=None):
    """The "provider-payouts" job: open the ended period's statements, make them, pay them."""
    return open_statements(on) + make_statements() + pay_statements()


# --- Reading them --------------------------------------------------------------------------------

def lines_of(statement):
    return list(PayoutLine.select().where(PayoutLine.statement == statement.id)
                .order_by(PayoutLine.happened_at, PayoutLine.id))


def statements_of(provider_id):
    return list(PayoutStatement.select().where(PayoutStatement.provider == provider_id)
                .order_by(PayoutStatement.period_start.desc()))


def coming(provider_id, now=None):
    """The running period, its items so far and the day they will be paid."""
    now = now or utcnow()
    start, end = period_of(now.date())
    items = due_items(provider_id, end, now=now)
    last = (PayoutStatement.select().where(PayoutStatement.provider == provider_id)
            .order_by(PayoutStatement.period_start.desc()).first())
    carried = last.carried_out_cents if last else 0
    return dict(start=start, end=end, pay_on=pay_day(end), items=items, carried=carried,
                total=carried + sum(item.amount_cents for item in items))

