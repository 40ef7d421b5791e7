"""Joining the network: applications, their licences, and onboarding calls."""
from peewee import (BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
                    IntegerField, TextField)

from alma.accounts.models import User
from alma.clock import utcnow
from alma.db import BaseModel
from alma.membership import zones
from alma.network.models import Provider

# applied -> call_booked -> approved | rejected; refused at once when pre-licensed.
APPLIED, REFUSED, CALL_BOOKED, APPROVED, REJECTED = (
    "applied", "refused", "call_booked", "approved", "rejected")
STATUSES = {APPLIED: "Waiting to book a call", REFUSED: "Not eligible yet",
            CALL_BOOKED: "Call booked", APPROVED: "Approved", REJECTED: "Not approved"}


class MembershipApplication(BaseModel):
    name = CharField()
    email = CharField()  # lower-cased
    phone = CharField(null=True)
    npi = CharField(max_length=10)
    gender = CharField(max_length=16)  # shown on the listing, as on every provider
    practice_name = CharField(null=True)
    practice_city = CharField(null=True)
    practice_state = CharField(max_length=2)
    about_practice = TextField(default="")
    wants_insurance = BooleanField(default=False)
    status = CharField(max_length=16, default=APPLIED, index=True)
    # What the rules decided, and why, in words the applicant reads.
    may_join = BooleanField(default=False)
    may_join_insurance = BooleanField(default=False)
    decision = TextField(default="")
    notes = TextField(default="")  # the growth team's
    calendar_sequence = IntegerField(default=0)  # bumped by every change to the call
    # The zone their call times are shown in (zones.py), chosen when booking; until then
    # their practice state's.
    time_zone = CharField(max_length=64, null=True)
    created_at = DateTimeField(default=utcnow)
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    provider = ForeignKeyField(Provider, null=True, on_delete="SET NULL")
    submission_key = CharField(max_length=64, unique=True)

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @property
    def zone(self):
        return zones.valid(self.time_zone) or zones.for_state(self.practice_state)


class ApplicationLicense(BaseModel):
    application = ForeignKeyField(MembershipApplication, backref="licenses",
                                  on_delete="CASCADE")
    state = CharField(max_length=2)
    license_type = CharField(max_length=16)
    number = CharField()
    level = CharField(max_length=16)
    under_supervision = BooleanField(default=False)
    supervisor_name = CharField(null=True)
    supervisor_license = CharField(null=True)


class OnboardingSlot(BaseModel):
    """A time a growth team member offers for onboarding calls; booked by one applicant."""

    host = ForeignKeyField(User, backref="onboarding_slots", on_delete="CASCADE")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    application = ForeignKeyField(MembershipApplication, null=True, unique=True,
                                  on_delete="SET NULL")
    booked_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("starts_at",), False), (("host", "starts_at"), True))


class Membership(BaseModel):
    """A member's fee and billing day, pauses, and the end of their membership."""

    provider = ForeignKeyField(Provider, unique=True, backref="membership", on_delete="CASCADE")
    fee_cents = IntegerField()
    billing_day = IntegerField()  # 1 to 31: the day fees are invoiced (a short month: its last)
    started_on = DateField()
    ends_on = DateField(null=True)  # a cancellation takes effect on this day
    left_on = DateField(null=True)
    created_at = DateTimeField(default=utcnow)


class MembershipPause(BaseModel):
    membership = ForeignKeyField(Membership, backref="pauses", on_delete="CASCADE")
    starts_on = DateField()  # the first day of a month
    ends_on = DateField()  # the first day of the month it ends before
    requested_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("membership", "starts_on"), True),)


class OutsideClient(BaseModel):
    """A client a provider brings from outside the network."""

    provider = ForeignKeyField(Provider, backref="outside_clients", on_delete="CASCADE")
    name = CharField()
    email = CharField(null=True)
    phone = CharField(null=True)
    notes = TextField(default="")
    created_at = DateTimeField(default=utcnow)


MODELS = [MembershipApplication, ApplicationLicense, OnboardingSlot, Membership,
          MembershipPause, OutsideClient]
