"""Consultation requests and what they need: the outbox, accounts, emailed links,
clients, the waitlist, hand-offs to matching, and the audit trail.

Frozen copies of the models, independent of the application's.
"""
import datetime

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def now():
    return datetime.datetime.utcnow()


class Base(Model):
    class Meta:
        legacy_table_names = False


class Provider(Base):  # exists already (0001)
    class Meta:
        table_name = "provider"


class Payer(Base):  # exists already (0001)
    class Meta:
        table_name = "payer"


class OutboundEmail(Base):
    to_address = CharField()
    subject = CharField(max_length=255)
    text_body = TextField()
    html_body = TextField()
    template = CharField(max_length=64)
    dedupe_key = CharField(unique=True, null=True)
    message_id = CharField(unique=True)
    status = CharField(max_length=16, default="queued")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=now)
    claimed_at = DateTimeField(null=True)
    sent_at = DateTimeField(null=True)
    last_error = TextField(null=True)
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


class User(Base):
    email = CharField(unique=True)
    name = CharField()
    password_hash = CharField(null=True)
    provider = ForeignKeyField(Provider, null=True, unique=True, on_delete="CASCADE")
    session_version = IntegerField(default=1)
    active = BooleanField(default=True)
    failed_sign_ins = IntegerField(default=0)
    created_at = DateTimeField(default=now)
    last_signed_in_at = DateTimeField(null=True)


class EmailLink(Base):
    token_hash = CharField(max_length=64, unique=True)
    purpose = CharField(max_length=32)
    subject_id = IntegerField()
    created_at = DateTimeField(default=now)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class Client(Base):
    email = CharField(unique=True)
    name = CharField()
    phone = CharField(null=True)
    state = CharField(max_length=2, null=True)
    created_at = DateTimeField(default=now)


class ConsultationRequest(Base):
    client = ForeignKeyField(Client, on_delete="CASCADE")
    provider = ForeignKeyField(Provider, on_delete="CASCADE", index=False)
    source = CharField(max_length=16, default="directory")
    status = CharField(max_length=16, default="pending")
    state = CharField(max_length=2)
    payer = ForeignKeyField(Payer, null=True, on_delete="RESTRICT")
    member_id = CharField(null=True)
    self_pay = BooleanField(default=False)
    concerns = TextField()
    preferred_format = CharField(max_length=16)
    availability = TextField(default="")
    decline_reason = CharField(max_length=32, null=True)
    decline_note = TextField(null=True)
    submission_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=now)
    answered_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    provider_reminded_at = DateTimeField(null=True)
    others_suggested_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("provider", "created_at"), False),
            (("status", "created_at"), False),
            (("client", "provider", "created_at"), False),
        )


class WaitlistEntry(Base):
    email = CharField()
    state = CharField(max_length=2)
    client = ForeignKeyField(Client, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now)
    notified_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("state", "email"), True),)


class MatchRequest(Base):
    client = ForeignKeyField(Client, on_delete="CASCADE")
    consultation = ForeignKeyField(ConsultationRequest, null=True, on_delete="SET NULL")
    origin = CharField(max_length=16)
    status = CharField(max_length=16, default="open")
    created_at = DateTimeField(default=now)


class AuditEvent(Base):
    at = DateTimeField(default=now, index=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor_label = CharField()
    action = CharField(max_length=64)
    client = ForeignKeyField(Client, null=True, on_delete="SET NULL")
    subject_type = CharField(max_length=32)
    subject_id = IntegerField(null=True)
    ip = CharField(null=True)

    class Meta:
        indexes = ((("client", "at"), False),)


NEW = [OutboundEmail, User, EmailLink, Client, ConsultationRequest, WaitlistEntry, MatchRequest,
       AuditEvent]


def up(migrator, db):
    db.bind(NEW + [Provider, Payer])
    db.create_tables(NEW)


def down(migrator, db):
    db.bind(NEW + [Provider, Payer])
    db.drop_tables(list(reversed(NEW)))
