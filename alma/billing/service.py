"""Issuing invoices and recording what is paid, refunded or credited; all in integer cents."""
import datetime
import uuid
from dataclasses import dataclass

from flask import current_app
from peewee import IntegrityError, fn

from alma import audit
from alma.accounts import links
from alma.billing import events, gateways
from alma.billing.models import (OPEN, PAID, CreditNote, GatewayEvent, Invoice, InvoiceLine,
                                 Payment, Refund)
from alma.clock import today, utcnow
from alma.db import db, is_postgres
from alma.mail import service as mail
from alma.templating import money
from alma.web import absolute_url

INVOICE_LINK = "invoice"
INVOICE_LINK_TTL = datetime.timedelta(days=90)
DIRECT = "direct"  # paid to the provider, recorded by them (alma/billing/overdue.py)


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

    @property
    def cancelled(self):
        """Credited in full with nothing ever paid (a session voided, a fee waived): its
        status is "paid" (nothing is due), but nobody paid it, so it is never called so."""
        return self.paid == 0 and self.credited > 0 and self.credited >= self.total


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
            # The payment's receipt says what went back: no second email.
            refund(payment, excess, "Paid more than was due: the difference goes back.",
                   gateway=returning_excess_through, receipt=False)
        settle(invoice)
        mail.queue("payment_receipt", payer_email(invoice),
                   dedupe_key=f"payment:{payment.id}:receipt", invoice=invoice,
                   payment=payment, returned=max(excess, 0), url=invoice_link(invoice))
        return payment, True


# --- Giving money back: the one path every refund takes ----------------------------------

class AdjustmentProblem(BillingProblem):
    """A refund or credit note that can't be made as asked: nothing was changed. `field`
    names the form field at fault, if one is."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class KeyUsed(AdjustmentProblem):
    """The key already made something else (another payment, amount or kind)."""


@dataclass
class RefundPlan:
    payment: Payment
    invoice: Invoice
    amount: int
    credit_too: bool
    refundable: int  # of this payment, before
    before: Amounts
    after: Amounts

    @property
    def reopens(self):
        """Whether the payer will owe something again afterwards."""
        return self.after.due > max(self.before.due, 0)


def refunded(payment):
    return Refund.select(fn.COALESCE(fn.SUM(Refund.amount_cents), 0)).where(
        Refund.payment == payment.id).scalar()


def refundable(payment):
    """What of this payment may still go back (0 for one paid to the provider directly)."""
    return 0 if payment.gateway == DIRECT else payment.amount_cents - refunded(payment)


def gateway_problem(payment):
    """Why this payment can't be refunded through its gateway here, or None."""
    if payment.gateway == DIRECT:
        return ("This was paid to the provider directly: Alma holds none of it to give back. "
                "The provider refunds their client.")
    if payment.gateway == gateways.LocalGateway.name:
        return None
    if payment.gateway == "stripe" and current_app.config["PAYMENT_GATEWAY"] == "stripe":
        return None
    return (f"This was paid through {payment.gateway}, which isn't set up on this server: "
            "it can't be refunded from here.")


def gateway_for(payment):
    problem = gateway_problem(payment)
    if problem:
        raise AdjustmentProblem(problem)
    if payment.gateway == gateways.LocalGateway.name:
        return gateways.LocalGateway()
    return gateways.gateway()


def plan_refund(payment, amount_cents, credit_too):
    """What refunding `amount_cents` of `payment` would do, or AdjustmentProblem."""
    problem = gateway_problem(payment)
    if problem:
        raise AdjustmentProblem(problem)
    left = refundable(payment)
    if amount_cents is None or amount_cents <= 0:
        raise AdjustmentProblem("Enter an amount more than $0.", "amount")
    if amount_cents > left:
        raise AdjustmentProblem(
            f"At most {money(left)} of this payment can be refunded: "
            f"{money(payment.amount_cents)} was paid and {money(payment.amount_cents - left)} "
            "refunded already." if left else "This payment has been refunded in full already.",
            "amount")
    invoice = payment.invoice
    before = amounts(invoice)
    credited = amount_cents if credit_too else 0
    after = Amounts(before.total, before.credited + credited, before.paid,
                    before.refunded + amount_cents)
    if after.credited > after.total:
        raise AdjustmentProblem("The invoice would be credited more than it charged.")
    return RefundPlan(payment, invoice, amount_cents, credit_too, left, before, after)


def refund(payment, amount_cents, reason, gateway=None, made_by=None, key=None,
           credit_too=False, receipt=True):
    """Give back part or all of a payment through the gateway that took it, once per key:
    returns (the Refund, made now?). Every refund takes this path: the billing desk's
    (alma/billing/adjustments.py), a lower share the plan decided (alma/claims/reconcile.py),
    money taken twice at a checkout (record_payment).

    `key` is the caller's idempotency key (a form's), unique with the row: a retry or a
    second worker finds the row the first one made. Without one, the key names what was
    refunded of the payment before (`payment-12-after-2500-1000`): a retry after the process
    died is the same refund, a second refund of the same amount later is another. The key
    is the gateway's too, so a retry after the gateway's answer was lost, or after Stripe
    refunded and the process died, is answered with the refund it made.

    Under the invoice's lock (`locked`), so two refunds at once never give back more than
    was paid. With `credit_too`, the invoice is lowered by the same amount (a credit note
    with the same key and reason). The audit event names who (`made_by`, or the app) and
    why; the payer's receipt is queued in the same transaction (`receipt=False` when the
    caller's own email says it). The gateway is called inside the transaction: if it fails,
    nothing is recorded.
    """
    with db.atomic():
        invoice = locked(payment.invoice_id)
        payment = Payment.get_by_id(payment.id)
        if key is not None:
            done = Refund.get_or_none(Refund.idempotency_key == key)
            if done is not None:
                if (done.payment_id, done.amount_cents) != (payment.id, amount_cents):
                    raise KeyUsed("This form made a different refund already: nothing more "
                                  "was refunded. Open the refund page again to make another.")
                return done, False
        plan = plan_refund(payment, amount_cents, credit_too)
        key = key or f"payment-{payment.id}-after-{refunded(payment)}-{amount_cents}"
        reference = (gateway or gateway_for(payment)).refund(payment, amount_cents, key=key)
        try:
            with db.atomic():
                made = Refund.create(payment=payment, amount_cents=amount_cents, reason=reason,
                                     reference=reference, made_by=made_by,
                                     idempotency_key=key)
                note = CreditNote.create(invoice=invoice, amount_cents=amount_cents,
                                         reason=reason, made_by=made_by,
                                         idempotency_key=key) if credit_too else None
        except IntegrityError:
            raise KeyUsed("This form was used already: nothing more was refunded.")
        settle(invoice)
        _tell_refunded(invoice, payment, made, note, plan.after, receipt)
        return made, True


def who(user):
    return f"{user.name} <{user.email}>" if user is not None else "the app"


def _tell_refunded(invoice, payment, made, note, after, receipt):
    """The audit event and the payer's receipt, in the refund's transaction."""
    audit.record("refunded", "invoice", invoice.id, client=invoice.owed_by_client_id,
                 actor=made.made_by, detail=(
                     f"Refunded {money(made.amount_cents)} ({made.amount_cents} cents) of "
                     f"payment {payment.id} ({payment.gateway} {payment.reference}) on invoice "
                     f"{invoice.number}: refund {made.id}"
                     f"{f', credit note {note.id} for the same' if note else ''}"
                     f", by {who(made.made_by)}. Reason: {made.reason}"))
    if receipt:
        mail.queue("refund_receipt", payer_email(invoice),
                   dedupe_key=f"refund:{made.id}:receipt", invoice=invoice, payment=payment,
                   refund=made, note=note, amounts=after, url=invoice_link(invoice))


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
