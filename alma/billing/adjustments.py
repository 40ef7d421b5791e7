"""Refunds and credit notes made by a team member: planned in cents before they happen, made
once per form, audited and receipted.

Each one
- is planned first (`plan_refund`, `plan_credit`): what it gives back or lowers and what the
  invoice will say afterwards. The plan is made again when it is done, under the invoice's
  lock (`service.locked`), so two refunds at once never give back more than was paid;
- carries the idempotency key of the form it came from, unique in its table: a double submit
  or a retry finds the row the first one made and does nothing more. Stripe gets the same
  key, so a retry after Stripe's answer was lost is answered with the refund it made;
- names who made it (`made_by`) and records an audit event with the amount and the reason;
- queues the payer's receipt in the same transaction, once per row (its dedupe key).

The gateway is called inside the transaction, with the invoice locked: if it fails, nothing
is recorded and the same form may be sent again; if the process dies after Stripe refunded,
the retry's key finds that refund at Stripe instead of making another.
"""
import re
from dataclasses import dataclass

from flask import current_app
from peewee import IntegrityError, fn

from alma import audit
from alma.billing import gateways, service
from alma.billing.models import CreditNote, Invoice, Payment, Refund
from alma.db import db
from alma.inputs import one_line
from alma.mail import service as mail
from alma.templating import money

KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
REASON_MAX = 255  # the column's width (Refund.reason, CreditNote.reason)
DIRECT = "direct"  # paid to the provider, recorded by them (alma/billing/overdue.py)


class AdjustmentProblem(service.BillingProblem):
    """A refund or credit note that can't be made as asked: nothing was changed. `field`
    names the form field at fault, if one is."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class KeyUsed(AdjustmentProblem):
    """The form's key already made something else (another payment, amount or kind)."""


@dataclass
class RefundPlan:
    payment: Payment
    invoice: Invoice
    amount: int
    credit_too: bool
    refundable: int  # of this payment, before
    before: service.Amounts
    after: service.Amounts

    @property
    def reopens(self):
        """Whether the payer will owe something again afterwards."""
        return self.after.due > max(self.before.due, 0)


@dataclass
class CreditPlan:
    invoice: Invoice
    amount: int
    before: service.Amounts
    after: service.Amounts


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
    before = service.amounts(invoice)
    credited = amount_cents if credit_too else 0
    after = service.Amounts(before.total, before.credited + credited, before.paid,
                            before.refunded + amount_cents)
    if after.credited > after.total:
        raise AdjustmentProblem("The invoice would be credited more than it charged.")
    return RefundPlan(payment, invoice, amount_cents, credit_too, left, before, after)


def plan_credit(invoice, amount_cents):
    """What a credit note of `amount_cents` on `invoice` would do, or AdjustmentProblem."""
    before = service.amounts(invoice)
    if amount_cents is None or amount_cents <= 0:
        raise AdjustmentProblem("Enter an amount more than $0.", "amount")
    if amount_cents > before.due:
        raise AdjustmentProblem(
            f"At most {money(max(before.due, 0))} can be credited: what is still due. To give "
            "back money already paid, refund the payment (it can be credited with the refund)."
            if before.due > 0 else "Nothing is due on this invoice, so there is nothing to "
            "credit. To give back money already paid, refund the payment.", "amount")
    after = service.Amounts(before.total, before.credited + amount_cents, before.paid,
                            before.refunded)
    return CreditPlan(invoice, amount_cents, before, after)


def checked_reason(reason):
    reason = one_line(reason or "")
    if not reason:
        raise AdjustmentProblem("Say why: the reason is kept with it and on the receipt.",
                                "reason")
    if len(reason) > REASON_MAX:
        raise AdjustmentProblem(f"Keep the reason to {REASON_MAX} characters.", "reason")
    return reason


def check_key(key):
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise AdjustmentProblem("This form has expired: open it again.")


def _who(user):
    return f"{user.name} <{user.email}>" if user is not None else "the app"


def refund(payment_id, amount_cents, reason, made_by, key, credit_too=False, gateway=None):
    """Refund part or all of a payment, once per key; returns (refund, made now?).

    With `credit_too`, the invoice is lowered by the same amount (a credit note with the
    same key and reason), so the payer doesn't owe it again.
    """
    check_key(key)
    reason = checked_reason(reason)
    with db.atomic():
        payment = Payment.get_by_id(payment_id)
        invoice = service.locked(payment.invoice_id)
        done = Refund.get_or_none(Refund.idempotency_key == key)
        if done is not None:
            if (done.payment_id, done.amount_cents) != (payment.id, amount_cents):
                raise KeyUsed("This form made a different refund already: nothing more "
                              "was refunded. Open the refund page again to make another.")
            return done, False
        plan = plan_refund(payment, amount_cents, credit_too)
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
        service.settle(invoice)
        _tell_refunded(invoice, payment, made, note, plan.after)
        return made, True


def _tell_refunded(invoice, payment, made, note, after):
    """The audit event and the payer's receipt, in the refund's transaction."""
    audit.record("refunded", "invoice", invoice.id, client=invoice.owed_by_client_id,
                 actor=made.made_by, detail=(
                     f"Refunded {money(made.amount_cents)} ({made.amount_cents} cents) of "
                     f"payment {payment.id} ({payment.gateway} {payment.reference}) on invoice "
                     f"{invoice.number}: refund {made.id}"
                     f"{f', credit note {note.id} for the same' if note else ''}"
                     f", by {_who(made.made_by)}. Reason: {made.reason}"))
    mail.queue("refund_receipt", service.payer_email(invoice),
               dedupe_key=f"refund:{made.id}:receipt", invoice=invoice, payment=payment,
               refund=made, note=note, amounts=after, url=service.invoice_link(invoice))


def credit(invoice_id, amount_cents, reason, made_by, key):
    """Lower what an invoice asks for, once per key; returns (credit note, made now?)."""
    check_key(key)
    reason = checked_reason(reason)
    with db.atomic():
        invoice = service.locked(invoice_id)
        done = CreditNote.get_or_none(CreditNote.idempotency_key == key)
        if done is not None:
            if (done.invoice_id, done.amount_cents) != (invoice.id, amount_cents):
                raise KeyUsed("This form made a different credit note already: nothing more "
                              "was credited. Open the credit note page again to make another.")
            return done, False
        plan = plan_credit(invoice, amount_cents)
        try:
            with db.atomic():
                note = CreditNote.create(invoice=invoice, amount_cents=amount_cents,
                                         reason=reason, made_by=made_by, idempotency_key=key)
        except IntegrityError:
            raise KeyUsed("This form was used already: nothing more was credited.")
        service.settle(invoice)
        _tell_credited(invoice, note, plan.after)
        return note, True


def _tell_credited(invoice, note, after):
    """The audit event and the credit note sent to who owes, in the note's transaction."""
    audit.record("credited", "invoice", invoice.id, client=invoice.owed_by_client_id,
                 actor=note.made_by, detail=(
                     f"Credit note {note.id}: {money(note.amount_cents)} ({note.amount_cents} "
                     f"cents) off invoice {invoice.number}, by {_who(note.made_by)}. "
                     f"Reason: {note.reason}"))
    mail.queue("credit_note", service.payer_email(invoice),
               dedupe_key=f"credit-note:{note.id}:receipt", invoice=invoice, note=note,
               amounts=after, url=service.invoice_link(invoice))
