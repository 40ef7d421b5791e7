"""Invoices, payments, refunds and credit notes. Every amount is integer cents.

An invoice's lines are fixed once it is issued; a credit note lowers what is
owed, a refund gives back part of a payment. What is owed is always:
lines - credit notes - (payments - refunds), never below zero.
"""
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from alma.accounts.models import User
from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Client, Provider

KINDS = {
    "membership_fee": "Membership fee",
    "copay": "Copay",
    "coinsurance": "Coinsurance",
    "deductible": "Deductible",
    "cancellation_fee": "Cancellation fee",
    "missed_visit": "Missed visit",
    "self_pay_session": "Self-pay session",
}
OPEN, PAID, VOID = "open", "paid", "void"


class Invoice(BaseModel):
    number = CharField(unique=True)
    kind = CharField(max_length=24)
    # Who owes: a provider (their membership) or a client.
    owed_by_provider = ForeignKeyField(Provider, null=True, backref="invoices_owed",
                                       on_delete="RESTRICT")
    owed_by_client = ForeignKeyField(Client, null=True, backref="invoices",
                                     on_delete="RESTRICT")
    # Who collects: the group (Alma), or the provider (their own fees).
    collected_by = CharField(max_length=16, default="group")
    collecting_provider = ForeignKeyField(Provider, null=True, on_delete="RESTRICT")
    total_cents = IntegerField()  # the sum of the lines, fixed at issue
    status = CharField(max_length=8, default=OPEN)
    issued_on = DateField()
    due_on = DateField()
    period_start = DateField(null=True)  # for a membership fee: the month it pays for
    period_end = DateField(null=True)
    memo = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    paid_at = DateTimeField(null=True)
    reminded_count = IntegerField(default=0)
    last_reminded_on = DateField(null=True)
    # Set by the worker the day after the due date passes unpaid.
    overdue_since = DateField(null=True)
    # For a client's invoice: the provider whose client they are (told when it is overdue).
    treating_provider = ForeignKeyField(Provider, null=True, backref="client_invoices",
                                        index=False, on_delete="RESTRICT")

    class Meta:
        indexes = (
            # One membership invoice per member per period, whatever runs at once.
            (("owed_by_provider", "kind", "period_start"), True),
            (("status", "due_on"), False),
            (("treating_provider", "status"), False),
        )

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)


class InvoiceLine(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    description = CharField()
    quantity = IntegerField(default=1)
    unit_cents = IntegerField()

    @property
    def amount_cents(self):
        return self.quantity * self.unit_cents


class Payment(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="payments", on_delete="RESTRICT")
    amount_cents = IntegerField()
    gateway = CharField(max_length=16)
    # The gateway's id for it (a checkout session, a local test charge): one payment each.
    reference = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)


class Refund(BaseModel):
    payment = ForeignKeyField(Payment, backref="refunds", on_delete="RESTRICT")
    amount_cents = IntegerField()
    reason = CharField(default="")
    reference = CharField(null=True)
    created_at = DateTimeField(default=utcnow)
    # The team member who made it (none for a refund the app made itself: an overpayment).
    made_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    # The key of the form it came from: a double submit or a retry finds this row instead
    # of refunding again. Also the gateway's own idempotency key.
    idempotency_key = CharField(max_length=64, null=True, unique=True)


class CreditNote(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="credit_notes", on_delete="RESTRICT")
    amount_cents = IntegerField()
    reason = CharField()
    created_at = DateTimeField(default=utcnow)
    made_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    idempotency_key = CharField(max_length=64, null=True, unique=True)


class GatewayEvent(BaseModel):
    """A payment gateway's event (a webhook), applied once by its id."""

    event_id = CharField(unique=True)
    gateway = CharField(max_length=16)
    kind = CharField()
    received_at = DateTimeField(default=utcnow)


class OverdueDigest(BaseModel):
    """At most one overdue-invoice digest per provider per day (the unique row is the claim)."""

    provider = ForeignKeyField(Provider, on_delete="CASCADE")
    sent_on = DateField()
    # Which invoices, at which reminder, it reported: a digest only goes when this changes.
    summary = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("provider", "sent_on"), True),)


MODELS = [Invoice, InvoiceLine, Payment, Refund, CreditNote, GatewayEvent, OverdueDigest]
