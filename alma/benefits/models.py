"""Benefit checks' answers, and the group's fee schedule they are priced against."""
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Payer, ProgramClient

# The services the group bills, which its fee schedule prices.
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


MODELS = [EligibilityCheck, FeeSchedule]
