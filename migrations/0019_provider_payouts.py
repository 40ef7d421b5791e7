"""Provider payouts (issue 12, item 5): the group's pay rates, payout statements and their
lines, the local payout gateway's transfers, and where each provider is paid.

New tables: pay_rate, payout_statement (one per provider per period: unique), payout_line
(each item once, ever: a unique source key), local_transfer (one per idempotency key).
New column: provider.payout_account_id (their Stripe Connect account; null until given).
Only adds: independent of 0017 and 0018.

The pay rates seeded here are defaults, for the team to set: from 2026-01-01, for every
licence type, 80% of the group's Optum rate for the code (migration 0009), to the dollar:
90791 $156, 90832 $68, 90834 $100, 90837 $134, 90846 $94, 90847 $97, 90853 $38. The group
keeps the rest for its billing and collection work. A provider is paid the same whichever
program payer the client has, and for telehealth as in person.

Down drops the tables and the column.
"""
import datetime

from peewee import (CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    TextField)


def now():
    return datetime.datetime.utcnow()


class Base(Model):
    class Meta:
        legacy_table_names = False


def _existing(name):
    class Existing(Base):
        class Meta:
            table_name = name
    return Existing


Provider, Visit, Claim = _existing("provider"), _existing("visit"), _existing("claim")
ClaimPayment, Remittance = _existing("claim_payment"), _existing("remittance")
Invoice, Payment = _existing("invoice"), _existing("payment")


class PayRate(Base):
    cpt_code = CharField(max_length=5)
    license_type = CharField(max_length=16, null=True)
    cents = IntegerField()
    starts_on = DateField()

    class Meta:
        indexes = ((("cpt_code", "license_type", "starts_on"), True),)


class PayoutStatement(Base):
    provider = ForeignKeyField(Provider, on_delete="RESTRICT")
    period_start = DateField()
    period_end = DateField()
    status = CharField(max_length=16, default="drafting")
    carried_in_cents = IntegerField(default=0)
    lines_cents = IntegerField(default=0)
    total_cents = IntegerField(default=0)
    carried_out_cents = IntegerField(default=0)
    destination = CharField(max_length=100, default="")
    transfer_reference = CharField(max_length=64, default="")
    gateway = CharField(max_length=16, default="")
    created_at = DateTimeField(default=now)
    made_at = DateTimeField(null=True)
    paid_at = DateTimeField(null=True)
    transfer_problem = TextField(default="")
    transfer_attempts = IntegerField(default=0)
    next_try_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("provider", "period_start"), True), (("status", "id"), False))


class PayoutLine(Base):
    statement = ForeignKeyField(PayoutStatement, on_delete="CASCADE")
    kind = CharField(max_length=16)
    amount_cents = IntegerField()
    source_key = CharField(max_length=64, unique=True)
    description = TextField()
    happened_at = DateTimeField()
    visit = ForeignKeyField(Visit, null=True, on_delete="RESTRICT")
    claim = ForeignKeyField(Claim, null=True, on_delete="RESTRICT")
    claim_payment = ForeignKeyField(ClaimPayment, null=True, on_delete="RESTRICT")
    remittance = ForeignKeyField(Remittance, null=True, on_delete="RESTRICT")
    invoice = ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")
    payment = ForeignKeyField(Payment, null=True, on_delete="RESTRICT")
    pay_rate = ForeignKeyField(PayRate, null=True, on_delete="RESTRICT")


class LocalTransfer(Base):
    idempotency_key = CharField(max_length=100, unique=True)
    destination = CharField(max_length=100)
    amount_cents = IntegerField()
    description = CharField(default="")
    reference = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=now)


NEW = [PayRate, PayoutStatement, PayoutLine, LocalTransfer]
DEFAULT_RATES = {"90791": 15600, "90832": 6800, "90834": 10000, "90837": 13400,
                 "90846": 9400, "90847": 9700, "90853": 3800}
STARTS = datetime.date(2026, 1, 1)


def up(migrator, db):
    db.execute_sql('ALTER TABLE "provider" ADD COLUMN "payout_account_id" VARCHAR(100)')
    db.bind(NEW + [Provider, Visit, Claim, ClaimPayment, Remittance, Invoice, Payment])
    db.create_tables(NEW)
    PayRate.insert_many([(code, None, cents, STARTS) for code, cents in DEFAULT_RATES.items()],
                        fields=[PayRate.cpt_code, PayRate.license_type, PayRate.cents,
                                PayRate.starts_on]).execute()


def down(migrator, db):
    db.bind(NEW + [Provider, Visit, Claim, ClaimPayment, Remittance, Invoice, Payment])
    db.drop_tables(list(reversed(NEW)))
    migrator.migrate(migrator.drop_column("provider", "payout_account_id"))
