"""What each claim payment did to the client's bill (reconcile.py).

One ShareReconciliation per ClaimPayment (unique): the same 835 posted twice, or two
workers at once, never credit, refund or ask for review twice. A higher share waits as a
review (status pending) until the billing team approves it (an additional invoice) or
waives it with a reason. ReconciledMoney ties each credit note and refund to the
reconciliation that made it.
"""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from alma.accounts.models import User
from alma.billing.models import CreditNote, Invoice, Refund
from alma.claims.models import Claim
from alma.claims.remittance_models import ClaimPayment
from alma.clock import utcnow
from alma.db import BaseModel

# What a claim payment did: nothing to change, a lower share credited (and paid-over
# money refunded), a higher share sent for review, or held (a reversal: wait for the
# payment that replaces it).
EQUAL, CREDITED, REVIEW, HELD = "equal", "credited", "review", "held"
# A review's state.
PENDING, APPROVED, WAIVED, SUPERSEDED = "pending", "approved", "waived", "superseded"
REVIEW_LABELS = {PENDING: "Waiting for review", APPROVED: "Approved: invoiced",
                 WAIVED: "Waived", SUPERSEDED: "Superseded by a later remittance"}


class ShareReconciliation(BaseModel):
    claim_payment = ForeignKeyField(ClaimPayment, unique=True, on_delete="RESTRICT")
    claim = ForeignKeyField(Claim, backref="reconciliations", on_delete="RESTRICT")
    outcome = CharField(max_length=16)
    billed_cents = IntegerField()  # what the client had been invoiced for the session
    owed_cents = IntegerField()  # what the plan says they owe, net of reversals
    difference_cents = IntegerField(default=0)  # owed - (billed + waived before)
    credited_cents = IntegerField(default=0)
    refunded_cents = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    # For a higher share: the billing team's review.
    review_status = CharField(max_length=16, default="")
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(null=True)
    reason = TextField(default="")  # why it was waived
    additional_invoice = ForeignKeyField(Invoice, null=True, unique=True, on_delete="RESTRICT")
    # Paid over, but not refundable from here (paid to the provider directly, or through a
    # gateway this server doesn't run): owed to the client until the billing desk sees to
    # it and says how (refunds_owed.py).
    refund_owed_cents = IntegerField(default=0)
    refund_owed_reason = TextField(default="")
    refund_settled_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    refund_settled_at = DateTimeField(null=True)
    refund_settled_note = TextField(default="")

    class Meta:
        indexes = ((("review_status", "id"), False), (("refund_owed_cents", "id"), False))

    @property
    def review_label(self):
        return REVIEW_LABELS.get(self.review_status, "")


class ReconciledMoney(BaseModel):
    reconciliation = ForeignKeyField(ShareReconciliation, backref="money", on_delete="CASCADE")
    credit_note = ForeignKeyField(CreditNote, null=True, unique=True, on_delete="RESTRICT")
    refund = ForeignKeyField(Refund, null=True, unique=True, on_delete="RESTRICT")


MODELS = [ShareReconciliation, ReconciledMoney]
