"""What the group pays providers: its pay rates, and each provider's statements and lines.

Every line says what caused it (the claim and the claim payment that paid or took back a
session, the client's invoice a balance came from, the payment that recovered it) and has a
`source_key` that is unique across all statements: an item is on one statement, once.
"""
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from alma.billing.models import Invoice, Payment
from alma.claims.models import Claim, Visit
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Provider


class PayRate(BaseModel):
    """What the group pays a provider for a session with this code, from a date; a row with
    a licence type applies to providers holding it, before the row without one."""

    cpt_code = CharField(max_length=5)
    license_type = CharField(max_length=16, null=True)
    cents = IntegerField()
    starts_on = DateField()

    class Meta:
        indexes = ((("cpt_code", "license_type", "starts_on"), True),)


# A statement's life: made with its lines (drafting -> then one of) paid after its transfer,
# waiting for the provider's bank details, or nothing to send (zero or less: carried).
DRAFTING, TO_PAY, WAITING, PAID, CARRIED = "drafting", "to_pay", "waiting", "paid", "carried"
STATUS_LABELS = {DRAFTING: "Being made", TO_PAY: "Being paid",
                 WAITING: "Waiting for bank details", PAID: "Paid", CARRIED: "Nothing to pay"}


class PayoutStatement(BaseModel):
    provider = ForeignKeyField(Provider, backref="payout_statements", on_delete="RESTRICT")
    period_start = DateField()
    period_end = DateField()
    status = CharField(max_length=16, default=DRAFTING)
    carried_in_cents = IntegerField(default=0)  # a negative balance from the last statement
    lines_cents = IntegerField(default=0)
    total_cents = IntegerField(default=0)  # carried in + lines
    carried_out_cents = IntegerField(default=0)  # the total, when below zero
    # The connected account paid, fixed once known: every try of the transfer (one
    # idempotency key, the statement's) goes with the same destination and amount.
    destination = CharField(max_length=100, default="")
    transfer_reference = CharField(max_length=64, default="")
    gateway = CharField(max_length=16, default="")
    created_at = DateTimeField(default=utcnow)
    made_at = DateTimeField(null=True)
    paid_at = DateTimeField(null=True)
    # A transfer the gateway refused or couldn't take: why, how often, when to try again.
    transfer_problem = TextField(default="")
    transfer_attempts = IntegerField(default=0)
    next_try_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("provider", "period_start"), True), (("status", "id"), False))

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def idempotency_key(self):
        return f"payout-statement-{self.id}"


SESSION, UNPAID, RECOVERY, RECOUPMENT = "session", "unpaid_balance", "recovery", "recoupment"
KIND_LABELS = {SESSION: "Session paid", UNPAID: "Client balance unpaid 60 days",
               RECOVERY: "Client balance recovered", RECOUPMENT: "Payment taken back"}


class PayoutLine(BaseModel):
    statement = ForeignKeyField(PayoutStatement, backref="lines", on_delete="CASCADE")
    kind = CharField(max_length=16)
    amount_cents = IntegerField()  # signed: what it adds to the statement
    source_key = CharField(max_length=64, unique=True)  # "session:claim:12"…: once, ever
    description = TextField()
    happened_at = DateTimeField()  # when the item became due (inside the period, or before)
    visit = ForeignKeyField(Visit, null=True, on_delete="RESTRICT")
    claim = ForeignKeyField(Claim, null=True, on_delete="RESTRICT")
    claim_payment = ForeignKeyField(ClaimPayment, null=True, on_delete="RESTRICT")
    remittance = ForeignKeyField(Remittance, null=True, on_delete="RESTRICT")
    invoice = ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")
    payment = ForeignKeyField(Payment, null=True, on_delete="RESTRICT")
    pay_rate = ForeignKeyField(PayRate, null=True, on_delete="RESTRICT")

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


MODELS = [PayRate, PayoutStatement, PayoutLine]
