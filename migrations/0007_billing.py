"""Billing (invoices, lines, payments, refunds, credit notes, gateway events), memberships
with their pauses, clients from outside the network, and a provider's billing hold."""
import datetime

from peewee import (CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    PostgresqlDatabase, TextField)


def now():
    return datetime.datetime.utcnow()


class Base(Model):
    class Meta:
        legacy_table_names = False


class Provider(Base):
    class Meta:
        table_name = "provider"


class Client(Base):
    class Meta:
        table_name = "client"


class Invoice(Base):
    number = CharField(unique=True)
    kind = CharField(max_length=24)
    owed_by_provider = ForeignKeyField(Provider, null=True, on_delete="RESTRICT")
    owed_by_client = ForeignKeyField(Client, null=True, on_delete="RESTRICT")
    collected_by = CharField(max_length=16, default="group")
    collecting_provider = ForeignKeyField(Provider, null=True, on_delete="RESTRICT")
    total_cents = IntegerField()
    status = CharField(max_length=8, default="open")
    issued_on = DateField()
    due_on = DateField()
    period_start = DateField(null=True)
    period_end = DateField(null=True)
    memo = TextField(default="")
    created_at = DateTimeField(default=now)
    paid_at = DateTimeField(null=True)
    reminded_count = IntegerField(default=0)
    last_reminded_on = DateField(null=True)

    class Meta:
        indexes = (
            (("owed_by_provider", "kind", "period_start"), True),
            (("status", "due_on"), False),
        )


class InvoiceLine(Base):
    invoice = ForeignKeyField(Invoice, on_delete="CASCADE")
    description = CharField()
    quantity = IntegerField(default=1)
    unit_cents = IntegerField()


class Payment(Base):
    invoice = ForeignKeyField(Invoice, on_delete="RESTRICT")
    amount_cents = IntegerField()
    gateway = CharField(max_length=16)
    reference = CharField(unique=True)
    created_at = DateTimeField(default=now)


class Refund(Base):
    payment = ForeignKeyField(Payment, on_delete="RESTRICT")
    amount_cents = IntegerField()
    reason = CharField(default="")
    reference = CharField(null=True)
    created_at = DateTimeField(default=now)


class CreditNote(Base):
    invoice = ForeignKeyField(Invoice, on_delete="RESTRICT")
    amount_cents = IntegerField()
    reason = CharField()
    created_at = DateTimeField(default=now)


class GatewayEvent(Base):
    event_id = CharField(unique=True)
    gateway = CharField(max_length=16)
    kind = CharField()
    received_at = DateTimeField(default=now)


class Membership(Base):
    provider = ForeignKeyField(Provider, unique=True, on_delete="CASCADE")
    fee_cents = IntegerField()
    billing_day = IntegerField()
    started_on = DateField()
    ends_on = DateField(null=True)
    left_on = DateField(null=True)
    created_at = DateTimeField(default=now)


class MembershipPause(Base):
    membership = ForeignKeyField(Membership, on_delete="CASCADE")
    starts_on = DateField()
    ends_on = DateField()
    requested_at = DateTimeField(default=now)


class OutsideClient(Base):
    provider = ForeignKeyField(Provider, on_delete="CASCADE")
    name = CharField()
    email = CharField(null=True)
    phone = CharField(null=True)
    notes = TextField(default="")
    created_at = DateTimeField(default=now)


NEW = [Invoice, InvoiceLine, Payment, Refund, CreditNote, GatewayEvent, Membership,
       MembershipPause, OutsideClient]


def up(migrator, db):
    # Written out: peewee's migrator adds a NOT NULL column by rebuilding the table on
    # SQLite, which would drop the full-text triggers on provider.
    kind = "BOOLEAN" if isinstance(db, PostgresqlDatabase) else "INTEGER"
    false = "FALSE" if isinstance(db, PostgresqlDatabase) else "0"
    db.execute_sql(f'ALTER TABLE "provider" ADD COLUMN "billing_hold" {kind} NOT NULL '
                   f"DEFAULT {false}")
    db.bind(NEW + [Provider, Client])
    db.create_tables(NEW)


def down(migrator, db):
    db.bind(NEW + [Provider, Client])
    db.drop_tables(list(reversed(NEW)))
    migrator.migrate(migrator.drop_column("provider", "billing_hold"))
