"""Provider payout statements, twice a month: made once, paid once.

What a statement holds is worked out in due.py, its period in periods.py. One statement per
provider per period (unique), made by the worker that claims its row. A total below zero
sends nothing and carries to the provider's next statement.
"""
import datetime
import logging

from peewee import JOIN, IntegrityError

from alma.billing import transfers
from alma.billing.models import Invoice
from alma.claims.models import Claim, Visit
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.clock import today, utcnow
from alma.db import db
from alma.jobs import claim_each, stop_requested
from alma.mail import service as mail
from alma.network.models import Provider
from alma.payouts.due import due_items
from alma.payouts.models import (CARRIED, DRAFTING, PAID, TO_PAY, WAITING, PayoutLine,
                                 PayoutStatement)
from alma.payouts.periods import last_ended_period, pay_day, period_of
from alma.web import absolute_url

log = logging.getLogger("alma.payouts")


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
    """A statement's lines, each with the claim, remittance, session and invoice it came from
    (one query, however many lines: the pages and the CSV name them all)."""
    query = PayoutLine.select(PayoutLine, Claim, Remittance, Visit, Invoice)
    for model in (Claim, Remittance, Visit, Invoice):
        query = query.switch(PayoutLine).join(model, JOIN.LEFT_OUTER)
    return list(query.where(PayoutLine.statement == statement.id)
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

