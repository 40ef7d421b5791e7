"""The insurance program's records: a provider's enrolment, and a credentialing case with
each program payer. (The clients in the program are the network's ProgramClient.)"""
from peewee import (BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
                    IntegerField, TextField)

from alma.accounts.models import User
from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Payer, Provider

# Enrolment: credentialing -> active (a payer approved) -> leaving (notice given) -> ended.
CREDENTIALING, ACTIVE, LEAVING, ENDED = "credentialing", "active", "leaving", "ended"
ENROLMENT_STATUSES = {CREDENTIALING: "Being credentialed", ACTIVE: "In the program",
                      LEAVING: "Leaving (notice given)", ENDED: "Left the program"}

# A credentialing case: submitted -> approved | denied; withdrawn if the provider opts out first.
SUBMITTED, APPROVED, DENIED, WITHDRAWN = "submitted", "approved", "denied", "withdrawn"
CASE_STATUSES = {SUBMITTED: "In review", APPROVED: "Approved", DENIED: "Denied",
                 WITHDRAWN: "Withdrawn"}

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


MODELS = [InsuranceEnrollment, CredentialingCase]
