"""The insurance program: enrolment, credentialing with each program payer, the clients in
the program, benefit checks, sessions (visits), claims and the group's fee schedule."""
from peewee import (BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
                    IntegerField, TextField)

from alma.accounts.models import User
from alma.billing.models import Invoice
from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Client, Payer, Provider

# Enrolment: credentialing -> active (a payer approved) -> leaving (notice given) -> ended.
CREDENTIALING, ACTIVE, LEAVING, ENDED = "credentialing", "active", "leaving", "ended"
ENROLMENT_STATUSES = {CREDENTIALING: "Being credentialed", ACTIVE: "In the program",
                      LEAVING: "Leaving (notice given)", ENDED: "Left the program"}

# A credentialing case: submitted -> approved | denied; withdrawn if the provider opts out first.
SUBMITTED, APPROVED, DENIED, WITHDRAWN = "submitted", "approved", "denied", "withdrawn"
CASE_STATUSES = {SUBMITTED: "In review", APPROVED: "Approved", DENIED: "Denied",
                 WITHDRAWN: "Withdrawn"}

ATTENDED, LATE_CANCEL, NO_SHOW = "attended", "late_cancel", "no_show"
ATTENDANCE = {ATTENDED: "Attended", LATE_CANCEL: "Late cancellation", NO_SHOW: "No-show"}

CPT_CODES = {
    "90791": "Diagnostic evaluation",
    "90832": "Psychotherapy, 16-37 minutes",
    "90834": "Psychotherapy, 38-52 minutes",
    "90837": "Psychotherapy, 53 minutes or more",
    "90846": "Family psychotherapy, without the patient",
    "90847": "Family psychotherapy, with the patient",
    "90853": "Group psychotherapy",
}
# The visit a benefit estimate is for: a 38-52 minute psychotherapy session.
STANDARD_VISIT = "90834"


class InsuranceEnrollment(BaseModel):
    provider = ForeignKeyField(Provider, backref="insurance_enrollments", on_delete="CASCADE")
    status = CharField(max_length=16, default=CREDENTIALING)
    # The provider's id while this enrolment is not ended: one open enrolment each.
    open_for = IntegerField(null=True, unique=True)
    caqh_id = CharField(max_length=16)
    caqh_attested_on = DateField()
    malpractice_carrier = CharField()
    malpractice_expires_on = DateField()
    attestation_signed_at = DateTimeField()
    enrolled_at = DateTimeField(default=utcnow)
    notice_given_at = DateTimeField(null=True)
    ends_on = DateField(null=True)  # the last day in the program, 30 days after notice
    ended_at = DateTimeField(null=True)

    @property
    def status_label(self):
        return ENROLMENT_STATUSES[self.status]


class CredentialingCase(BaseModel):
    enrollment = ForeignKeyField(InsuranceEnrollment, backref="cases", on_delete="CASCADE")
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    status = CharField(max_length=16, default=SUBMITTED, index=True)
    # Already in network with this payer on their own (kept if they ever leave).
    previously_individual = BooleanField(default=False)
    licence_verified = BooleanField(default=False)
    npi_verified = BooleanField(default=False)
    caqh_verified = BooleanField(default=False)
    malpractice_verified = BooleanField(default=False)
    opened_on = DateField()
    effective_on = DateField(null=True)
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    notes = TextField(default="")

    class Meta:
        indexes = ((("enrollment", "payer"), True),)

    @property
    def status_label(self):
        return CASE_STATUSES[self.status]


class ProgramClient(BaseModel):
    """A provider's client whose sessions are billed to their insurer through the group."""

    provider = ForeignKeyField(Provider, backref="program_clients", on_delete="CASCADE")
    client = ForeignKeyField(Client, backref="program_memberships", on_delete="RESTRICT")
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    member_id = CharField(max_length=40)
    first_name = CharField()
    last_name = CharField()
    date_of_birth = DateField()
    gender = CharField(max_length=1, default="U")  # F, M or U, as a claim carries it
    address = CharField()
    city = CharField()
    state = CharField(max_length=2)
    zip = CharField(max_length=10)
    diagnosis_code = CharField(max_length=8)  # ICD-10, with its dot
    added_via = CharField(max_length=16, default="moved_in")
    added_at = DateTimeField(default=utcnow)
    told_at = DateTimeField(null=True)
    removed_at = DateTimeField(null=True)
    # When a worker last took this client's benefit re-check (one worker at a time).
    check_claimed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("provider", "payer", "member_id"), True),)

    @property
    def name(self):
        return f"{self.first_name} {self.last_name}"


class EligibilityCheck(BaseModel):
    """One benefit check's answer. A client's own check (from /benefits) is found again by
    the random key in their browser session; a program client's by the client."""

    program_client = ForeignKeyField(ProgramClient, null=True, backref="checks",
                                     on_delete="CASCADE")
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    browser_key = CharField(max_length=64, null=True, unique=True)
    gateway = CharField(max_length=16)
    checked_at = DateTimeField(default=utcnow)
    outcome = CharField(max_length=16)
    plan_name = CharField(null=True)
    network = CharField(max_length=1, null=True)
    copay_cents = IntegerField(null=True)
    coinsurance_bp = IntegerField(null=True)
    deductible_cents = IntegerField(null=True)
    deductible_remaining_cents = IntegerField(null=True)
    oop_max_cents = IntegerField(null=True)
    oop_remaining_cents = IntegerField(null=True)
    service_type = CharField(max_length=4, null=True)
    carve_out_name = CharField(null=True)
    carve_out_payer_id = CharField(null=True)  # where the claim goes when carved out
    carved_out_from = CharField(null=True)
    coverage_ends_on = DateField(null=True)
    response = TextField(default="")

    class Meta:
        indexes = ((("program_client", "checked_at"), False),)


class FeeSchedule(BaseModel):
    """What the group is paid for a CPT code by a program payer, from a date."""

    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    cpt_code = CharField(max_length=5)
    allowed_cents = IntegerField()
    starts_on = DateField()

    class Meta:
        indexes = ((("payer", "cpt_code", "starts_on"), True),)


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


class OverdueDigest(BaseModel):
    """At most one overdue-invoice digest per provider per day (the unique row is the claim)."""

    provider = ForeignKeyField(Provider, on_delete="CASCADE")
    sent_on = DateField()
    # Which invoices, at which reminder, it reported: a digest only goes when this changes.
    summary = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("provider", "sent_on"), True),)


MODELS = [InsuranceEnrollment, CredentialingCase, ProgramClient, EligibilityCheck, FeeSchedule,
          Visit, Claim, OverdueDigest]
