"""Issuing invoices and recording what is paid, refunded or credited; all in integer cents."""
import datetime
import uuid
from dataclasses import dataclass

from peewee import IntegrityError, fn

from alma.accounts import links
from alma.billing import events
from alma.billing.models import (OPEN, PAID, CreditNote, GatewayEvent, Invoice, InvoiceLine,
                                 Payment, Refund)
from alma.clock import today, utcnow
from alma.db import db, is_postgres
from alma.mail import service as mail
from alma.web import absolute_url

INVOICE_LINK = "invoice"
INVOICE_LINK_TTL = datetime.timedelta(days=90)


class BillingProblem(Exception):
    pass


@dataclass
class Amounts:
    total: int
    credited: int
    paid: int
    refunded: int

    @property
    def due(self):
        return self.total - self.credited - (self.paid - self.refunded)

    @property
    def net_paid(self):
        return self.paid - self.refunded


def amounts(invoice):
    paid = Payment.select(fn.COALESCE(fn.SUM(Payment.amount_cents), 0)).where(
        Payment.invoice == invoice.id).scalar()
    refunded = (Refund.select(fn.COALESCE(fn.SUM(Refund.amount_cents), 0))
                .join(Payment).where(Payment.invoice == invoice.id).scalar())
    credited = CreditNote.select(fn.COALESCE(fn.SUM(CreditNote.amount_cents), 0)).where(
        CreditNote.invoice == invoice.id).scalar()
    return Amounts(invoice.total_cents, credited, paid, refunded)


def amounts_for(invoices):
    """{invoice id: Amounts} for many invoices in three queries (a page or a digest)."""
    ids = [invoice.id for invoice in invoices]
    if not ids:
        return {}

    def summed(query, by):
        return dict(query.where(by.in_(ids)).group_by(by).tuples())
    paid = summed(Payment.select(Payment.invoice, fn.SUM(Payment.amount_cents)),
                  Payment.invoice)
    refunded = summed(Refund.select(Payment.invoice, fn.SUM(Refund.amount_cents)).join(Payment),
                      Payment.invoice)
    credited = summed(CreditNote.select(CreditNote.invoice, fn.SUM(CreditNote.amount_cents)),
                      CreditNote.invoice)
    return {invoice.id: Amounts(invoice.total_cents, credited.get(invoice.id, 0),
                                paid.get(invoice.id, 0), refunded.get(invoice.id, 0))
            for invoice in invoices}


def locked(invoice_id):
    """The invoice, locked until the transaction ends: one change to its money at a time, so
    two refunds at once can't both find the same money left (SQLite's transactions already
    take the write lock)."""
    query = Invoice.select().where(Invoice.id == invoice_id)
    return (query.for_update() if is_postgres() else query).get()


def settle(invoice):
    """Paid when nothing is due; open again if a refund makes something due."""
    due = amounts(invoice).due
    status = PAID if due <= 0 else OPEN
    if status != invoice.status:
        invoice.status = status
        invoice.paid_at = utcnow() if status == PAID else None
        invoice.save()
        if status == PAID:
            events.invoice_paid.send(invoice)
    return invoice


def issue(kind, lines, due_on, owed_by_provider=None, owed_by_client=None,
          collected_by="group", collecting_provider=None, period=(None, None), memo="",
          email_to=None, treating_provider=None):
    """Issue an invoice with its lines ((description, quantity, unit_cents) each)."""
    if not lines or any(q <= 0 or unit < 0 for _, q, unit in lines):
        raise BillingProblem("An invoice needs lines with positive quantities.")
    if (owed_by_provider is None) == (owed_by_client is None):
        raise BillingProblem("An invoice is owed by one provider or one client.")
    with db.atomic():
        invoice = Invoice.create(
            number=uuid.uuid4().hex, kind=kind, owed_by_provider=owed_by_provider,
            owed_by_client=owed_by_client, collected_by=collected_by,
            collecting_provider=collecting_provider, treating_provider=treating_provider,
            total_cents=sum(q * unit for _, q, unit in lines), issued_on=today(), due_on=due_on,
            period_start=period[0], period_end=period[1], memo=memo)
        invoice.number = f"AL-{invoice.issued_on.year}-{invoice.id:06d}"
        invoice.save()
        for description, quantity, unit in lines:
            InvoiceLine.create(invoice=invoice, description=description, quantity=quantity,
                               unit_cents=unit)
        if email_to:
            mail.queue("invoice_issued", email_to, dedupe_key=f"invoice:{invoice.id}:issued",
                       invoice=invoice, url=invoice_link(invoice))
        return invoice


def invoice_link(invoice):
    token = links.create(INVOICE_LINK, invoice.id, INVOICE_LINK_TTL)
    return absolute_url("billing.invoice_link", token=token)


# A provider's own cancellation or missed-visit fee for an insurance client is theirs to
# collect directly (the group collects only copays and coinsurance): no online checkout.
PAID_TO_PROVIDER_DIRECTLY = ("cancellation_fee", "missed_visit")


def paid_to_provider_directly(invoice):
    return invoice.collected_by == "provider" and invoice.kind in PAID_TO_PROVIDER_DIRECTLY


def payer_email(invoice):
    if invoice.owed_by_provider_id:
        return invoice.owed_by_provider.email
    return invoice.owed_by_client.email


def record_payment(invoice, amount_cents, gateway, reference, returning_excess_through=None):
    """Record a payment once per gateway reference; returns (payment, new).

    More than is due is refused, unless the money was already taken (a gateway
    reports it): then the whole payment is recorded and the excess is refunded
    through `returning_excess_through`, the gateway that took it.
    """
    existing = Payment.get_or_none(Payment.reference == reference)
    if existing is not None:
        return existing, False
    if amount_cents <= 0:
        raise BillingProblem("A payment is a positive amount.")
    with db.atomic():
        invoice = locked(invoice.id)
        due = amounts(invoice).due
        excess = amount_cents - max(due, 0)
        if excess > 0 and returning_excess_through is None:
            raise BillingProblem(f"This would pay ${amount_cents / 100:,.2f}, but only "
                                 f"${max(due, 0) / 100:,.2f} is due.")
        try:
            with db.atomic():
                payment = Payment.create(invoice=invoice, amount_cents=amount_cents,
                                         gateway=gateway, reference=reference)
        except IntegrityError:  # the same payment, reported twice at once
            return Payment.get(Payment.reference == reference), False
        if excess > 0:
            refund(payment, excess, "Paid more than was due: the difference goes back.",
                   gateway=returning_excess_through)
        settle(invoice)
        mail.queue("payment_receipt", payer_email(invoice),
                   dedupe_key=f"payment:{payment.id}:receipt", invoice=invoice,
                   payment=payment, returned=max(excess, 0), url=invoice_link(invoice))
        return payment, True


def refund(payment, amount_cents, reason, gateway=None):
    """Give back part or all of a payment (through the gateway that took it).

    The gateway's idempotency key names what was refunded before: a retry after a lost
    answer is the same refund, a second refund of the same amount later is another."""
    with db.atomic():
        locked(payment.invoice_id)
        already = Refund.select(fn.COALESCE(fn.SUM(Refund.amount_cents), 0)).where(
            Refund.payment == payment.id).scalar()
        if amount_cents <= 0 or amount_cents > payment.amount_cents - already:
            raise BillingProblem("A refund is more than nothing and at most what was paid.")
        key = f"{payment.id}-after-{already}-{amount_cents}"
        reference = gateway.refund(payment, amount_cents, key=key) if gateway else None
        made = Refund.create(payment=payment, amount_cents=amount_cents, reason=reason,
                             reference=reference)
        settle(payment.invoice)
        return made


def credit(invoice, amount_cents, reason):
    """Lower what an invoice asks for (a credit note); never below what's been paid."""
    with db.atomic():
        locked(invoice.id)
        left = amounts(invoice)
        if amount_cents <= 0 or amount_cents > left.due:
            raise BillingProblem("A credit note is more than nothing and at most what is due.")
        note = CreditNote.create(invoice=invoice, amount_cents=amount_cents, reason=reason)
        settle(invoice)
        return note


def apply_event(gateway, event):
    """A gateway's event, applied once by its id. Returns False for one seen before."""
    try:
        with db.atomic():
            GatewayEvent.create(event_id=event.id, gateway=gateway.name, kind=event.kind)
            if event.kind == "payment_succeeded":
                invoice = Invoice.get_or_none(Invoice.number == event.invoice_number)
                if invoice is None:
                    raise BillingProblem(f"No invoice {event.invoice_number}.")
                # The payer's money is taken already: more than is due goes back.
                record_payment(invoice, event.amount_cents, gateway.name, event.reference,
                               returning_excess_through=gateway)
            return True
    except IntegrityError:
        return False
