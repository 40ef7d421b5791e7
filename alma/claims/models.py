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


class Claim(BaseModel):
    visit = ForeignKeyField(Visit, unique=True, backref="claims", on_delete="RESTRICT")
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    status = CharField(max_length=16, default="ready")
    charge_cents = IntegerField()
    allowed_cents = IntegerField()
    deductible_cents = IntegerField()
    coinsurance_cents = IntegerField()
    copay_cents = IntegerField()
    patient_share_cents = IntegerField()
    place_of_service = CharField(max_length=2)
    modifiers = CharField(default="")
    x12 = TextField()
    created_at = DateTimeField(default=utcnow)


MODELS = [Visit, Claim]
