"""Sessions a provider logged for their program clients (visits), and the claim made for
each attended one."""
from peewee import (BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
                    IntegerField, TextField)

from alma.benefits.models import EligibilityCheck
from alma.billing.models import Invoice
from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Payer, ProgramClient, Provider

ATTENDED, LATE_CANCEL, NO_SHOW = "attended", "late_cancel", "no_show"
ATTENDANCE = {ATTENDED: "Attended", LATE_CANCEL: "Late cancellation", NO_SHOW: "No-show"}


class Visit(BaseModel):
    """A session the provider held (or that was cancelled late, or missed)."""

    provider = ForeignKeyField(Provider, backref="visits", on_delete="CASCADE")
    program_client = ForeignKeyField(ProgramClient, backref="visits", on_delete="RESTRICT")
    held_on = DateField()
    cpt_code = CharField(max_length=5)
    telehealth = BooleanField()
    attendance = CharField(max_length=16)
    eligibility_check = ForeignKeyField(EligibilityCheck, null=True, on_delete="SET NULL")
    invoice = ForeignKeyField(Invoice, null=True, on_delete="SET NULL")
    # Why no claim was made (no benefit check in time, coverage ended…), in words.
    billing_note = TextField(default="")
    logged_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("program_client", "held_on", "cpt_code"), True),
                   (("provider", "held_on"), False))

    @property
    def attendance_label(self):
        return ATTENDANCE[self.attendance]


# A claim's life: made (ready) -> sent to the clearinghouse (submitted) -> the payer's front
# door (277CA) took it into adjudication (accepted) or refused it (rejected) -> the 835 said
# what was decided (paid, partly_paid, denied) -> a later 835 took the payment back (reversed).
READY, SUBMITTED, ACCEPTED, REJECTED = "ready", "submitted", "accepted", "rejected"
PAID, PARTLY_PAID, DENIED, REVERSED = "paid", "partly_paid", "denied", "reversed"
REMITTED = (PAID, PARTLY_PAID, DENIED, REVERSED)
STATUS_LABELS = {READY: "Ready to send", SUBMITTED: "Sent to the insurer",
                 ACCEPTED: "Accepted for review", REJECTED: "Rejected", PAID: "Paid",
                 PARTLY_PAID: "Partly paid", DENIED: "Denied", REVERSED: "Payment reversed"}


class SubmissionBatch(BaseModel):
    """The claims one worker sent together: a record of who sent what, when."""

    gateway = CharField(max_length=16)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)


class Claim(BaseModel):
    # Not unique: a replacement (frequency 7) or void (8) is another claim for the visit.
    visit = ForeignKeyField(Visit, backref="claims", on_delete="RESTRICT")
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    status = CharField(max_length=16, default=READY)
    charge_cents = IntegerField()
    allowed_cents = IntegerField()
    deductible_cents = IntegerField()
    coinsurance_cents = IntegerField()
    copay_cents = IntegerField()
    patient_share_cents = IntegerField()  # the estimate the client was invoiced from
    place_of_service = CharField(max_length=2)
    modifiers = CharField(default="")
    x12 = TextField()
    frequency_code = CharField(max_length=1, default="1")  # 1 original, 7 replace, 8 void
    replaces = ForeignKeyField("self", null=True, backref="replacements",
                               on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    # Sending: the idempotency key is stored before the first try and reused by every retry,
    # so a worker killed mid-send never makes a second claim at the clearinghouse.
    submission_key = CharField(max_length=64, null=True, unique=True)
    batch = ForeignKeyField(SubmissionBatch, null=True, backref="claims",
                            on_delete="SET NULL")
    sending_since = DateTimeField(null=True)  # a worker's hold while it sends
    submitted_at = DateTimeField(null=True)
    clearinghouse_reference = CharField(default="")
    control_number = CharField(max_length=20, default="")  # matched by the 999's AK1
    acknowledged_at = DateTimeField(null=True)
    # What the latest event means, in plain words (a rejection's reason, a denial's codes).
    status_note = TextField(default="")
    # From the 835s (sums over their claim payments, each traceable to its CLP segment).
    payer_claim_number = CharField(max_length=50, default="")  # CLP07, for 7/8 with REF*F8
    paid_cents = IntegerField(null=True)  # what the insurer paid, net of reversals
    patient_responsibility_cents = IntegerField(null=True)  # what the plan says the client owes
    remitted_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "id"), False),)

    @property
    def patient_control_number(self):
        """CLM01 / CLP01: how the payer's answers name this claim."""
        return control_number_of(self.id)

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


def control_number_of(claim_id):
    return f"AL{claim_id:08d}"


def claim_id_of(patient_control_number):
    """The claim id a CLP01 / TRN02 names, or None if it isn't one of ours."""
    text = (patient_control_number or "").strip().upper()
    if len(text) == 10 and text.startswith("AL") and text[2:].isdigit():
        return int(text[2:])
    return None


MODELS = [Visit, SubmissionBatch, Claim]
