"""Self-pay clients: what a provider keeps to give them good-faith estimates and
superbills, the sessions logged for them and what they paid."""
import json

from peewee import (BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
                    IntegerField, TextField)

from alma.accounts.models import User
from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Client, Provider

# Place of service on a superbill (the claim's codes, DOMAIN.md).
PLACES_OF_SERVICE = {
    "02": "Telehealth (client not at home)",
    "10": "Telehealth (client at home)",
    "11": "Office",
}
PAYMENT_METHODS = {"card": "Card", "cash": "Cash", "check": "Check", "transfer": "Bank transfer",
                   "other": "Other"}
# An issued estimate is kept, unchanged, at least this long (45 CFR 149.610(f)).
KEEP_YEARS = 6
# A bill this much above the estimate may be disputed (patient-provider dispute resolution).
DISPUTE_THRESHOLD_CENTS = 40_000


class PracticeDetails(BaseModel):
    """What a provider's self-pay documents need beyond the listing: their Tax ID and the
    street address and phone of their office."""

    provider = ForeignKeyField(Provider, unique=True, on_delete="CASCADE")
    tax_id = CharField(max_length=10)  # an EIN as 12-3456789: two digits, a dash, seven
    street = CharField(max_length=120)
    city = CharField(max_length=60)
    state = CharField(max_length=2)
    zip = CharField(max_length=10)
    phone = CharField(max_length=30)
    updated_at = DateTimeField(default=utcnow)

    @property
    def address(self):
        return f"{self.street}, {self.city}, {self.state} {self.zip}"


class SelfPayClient(BaseModel):
    """A client who pays the provider themselves, as that provider recorded them.

    `client` is the provider's own Client record (never another party's). The estimate
    the rule asks for is owed while `gfe_due_on` is set (or `gfe_wanted` without a date).
    """

    provider = ForeignKeyField(Provider, backref="self_pay_clients", on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    consultation_id = IntegerField(null=True)  # the accepted request it came from, if any
    name = CharField(max_length=120)
    date_of_birth = DateField(null=True)
    street = CharField(max_length=120, default="")
    city = CharField(max_length=60, default="")
    state = CharField(max_length=2, default="")
    zip = CharField(max_length=10, default="")
    diagnosis_codes = CharField(max_length=64, default="")  # ICD-10-CM, comma-separated
    agreed_rate_cents = IntegerField(null=True)  # a sliding-scale rate agreed; else the listing's
    first_session_on = DateField(null=True)
    # The estimate owed: why, since when, by when; reminded once.
    gfe_wanted = BooleanField(default=False)
    gfe_reason = CharField(max_length=16, default="")
    gfe_arose_on = DateField(null=True)
    gfe_due_on = DateField(null=True)
    gfe_remind_on = DateField(null=True)
    gfe_reminded_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("provider", "client"), True), (("gfe_remind_on",), False))

    @property
    def address(self):
        if not self.street:
            return ""
        return f"{self.street}, {self.city}, {self.state} {self.zip}"

    @property
    def codes(self):
        return [code for code in self.diagnosis_codes.split(",") if code]


class Immutable(Exception):
    pass


class _Kept(BaseModel):
    """A document as issued: never changed, never deleted (a new one supersedes it). No code
    of the app updates or deletes one; a row refuses it too. (Only clearing whole tables, the
    demo's reset outside production and the tests' clean-up, takes them.)"""

    def save(self, *args, **kwargs):
        if self._pk is not None and not kwargs.get("force_insert"):
            raise Immutable(f"{type(self).__name__} {self._pk} is kept as issued")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise Immutable(f"{type(self).__name__} {self._pk} is kept as issued")

    @property
    def content(self):
        return json.loads(self.snapshot)


class GoodFaithEstimate(_Kept):
    """An issued good-faith estimate. `snapshot` is everything the client was given (JSON),
    so the estimate reads the same in six years whatever changes in the listing."""

    number = CharField(max_length=24, unique=True)
    provider = ForeignKeyField(Provider, on_delete="RESTRICT")
    self_pay_client = ForeignKeyField(SelfPayClient, backref="estimates", on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    supersedes = ForeignKeyField("self", null=True, unique=True, on_delete="RESTRICT")
    period_start = DateField()
    period_end = DateField()
    total_cents = IntegerField()
    snapshot = TextField()
    due_on = DateField(null=True)  # the deadline it answered, if the rule set one
    issued_at = DateTimeField(default=utcnow)
    issued_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    keep_until = DateField()
    submission_key = CharField(max_length=64, unique=True)

    @property
    def on_time(self):
        return self.due_on is None or self.issued_at.date() <= self.due_on


class SelfPaySession(BaseModel):
    """A session the provider held with a self-pay client, at the fee they charged."""

    provider = ForeignKeyField(Provider, on_delete="RESTRICT")
    self_pay_client = ForeignKeyField(SelfPayClient, backref="sessions", on_delete="RESTRICT")
    held_on = DateField()
    cpt_code = CharField(max_length=5)
    place_of_service = CharField(max_length=2)
    diagnosis_codes = CharField(max_length=64)
    fee_cents = IntegerField()
    # Logged although it took the sessions $400 or more above the estimate: the provider
    # saw the warning and went on.
    over_estimate_confirmed = BooleanField(default=False)
    logged_at = DateTimeField(default=utcnow)
    logged_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    submission_key = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("self_pay_client", "held_on"), False),)

    @property
    def codes(self):
        return [code for code in self.diagnosis_codes.split(",") if code]


class SelfPayPayment(BaseModel):
    """Money a self-pay client paid the provider for a session (the provider collects it)."""

    session = ForeignKeyField(SelfPaySession, backref="payments", on_delete="RESTRICT")
    amount_cents = IntegerField()
    received_on = DateField()
    method = CharField(max_length=16)
    recorded_at = DateTimeField(default=utcnow)
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    submission_key = CharField(max_length=64, unique=True)


class Superbill(_Kept):
    """A superbill as sent: the sessions of a date range, snapshotted."""

    number = CharField(max_length=24, unique=True)
    provider = ForeignKeyField(Provider, on_delete="RESTRICT")
    self_pay_client = ForeignKeyField(SelfPayClient, backref="superbills", on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    starts_on = DateField()
    ends_on = DateField()
    total_cents = IntegerField()
    paid_cents = IntegerField()
    snapshot = TextField()
    issued_at = DateTimeField(default=utcnow)
    issued_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    submission_key = CharField(max_length=64, unique=True)


def keep_until(day):
    try:
        return day.replace(year=day.year + KEEP_YEARS)
    except ValueError:  # February 29
        return day.replace(year=day.year + KEEP_YEARS, day=28)


MODELS = [PracticeDetails, SelfPayClient, GoodFaithEstimate, SelfPaySession, SelfPayPayment,
          Superbill]

