"""Who saw or changed a client's health information, and when."""
from dataclasses import dataclass

from flask import has_request_context, request
from peewee import JOIN, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from alma.accounts.models import User
from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Client


class AuditEvent(BaseModel):
    at = DateTimeField(default=utcnow, index=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor_label = CharField()  # "provider 12", "client 5", "system", "link"
    action = CharField(max_length=64)  # "viewed", "accepted", "declined"…
    client = ForeignKeyField(Client, null=True, on_delete="SET NULL")
    subject_type = CharField(max_length=32)
    subject_id = IntegerField(null=True)
    ip = CharField(null=True)
    # What was done, in words, where the subject alone doesn't say it (a refund's amount
    # and reason): the row it names may change later, this line doesn't.
    detail = TextField(null=True)

    class Meta:
        indexes = ((("client", "at"), False),)


@dataclass
class Trail:
    """One record of a client (their own, or a provider's) and who saw or changed it."""

    client: Client
    events: list


def trails_for(email, limit=500):
    """Every record kept for this email, each with its own events, apart: the client's
    own record first, then each provider's, oldest first."""
    records = sorted(Client.select().where(Client.email == email),
                     key=lambda c: (c.known_by_id is not None, c.id))
    return [Trail(client, list(
        AuditEvent.select(AuditEvent, User).join(User, JOIN.LEFT_OUTER)
        .where(AuditEvent.client == client.id).order_by(AuditEvent.at.desc(),
                                                        AuditEvent.id.desc())
        .limit(limit))) for client in records]


def record(action, subject_type, subject_id=None, client=None, actor=None, actor_label=None,
           detail=None):
    AuditEvent.create(action=action, subject_type=subject_type, subject_id=subject_id,
                      client=client, actor=actor,
                      actor_label=actor_label or (f"user {actor.id}" if actor else "system"),
                      ip=request.remote_addr if has_request_context() else None, detail=detail)


def record_many(action, subject_type, rows, actor):
    """One event per (subject_id, client_id) pair, in one insert."""
    ip = request.remote_addr if has_request_context() else None
    now = utcnow()
    events = [dict(at=now, actor=actor, actor_label=f"user {actor.id}", action=action,
                   client=client_id, subject_type=subject_type, subject_id=subject_id, ip=ip)
              for subject_id, client_id in rows]
    if events:
        AuditEvent.insert_many(events).execute()


MODELS = [AuditEvent]
