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

A refund is made by `service.refund`, the one path every refund takes (the billing desk's,
a lower share a remittance decided, money taken twice): the gateway is called inside the
transaction, with the invoice locked: if it fails, nothing is recorded and the same form
may be sent again; if the process dies after Stripe refunded, the retry's key finds that
refund at Stripe instead of making another. This module checks what a form sent first.
"""
import re
from dataclasses import dataclass

from peewee import IntegrityError

from alma import audit
from alma.billing import service
from alma.billing.models import CreditNote, Invoice, Payment
from alma.billing.service import AdjustmentProblem, KeyUsed
from alma.db import db
from alma.inputs import one_line
from alma.mail import service as mail
from alma.templating import money

KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
REASON_MAX = 255  # the column's width (Refund.reason, CreditNote.reason)


@dataclass
class CreditPlan:
    invoice: Invoice
    amount: int
    before: service.Amounts
    after: service.Amounts


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


def refund(payment_id, amount_cents, reason, made_by, key, credit_too=False, gateway=None):
    """Refund part or all of a payment, once per key; returns (refund, made now?).

    With `credit_too`, the invoice is lowered by the same amount (a credit note with the
    same key and reason), so the payer doesn't owe it again.
    """
    check_key(key)
    reason = checked_reason(reason)
    return service.refund(Payment.get_by_id(payment_id), amount_cents, reason, gateway=gateway,
                          made_by=made_by, key=key, credit_too=credit_too)


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
                     f"cents) off invoice {invoice.number}, by {service.who(note.made_by)}. "
                     f"Reason: {note.reason}"))
    mail.queue("credit_note", service.payer_email(invoice),
               dedupe_key=f"credit-note:{note.id}:receipt", invoice=invoice, note=note,
               amounts=after, url=service.invoice_link(invoice))
