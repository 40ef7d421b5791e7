"""The Client Matching team: team roles, what a match needs, proposals and opportunities."""
import datetime

from peewee import (BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    TextField)


def now():
    return datetime.datetime.utcnow()


class Base(Model):
    class Meta:
        legacy_table_names = False


def existing(name):
    class Existing(Base):
        class Meta:
            table_name = name
    return Existing


User, Client, ConsultationRequest, Payer, Provider, Specialty, Language, Modality = (
    existing(name) for name in ("user", "client", "consultation_request", "payer", "provider",
                                "specialty", "language", "modality"))


class MatchRequest(Base):
    client = ForeignKeyField(Client, on_delete="CASCADE")

    class Meta:
        table_name = "match_request"


class MatchProposal(Base):
    match = ForeignKeyField(MatchRequest, on_delete="CASCADE")
    provider = ForeignKeyField(Provider, on_delete="CASCADE")
    consultation = ForeignKeyField(ConsultationRequest, unique=True, on_delete="CASCADE")
    proposed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    why = TextField(default="")
    created_at = DateTimeField(default=now)


class MatchOpportunity(Base):
    match = ForeignKeyField(MatchRequest, on_delete="CASCADE")
    provider = ForeignKeyField(Provider, on_delete="CASCADE")
    sent_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    sent_at = DateTimeField(default=now)
    answered_at = DateTimeField(null=True)
    answer = CharField(max_length=16, null=True)


NEW = [MatchProposal, MatchOpportunity]
COLUMNS = [
    ("state", CharField(max_length=2, null=True)),
    ("payer_id", ForeignKeyField(Payer, null=True, on_delete="RESTRICT", field=Payer.id)),
    ("plan", CharField(null=True)),
    ("self_pay", BooleanField(default=False)),
    ("budget_cents", IntegerField(null=True)),
    ("concerns", TextField(default="")),
    ("specialty_id", ForeignKeyField(Specialty, null=True, on_delete="SET NULL",
                                     field=Specialty.id)),
    ("gender", CharField(max_length=16, null=True)),
    ("language_id", ForeignKeyField(Language, null=True, on_delete="SET NULL",
                                    field=Language.id)),
    ("preferred_format", CharField(max_length=16, null=True)),
    ("modality_id", ForeignKeyField(Modality, null=True, on_delete="SET NULL",
                                    field=Modality.id)),
    ("availability", TextField(default="")),
    ("zip_code", CharField(max_length=5, null=True)),
    ("assignee_id", ForeignKeyField(User, null=True, on_delete="SET NULL", field=User.id)),
    ("notes", TextField(default="")),
    ("due_at", DateTimeField(default=now)),
    ("returned_at", DateTimeField(null=True)),
    ("return_reason", CharField(null=True)),
    ("closed_at", DateTimeField(null=True)),
    ("submission_key", CharField(max_length=64, null=True)),
]


def up(migrator, db):
    operations = [migrator.add_column("user", "roles", CharField(default=""))]
    operations += [migrator.add_column("match_request", name, column) for name, column in COLUMNS]
    operations += [
        migrator.add_index("match_request", ("submission_key",), True),
        migrator.add_index("match_request", ("status", "due_at"), False),
    ]
    migrator.migrate(*operations)
    db.bind(NEW + [MatchRequest, User, Client, ConsultationRequest, Payer, Provider])
    db.create_tables(NEW)


def down(migrator, db):
    db.bind(NEW + [MatchRequest, User, Client, ConsultationRequest, Payer, Provider])
    db.drop_tables(list(reversed(NEW)))
    operations = [migrator.drop_index("match_request", "match_request_status_due_at"),
                  migrator.drop_index("match_request", "match_request_submission_key")]
    # A foreign-key column was added with an index of its own.
    operations += [migrator.drop_index("match_request", f"match_request_{name}")
                   for name, column in COLUMNS if isinstance(column, ForeignKeyField)]
    operations += [migrator.drop_column("match_request", name) for name, _ in reversed(COLUMNS)]
    operations.append(migrator.drop_column("user", "roles"))
    migrator.migrate(*operations)
