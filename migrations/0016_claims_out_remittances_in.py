"""Claims out, remittances in (issue 12, items 1 and 2).

A claim now records its sending (batch, idempotency key, the clearinghouse's reference and
control number), its acknowledgement and what the 835s said (the payer's claim control
number, what the insurer paid and what the client owes, in cents), and a state in words.
A visit may have more than one claim (a replacement or a void later): the unique index on
claim.visit_id becomes a plain one; existing claims keep their rows and stay "ready".
New tables: submission batches, stored clearinghouse reports and the polling cursor, claim
events, remittances with their claim payments, service lines, adjustments, provider-level
adjustments, and the queue of claim payments that match no claim.

Down drops the new tables and columns and makes claim.visit_id unique again (which fails
if a visit has two claims by then: merge or remove them first).
"""
import datetime

from peewee import (CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    PostgresqlDatabase, TextField)


def now():
    return datetime.datetime.utcnow()


class Base(Model):
    class Meta:
        legacy_table_names = False


class Claim(Base):
    class Meta:
        table_name = "claim"


class SubmissionBatch(Base):
    gateway = CharField(max_length=16)
    started_at = DateTimeField(default=now)
    finished_at = DateTimeField(null=True)


class ClearinghouseReport(Base):
    transaction_id = CharField(max_length=100, unique=True)
    kind = CharField(max_length=8)
    x12 = TextField()
    received_at = DateTimeField(default=now)
    outcome = CharField(max_length=16, default="")
    problems = TextField(default="")


class ClearinghouseCursor(Base):
    name = CharField(max_length=32, unique=True)
    value = TextField(default="")


class ClaimEvent(Base):
    claim = ForeignKeyField(Claim, on_delete="CASCADE")
    kind = CharField(max_length=16)
    code = CharField(max_length=32, default="")
    words = TextField(default="")
    report = ForeignKeyField(ClearinghouseReport, null=True, on_delete="SET NULL")
    at = DateTimeField(default=now)


class Remittance(Base):
    report = ForeignKeyField(ClearinghouseReport, null=True, on_delete="SET NULL")
    payer_identifier = CharField(max_length=50)
    trace_number = CharField(max_length=50)
    payer_name = CharField(default="")
    paid_cents = IntegerField()
    method = CharField(max_length=3)
    paid_on = DateField(null=True)
    posted_at = DateTimeField(default=now)
    bpr_segment = TextField(default="")

    class Meta:
        indexes = ((("payer_identifier", "trace_number"), True),)


class ClaimPayment(Base):
    remittance = ForeignKeyField(Remittance, on_delete="CASCADE")
    claim = ForeignKeyField(Claim, on_delete="RESTRICT")
    patient_control_number = CharField(max_length=38)
    status_code = CharField(max_length=2)
    charge_cents = IntegerField()
    paid_cents = IntegerField()
    patient_cents = IntegerField()
    payer_claim_number = CharField(max_length=50, default="")
    remarks = CharField(default="")
    segment = TextField()

    class Meta:
        indexes = ((("remittance", "patient_control_number", "payer_claim_number",
                     "status_code"), True),)


class ServiceLinePayment(Base):
    claim_payment = ForeignKeyField(ClaimPayment, on_delete="CASCADE")
    procedure = CharField(max_length=60)
    charge_cents = IntegerField()
    paid_cents = IntegerField()
    units = IntegerField(default=1)
    service_date = DateField(null=True)
    remarks = CharField(default="")
    segment = TextField()


class Adjustment(Base):
    claim_payment = ForeignKeyField(ClaimPayment, on_delete="CASCADE")
    line = ForeignKeyField(ServiceLinePayment, null=True, on_delete="CASCADE")
    group_code = CharField(max_length=2)
    reason_code = CharField(max_length=5)
    amount_cents = IntegerField()
    segment = TextField()


class ProviderAdjustment(Base):
    remittance = ForeignKeyField(Remittance, on_delete="CASCADE")
    provider_identifier = CharField(max_length=50)
    reason_code = CharField(max_length=2)
    reference = CharField(default="")
    amount_cents = IntegerField()
    segment = TextField()


class UnmatchedClaimPayment(Base):
    remittance = ForeignKeyField(Remittance, on_delete="CASCADE")
    patient_control_number = CharField(max_length=38)
    status_code = CharField(max_length=2)
    charge_cents = IntegerField()
    paid_cents = IntegerField()
    patient_cents = IntegerField()
    payer_claim_number = CharField(max_length=50, default="")
    x12 = TextField()
    resolved_at = DateTimeField(null=True)
    resolution = TextField(default="")

    class Meta:
        indexes = ((("remittance", "patient_control_number", "payer_claim_number",
                     "status_code"), True),)


NEW = [ClearinghouseReport, ClearinghouseCursor, ClaimEvent, Remittance, ClaimPayment,
       ServiceLinePayment, Adjustment, ProviderAdjustment, UnmatchedClaimPayment]

# Written out, as in 0009: columns with a default need no table rebuild.
COLUMNS = [
    ("frequency_code", "VARCHAR(1) NOT NULL DEFAULT '1'"),
    ("replaces_id", 'INTEGER REFERENCES "claim" ("id") ON DELETE RESTRICT'),
    ("submission_key", "VARCHAR(64)"),
    ("batch_id", 'INTEGER REFERENCES "submission_batch" ("id") ON DELETE SET NULL'),
    ("sending_since", "{timestamp}"),
    ("submitted_at", "{timestamp}"),
    ("clearinghouse_reference", "VARCHAR(255) NOT NULL DEFAULT ''"),
    ("control_number", "VARCHAR(20) NOT NULL DEFAULT ''"),
    ("acknowledged_at", "{timestamp}"),
    ("status_note", "TEXT NOT NULL DEFAULT ''"),
    ("payer_claim_number", "VARCHAR(50) NOT NULL DEFAULT ''"),
    ("paid_cents", "INTEGER"),
    ("patient_responsibility_cents", "INTEGER"),
    ("remitted_at", "{timestamp}"),
]
INDEXES = [
    ('"claim_submission_key"', 'UNIQUE INDEX', '("submission_key")'),
    ('"claim_batch_id"', 'INDEX', '("batch_id")'),
    ('"claim_replaces_id"', 'INDEX', '("replaces_id")'),
    ('"claim_status_id"', 'INDEX', '("status", "id")'),
]


def _timestamp(db):
    return "TIMESTAMP" if isinstance(db, PostgresqlDatabase) else "DATETIME"


def up(migrator, db):
    db.bind([SubmissionBatch, Claim, *NEW])
    db.create_tables([SubmissionBatch])
    for column, kind in COLUMNS:
        db.execute_sql(f'ALTER TABLE "claim" ADD COLUMN "{column}" '
                       + kind.format(timestamp=_timestamp(db)))
    for name, kind, columns in INDEXES:
        db.execute_sql(f'CREATE {kind} {name} ON "claim" {columns}')
    # A visit may have a replacement or a void claim later.
    db.execute_sql('DROP INDEX "claim_visit_id"')
    db.execute_sql('CREATE INDEX "claim_visit_id" ON "claim" ("visit_id")')
    db.create_tables(NEW)


def down(migrator, db):
    db.bind([SubmissionBatch, Claim, *NEW])
    db.drop_tables(list(reversed(NEW)))
    db.execute_sql('DROP INDEX "claim_visit_id"')
    db.execute_sql('CREATE UNIQUE INDEX "claim_visit_id" ON "claim" ("visit_id")')
    for name, _, _ in INDEXES:
        db.execute_sql(f"DROP INDEX {name}")
    migrator.migrate(*[migrator.drop_column("claim", column) for column, _ in
                       reversed(COLUMNS)])
    db.drop_tables([SubmissionBatch])
