"""The Client Matching team's work: match requests, proposals to providers, opportunities."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from alma.accounts.models import User
from alma.clock import utcnow
from alma.consultations.models import ConsultationRequest
from alma.db import BaseModel
from alma.network.models import (Client, Language, Modality, Payer, Provider, Specialty,
                                 first_name_of)

# open: needs a proposal · proposed: a provider is deciding · matched: the client has a
# first appointment · withdrawn: the client stopped · closed: the team closed it
OPEN, PROPOSED, MATCHED, WITHDRAWN, CLOSED = "open", "proposed", "matched", "withdrawn", "closed"
ORIGINS = {"client_form": "Asked to be matched", "not_a_fit": "Not a fit, handed over",
           "unanswered": "Request unanswered"}
# The queue's words for a status, as the team dashboard counts them.
STATUS_LABELS = {OPEN: "Waiting for a proposal", PROPOSED: "Waiting on a provider",
                 MATCHED: "Matched", WITHDRAWN: "Withdrawn by the client", CLOSED: "Closed"}


class MatchRequest(BaseModel):
    client = ForeignKeyField(Client, backref="match_requests", on_delete="CASCADE")
    # What the client typed (or their consultation request carried): the team and the
    # providers it asks see this, never a name someone else typed with the same email.
    name = CharField()
    phone = CharField(null=True)
    consultation = ForeignKeyField(ConsultationRequest, null=True, on_delete="SET NULL")
    origin = CharField(max_length=16)
    status = CharField(max_length=16, default=OPEN)
    created_at = DateTimeField(default=utcnow)
    # What the client needs.
    state = CharField(max_length=2, null=True)
    payer = ForeignKeyField(Payer, null=True, on_delete="RESTRICT")
    plan = CharField(null=True)
    self_pay = BooleanField(default=False)
    budget_cents = IntegerField(null=True)
    concerns = TextField(default="")
    specialty = ForeignKeyField(Specialty, null=True, on_delete="SET NULL")
    gender = CharField(max_length=16, null=True)
    language = ForeignKeyField(Language, null=True, on_delete="SET NULL")
    preferred_format = CharField(max_length=16, null=True)
    modality = ForeignKeyField(Modality, null=True, on_delete="SET NULL")
    availability = TextField(default="")
    zip_code = CharField(max_length=5, null=True)
    # The team's work on it.
    assignee = ForeignKeyField(User, null=True, on_delete="SET NULL")
    notes = TextField(default="")
    due_at = DateTimeField(default=utcnow)
    returned_at = DateTimeField(null=True)  # came back to the queue after a proposal
    return_reason = CharField(null=True)
    closed_at = DateTimeField(null=True)
    submission_key = CharField(max_length=64, unique=True, null=True)

    class Meta:
        indexes = ((("status", "due_at"), False),)

    @property
    def first_name(self):
        return first_name_of(self.name)

    @property
    def origin_label(self):
        return ORIGINS.get(self.origin, self.origin)

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_open(self):
        return self.status in (OPEN, PROPOSED)


class MatchProposal(BaseModel):
    """A provider the team proposed: a consultation request made on the client's behalf."""

    match = ForeignKeyField(MatchRequest, backref="proposals", on_delete="CASCADE")
    provider = ForeignKeyField(Provider, on_delete="CASCADE")
    consultation = ForeignKeyField(ConsultationRequest, unique=True, on_delete="CASCADE")
    proposed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    why = TextField(default="")
    created_at = DateTimeField(default=utcnow)


class MatchOpportunity(BaseModel):
    """A de-identified "can you take this client?" sent to one provider."""

    match = ForeignKeyField(MatchRequest, backref="opportunities", on_delete="CASCADE")
    provider = ForeignKeyField(Provider, on_delete="CASCADE")
    sent_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    sent_at = DateTimeField(default=utcnow)
    answered_at = DateTimeField(null=True)
    answer = CharField(max_length=16, null=True)  # "room" (became the proposal) or "late"


MODELS = [MatchRequest, MatchProposal, MatchOpportunity]
