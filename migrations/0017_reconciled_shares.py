"""The client's share, reconciled (issue 12, item 3).

New tables only: what each claim payment did to the client's bill (unique per claim
payment: nothing is credited, refunded or reviewed twice), the credit notes and refunds it
made, and benefits' record of each reconciled estimate against the final share (the
measured accuracy shown beside estimates). Down drops them.
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


User, Payer, Invoice, CreditNote, Refund, Claim, ClaimPayment = map(_existing, (
    "user", "payer", "invoice", "credit_note", "refund", "claim", "claim_payment"))


class ShareReconciliation(Base):
    claim_payment = ForeignKeyField(ClaimPayment, unique=True, on_delete="RESTRICT")
    claim = ForeignKeyField(Claim, on_delete="RESTRICT")
    outcome = CharField(max_length=16)
    billed_cents = IntegerField()
    owed_cents = IntegerField()
    difference_cents = IntegerField(default=0)
    credited_cents = IntegerField(default=0)
    refunded_cents = IntegerField(default=0)
    created_at = DateTimeField(default=now)
    review_status = CharField(max_length=16, default="")
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(null=True)
    reason = TextField(default="")
    additional_invoice = ForeignKeyField(Invoice, null=True, unique=True, on_delete="RESTRICT")

    class Meta:
        indexes = ((("review_status", "id"), False),)


class ReconciledMoney(Base):
    reconciliation = ForeignKeyField(ShareReconciliation, on_delete="CASCADE")
    credit_note = ForeignKeyField(CreditNote, null=True, unique=True, on_delete="RESTRICT")
    refund = ForeignKeyField(Refund, null=True, unique=True, on_delete="RESTRICT")


class EstimateOutcome(Base):
    claim_id = IntegerField(unique=True)
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    estimated_cents = IntegerField()
    final_cents = IntegerField()
    reconciled_on = DateField(index=True)
    updated_at = DateTimeField(default=now)


NEW = [ShareReconciliation, ReconciledMoney, EstimateOutcome]


def up(migrator, db):
    db.bind(NEW)
    db.create_tables(NEW)


def down(migrator, db):
    db.bind(NEW)
    db.drop_tables(list(reversed(NEW)))
