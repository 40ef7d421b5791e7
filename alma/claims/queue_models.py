"""What the billing team does with a claim the payer refused or decided (issue 12, item 4),
and each payer's timely filing limit.

A claim is acted on once (ClaimAction.claim is unique): corrected and sent again (a new
original for a rejected claim, a replacement, frequency 7, for a decided one), voided
(frequency 8), or written off. The unique claim is what makes two billing members, or a
double submit, do it once; the form key tells the second submit of the same form apart
from someone else's.
"""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from alma.accounts.models import User
from alma.claims.models import Claim
from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Payer

DEFAULT_FILING_DAYS = 90  # most commercial plans allow 90 days from the date of service

RESUBMITTED, REPLACED, VOIDED, WRITTEN_OFF = "resubmitted", "replaced", "voided", "written_off"
ACTION_LABELS = {RESUBMITTED: "Corrected and sent again", REPLACED: "Replaced",
                 VOIDED: "Voided", WRITTEN_OFF: "Written off"}


class PayerFilingLimit(BaseModel):
    """A payer's timely filing limit, in days from the date of service, when it isn't the
    default (DEFAULT_FILING_DAYS)."""

    payer = ForeignKeyField(Payer, unique=True, on_delete="CASCADE")
    days = IntegerField()


class ClaimAction(BaseModel):
    claim = ForeignKeyField(Claim, unique=True, backref="actions", on_delete="RESTRICT")
    kind = CharField(max_length=16)  # resubmitted, replaced, voided, written_off
    form_key = CharField(max_length=64, unique=True)
    reason = TextField()
    made_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    made_at = DateTimeField(default=utcnow)
    # The claim it sent (a new original, a replacement or a void), if any.
    new_claim = ForeignKeyField(Claim, null=True, unique=True, backref="made_by_action",
                                on_delete="RESTRICT")
    # A write-off: what nobody will pay, and the three amounts it was worked out from:
    # the charge, less what the insurer paid, less the client's share.
    written_off_cents = IntegerField(null=True)
    charge_cents = IntegerField(null=True)
    insurer_paid_cents = IntegerField(null=True)
    client_share_cents = IntegerField(null=True)
    # What was corrected, in words ("member ID ALMA-X → ALMA-Y").
    corrections = TextField(default="")

    @property
    def label(self):
        return ACTION_LABELS[self.kind]


def provider_words(claim, action):
    """A claim's state for its provider, with what the billing team did about it."""
    if action is not None and action.kind == WRITTEN_OFF:
        return ("Written off by Alma's billing team: the insurer won't pay it, and no one "
                "is asked to pay it now.")
    if action is not None:
        return f"{action.label} by Alma's billing team: see the newer claim."
    if claim.frequency_code == "7":
        return f"A corrected claim replacing {claim.replaces.patient_control_number}."
    if claim.frequency_code == "8":
        return (f"A void asking the insurer to take back claim "
                f"{claim.replaces.patient_control_number}.")
    if claim.replaces_id:
        return f"A corrected claim sent after {claim.replaces.patient_control_number}."
    return ""


MODELS = [PayerFilingLimit, ClaimAction]
