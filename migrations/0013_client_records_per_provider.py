"""A client's identity belongs to the provider who knows them.

Until now every party shared one client row per email, named by whoever typed the
address first: a provider moving in someone else's client saw that client's real name,
and the client's reminders greeted them by another provider's words.

Up: a client row gets `known_by` (the provider whose record it is; empty for a client
who came to Alma themselves); an email is unique per provider, and once among
self-registered clients. Each shared row is split: every provider with program clients
on it gets a record of their own, named as they recorded the client (their latest
program client's name), and their program clients, the invoices of their sessions and
their audit events move to it. Consultation, matching and waitlist rows keep the
self-registered row; a row nobody registered themselves becomes its first provider's.
Consultation and match requests also keep the name and phone typed with them.

Down: each email's rows become one again (the self-registered one, else the oldest),
with everything that pointed at the others.
"""
from peewee import (CharField, DateTimeField, IntegerField, Model, PostgresqlDatabase)


class Base(Model):
    class Meta:
        legacy_table_names = False


class User(Base):
    provider_id = IntegerField(null=True)

    class Meta:
        table_name = "user"


class Client(Base):
    email = CharField()
    name = CharField()
    phone = CharField(null=True)
    state = CharField(null=True)
    known_by_id = IntegerField(null=True)
    created_at = DateTimeField()

    class Meta:
        table_name = "client"


class ProgramClient(Base):
    provider_id = IntegerField()
    client_id = IntegerField()
    first_name = CharField()
    last_name = CharField()
    state = CharField()
    added_at = DateTimeField()

    class Meta:
        table_name = "program_client"


class Visit(Base):
    program_client_id = IntegerField()
    invoice_id = IntegerField(null=True)

    class Meta:
        table_name = "visit"


class EligibilityCheck(Base):
    program_client_id = IntegerField(null=True)

    class Meta:
        table_name = "eligibility_check"


class Invoice(Base):
    owed_by_client_id = IntegerField(null=True)
    treating_provider_id = IntegerField(null=True)
    collecting_provider_id = IntegerField(null=True)

    class Meta:
        table_name = "invoice"


class AuditEvent(Base):
    client_id = IntegerField(null=True)
    actor_id = IntegerField(null=True)
    subject_type = CharField()
    subject_id = IntegerField(null=True)

    class Meta:
        table_name = "audit_event"


class ConsultationRequest(Base):
    client_id = IntegerField()

    class Meta:
        table_name = "consultation_request"


class MatchRequest(Base):
    client_id = IntegerField()

    class Meta:
        table_name = "match_request"


class WaitlistEntry(Base):
    client_id = IntegerField(null=True)

    class Meta:
        table_name = "waitlist_entry"


MODELS = [User, Client, ProgramClient, Visit, EligibilityCheck, Invoice, AuditEvent,
          ConsultationRequest, MatchRequest, WaitlistEntry]
# Where the client comes to Alma themselves: these rows keep the self-registered record.
SELF_REGISTERED_USES = [ConsultationRequest, MatchRequest, WaitlistEntry]
# Every column that points at a client (down() moves them all to the surviving row).
POINTERS = [(ConsultationRequest, ConsultationRequest.client_id),
            (MatchRequest, MatchRequest.client_id), (WaitlistEntry, WaitlistEntry.client_id),
            (ProgramClient, ProgramClient.client_id), (Invoice, Invoice.owed_by_client_id),
            (AuditEvent, AuditEvent.client_id)]
TYPED = ("consultation_request", "match_request")


def up(migrator, db):
    # Written out: nullable columns and NOT NULL ones with a default need no table
    # rebuild (a rebuild on SQLite would cascade to the rows that point at the table).
    db.execute_sql('ALTER TABLE "client" ADD COLUMN "known_by_id" INTEGER '
                   'REFERENCES "provider" ("id") ON DELETE RESTRICT')
    db.execute_sql('CREATE INDEX "client_known_by_id" ON "client" ("known_by_id")')
    db.execute_sql('DROP INDEX "client_email"')
    db.execute_sql('CREATE UNIQUE INDEX "client_email_known_by_id" ON "client" '
                   '("email", "known_by_id")')
    db.execute_sql('CREATE UNIQUE INDEX "client_email_self_registered" ON "client" ("email") '
                   'WHERE "known_by_id" IS NULL')
    for table in TYPED:
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "name" VARCHAR(255) NOT NULL '
                       "DEFAULT ''")
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "phone" VARCHAR(255)')
        typed = f'FROM "client" WHERE "client"."id" = "{table}"."client_id"'
        db.execute_sql(f'UPDATE "{table}" SET "name" = (SELECT "name" {typed}), '
                       f'"phone" = (SELECT "phone" {typed})')
        if isinstance(db, PostgresqlDatabase):  # SQLite can't drop a default in place
            db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "name" DROP DEFAULT')
    with db.bind_ctx(MODELS):
        split_shared_clients()


def split_shared_clients():
    """Give every provider with program clients on a shared row a record of their own."""
    ids = ProgramClient.select(ProgramClient.client_id).distinct()
    for client in list(Client.select().where(Client.id.in_(ids)).order_by(Client.id)):
        self_registered = any(model.select().where(model.client_id == client.id).exists()
                              for model in SELF_REGISTERED_USES)
        latest = {}  # provider id: their latest program client on this row
        first_added = {}
        for pc in ProgramClient.select().where(ProgramClient.client_id == client.id).order_by(
                ProgramClient.id):
            latest[pc.provider_id] = pc
            first_added.setdefault(pc.provider_id, pc.added_at)
        for n, (provider_id, pc) in enumerate(latest.items()):
            name = f"{pc.first_name} {pc.last_name}"
            if n == 0 and not self_registered:  # nobody else's: it becomes theirs
                (Client.update(known_by_id=provider_id, name=name, state=pc.state)
                 .where(Client.id == client.id).execute())
                continue
            record = Client.create(email=client.email, name=name, state=pc.state,
                                   known_by_id=provider_id,
                                   created_at=first_added[provider_id])
            _move(client.id, record.id, provider_id)


def _move(old, new, provider_id):
    """Point a provider's program clients, their sessions' invoices and their own audit
    events about them from the shared row to the provider's record."""
    theirs = [pc.id for pc in ProgramClient.select(ProgramClient.id).where(
        (ProgramClient.client_id == old) & (ProgramClient.provider_id == provider_id))]
    ProgramClient.update(client_id=new).where(ProgramClient.id.in_(theirs)).execute()
    visits = Visit.select(Visit.id).where(Visit.program_client_id.in_(theirs))
    billed = Visit.select(Visit.invoice_id).where(Visit.program_client_id.in_(theirs)
                                                  & Visit.invoice_id.is_null(False))
    (Invoice.update(owed_by_client_id=new)
     .where((Invoice.owed_by_client_id == old)
            & (Invoice.id.in_(billed) | (Invoice.treating_provider_id == provider_id)
               | (Invoice.treating_provider_id.is_null()
                  & (Invoice.collecting_provider_id == provider_id)))).execute())
    checks = EligibilityCheck.select(EligibilityCheck.id).where(
        EligibilityCheck.program_client_id.in_(theirs))
    invoices = Invoice.select(Invoice.id).where(Invoice.owed_by_client_id == new)
    users = User.select(User.id).where(User.provider_id == provider_id)

    def about(kind, ids):
        return (AuditEvent.subject_type == kind) & AuditEvent.subject_id.in_(ids)
    (AuditEvent.update(client_id=new)
     .where((AuditEvent.client_id == old)
            & (about("program_client", theirs) | about("visit", visits)
               | about("eligibility_check", checks) | about("invoice", invoices)
               | ((AuditEvent.subject_type == "client_invoices")
                  & AuditEvent.actor_id.in_(users)))).execute())


def merge_records():
    """One row per email again: the self-registered one (else the oldest) takes the rest."""
    emails = [c.email for c in Client.select(Client.email).distinct().where(
        Client.known_by_id.is_null(False)).order_by(Client.email)]
    for email in emails:
        rows = list(Client.select().where(Client.email == email).order_by(Client.id))
        keep = next((row for row in rows if row.known_by_id is None), rows[0])
        others = [row.id for row in rows if row.id != keep.id]
        for model, column in POINTERS:
            model.update({column: keep.id}).where(column.in_(others)).execute()
        Client.delete().where(Client.id.in_(others)).execute()


def down(migrator, db):
    with db.bind_ctx(MODELS):
        merge_records()
    db.execute_sql('DROP INDEX "client_email_self_registered"')
    db.execute_sql('DROP INDEX "client_email_known_by_id"')
    db.execute_sql('DROP INDEX "client_known_by_id"')
    migrator.migrate(
        migrator.drop_column("client", "known_by_id"),
        *[migrator.drop_column(table, column) for table in TYPED for column in ("phone", "name")],
    )
    db.execute_sql('CREATE UNIQUE INDEX "client_email" ON "client" ("email")')
