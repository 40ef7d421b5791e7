"""Consultation requests, waitlists, and hand-offs to the matching team."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Client, Payer, Provider, first_name_of

PENDING, ACCEPTED, DECLINED, WITHDRAWN, EXPIRED = (
    "pending", "accepted", "declined", "withdrawn", "expired")

DECLINE_REASONS = {
    "no_room": "no room in their schedule right now",
    "expertise": "this is outside their expertise",
    "other": "another reason",
    "not_a_fit": "not a good fit",
    "state_not_served": "Alma doesn't operate in your state yet",
}
# What a provider may choose; the others are set by the service itself.
PROVIDER_DECLINE_REASONS = ("no_room", "expertise", "other")

FORMATS = {"telehealth": "Telehealth", "in_person": "In person", "either": "Either is fine"}


class ConsultationRequest(BaseModel):
    client = ForeignKeyField(Client, backref="requests", on_delete="CASCADE")
    # What the client typed with this request: the provider sees it, and its emails say
    # it, whatever anyone typed with the same email before.
    name = CharField()
    phone = CharField(null=True)
    provider = ForeignKeyField(Provider, backref="consultation_requests", on_delete="CASCADE",
                               index=False)
    source = CharField(max_length=16, default="directory")  # or "matching"
    status = CharField(max_length=16, default=PENDING)
    state = CharField(max_length=2)  # where the client lives
    payer = ForeignKeyField(Payer, null=True, on_delete="RESTRICT")
    member_id = CharField(null=True)
    self_pay = BooleanField(default=False)
    concerns = TextField()
    preferred_format = CharField(max_length=16)
    availability = TextField(default="")
    decline_reason = CharField(max_length=32, null=True)
    decline_note = TextField(null=True)
    # The form's one-time key: a double click or a resend makes one request.
    submission_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    answered_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    # Follow-ups done, each claimed once (see jobs.py).
    provider_reminded_at = DateTimeField(null=True)
    others_suggested_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("provider", "created_at"), False),
            (("status", "created_at"), False),
            (("client", "provider", "created_at"), False),
        )

    @property
    def first_name(self):
        return first_name_of(self.name)

    @property
    def is_pending(self):
        return self.status == PENDING

    @property
    def payment_label(self):
        return "Self-pay" if self.self_pay else (self.payer.name if self.payer_id else "")

    @property
    def format_label(self):
        return FORMATS.get(self.preferred_format, self.preferred_format)

    @property
    def decline_label(self):
        return DECLINE_REASONS.get(self.decline_reason, "")


class WaitlistEntry(BaseModel):
    email = CharField()
    state = CharField(max_length=2)
    client = ForeignKeyField(Client, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    notified_at = DateTimeField(null=True)  # told the state opened: once

    class Meta:
        indexes = ((("state", "email"), True),)


MODELS = [ConsultationRequest, WaitlistEntry]
