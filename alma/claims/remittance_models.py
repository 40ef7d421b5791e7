"""What comes back from the clearinghouse, kept as it came and as it was posted.

Every report (999, 277CA, 835) is stored whole, once per clearinghouse transaction id. An
835 is posted as one Remittance (unique by the payer and its trace number, TRN02), one
ClaimPayment per CLP, with its service lines and every adjustment (group and reason code,
integer cents) and the segment it came from, so any amount can be traced back to the text.
A CLP naming no claim of ours goes to UnmatchedClaimPayment, never dropped. PLB
(provider-level adjustments, not tied to one claim) are ProviderAdjustments.
"""
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from alma.claims.models import Claim
from alma.clock import utcnow
from alma.db import BaseModel


class ClearinghouseReport(BaseModel):
    transaction_id = CharField(max_length=100, unique=True)
    kind = CharField(max_length=8)  # "999", "277", "835"
    x12 = TextField()
    received_at = DateTimeField(default=utcnow)
    outcome = CharField(max_length=16, default="")  # applied, invalid, failed
    problems = TextField(default="")


class ClearinghouseCursor(BaseModel):
    """Where polling stopped (the clearinghouse's page token), per gateway."""

    name = CharField(max_length=32, unique=True)
    value = TextField(default="")


class ClaimEvent(BaseModel):
    """A claim's history: each submission, acknowledgement and remittance, in words."""

    claim = ForeignKeyField(Claim, backref="events", on_delete="CASCADE")
    kind = CharField(max_length=16)  # submitted, 999, 277CA, 835, reversal
    code = CharField(max_length=32, default="")
    words = TextField(default="")
    report = ForeignKeyField(ClearinghouseReport, null=True, on_delete="SET NULL")
    at = DateTimeField(default=utcnow)


class Remittance(BaseModel):
    report = ForeignKeyField(ClearinghouseReport, null=True, on_delete="SET NULL")
    payer_identifier = CharField(max_length=50)  # TRN03
    trace_number = CharField(max_length=50)  # TRN02: the check or EFT number
    payer_name = CharField(default="")
    paid_cents = IntegerField()  # BPR02
    method = CharField(max_length=3)  # BPR04: ACH, CHK, NON…
    paid_on = DateField(null=True)  # BPR16
    posted_at = DateTimeField(default=utcnow)
    bpr_segment = TextField(default="")

    class Meta:
        indexes = ((("payer_identifier", "trace_number"), True),)


class ClaimPayment(BaseModel):
    """One CLP loop posted to its claim."""

    remittance = ForeignKeyField(Remittance, backref="claim_payments", on_delete="CASCADE")
    claim = ForeignKeyField(Claim, backref="payments", on_delete="RESTRICT")
    patient_control_number = CharField(max_length=38)  # CLP01
    status_code = CharField(max_length=2)  # CLP02: 1, 2, 4, 19, 20, 22…
    charge_cents = IntegerField()  # CLP03
    paid_cents = IntegerField()  # CLP04
    patient_cents = IntegerField()  # CLP05
    payer_claim_number = CharField(max_length=50, default="")  # CLP07
    remarks = CharField(default="")  # claim-level remark codes (MOA), comma-separated
    segment = TextField()

    class Meta:
        indexes = ((("remittance", "patient_control_number", "payer_claim_number",
                     "status_code"), True),)


class ServiceLinePayment(BaseModel):
    claim_payment = ForeignKeyField(ClaimPayment, backref="lines", on_delete="CASCADE")
    procedure = CharField(max_length=60)  # SVC01: "HC:90834:95"
    charge_cents = IntegerField()
    paid_cents = IntegerField()
    units = IntegerField(default=1)
    service_date = DateField(null=True)
    remarks = CharField(default="")  # LQ*HE remark codes, comma-separated
    segment = TextField()


class Adjustment(BaseModel):
    """One CAS group/reason/amount triple: CO the provider writes off, PR the client owes."""

    claim_payment = ForeignKeyField(ClaimPayment, backref="adjustments", on_delete="CASCADE")
    line = ForeignKeyField(ServiceLinePayment, null=True, backref="adjustments",
                           on_delete="CASCADE")
    group_code = CharField(max_length=2)
    reason_code = CharField(max_length=5)
    amount_cents = IntegerField()
    segment = TextField()


class ProviderAdjustment(BaseModel):
    """A PLB adjustment: positive amounts reduce the payment (e.g. WO recovering an
    overpayment), negative ones add to it (L6 interest) or carry a balance (FB)."""

    remittance = ForeignKeyField(Remittance, backref="provider_adjustments",
                                 on_delete="CASCADE")
    provider_identifier = CharField(max_length=50)  # PLB01
    reason_code = CharField(max_length=2)
    reference = CharField(default="")
    amount_cents = IntegerField()
    segment = TextField()


class UnmatchedClaimPayment(BaseModel):
    """A CLP that names no claim of ours: kept for the billing team to match by hand."""

    remittance = ForeignKeyField(Remittance, backref="unmatched", on_delete="CASCADE")
    patient_control_number = CharField(max_length=38)
    status_code = CharField(max_length=2)
    charge_cents = IntegerField()
    paid_cents = IntegerField()
    patient_cents = IntegerField()
    payer_claim_number = CharField(max_length=50, default="")
    x12 = TextField()  # the whole CLP loop, as it came
    resolved_at = DateTimeField(null=True)
    resolution = TextField(default="")

    class Meta:
        indexes = ((("remittance", "patient_control_number", "payer_claim_number",
                     "status_code"), True),)


MODELS = [ClearinghouseReport, ClearinghouseCursor, ClaimEvent, Remittance, ClaimPayment,
          ServiceLinePayment, Adjustment, ProviderAdjustment, UnmatchedClaimPayment]
