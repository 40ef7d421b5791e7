"""The denials and rejections queue (issue 12, item 4): what the billing team did with a
claim (claim_action: corrected and sent again, replaced, voided or written off, once per
claim, with its reason, who, and for a write-off the amount and what it was worked out
from) and each payer's timely filing limit when it isn't the default 90 days
(payer_filing_limit). Only new tables: independent of migrations 0017 and 0019.

Down drops both tables.
"""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def now():
    return datetime.datetime.utcnow()


class Base(Model):
    class Meta:
        legacy_table_names = False


class User(Base):
    class Meta:
        table_name = "user"


class Payer(Base):
    class Meta:
        table_name = "payer"


class Claim(Base):
    class Meta:
        table_name = "claim"


class PayerFilingLimit(Base):
    payer = ForeignKeyField(Payer, unique=True, on_delete="CASCADE")
    days = IntegerField()


class ClaimAction(Base):
    claim = ForeignKeyField(Claim, unique=True, on_delete="RESTRICT")
    kind = CharField(max_length=16)
    form_key = CharField(max_length=64, unique=True)
    reason = TextField()
    made_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    made_at = DateTimeField(default=now)
    new_claim = ForeignKeyField(Claim, null=True, unique=True, on_delete="RESTRICT")
    written_off_cents = IntegerField(null=True)
    charge_cents = IntegerField(null=True)
    insurer_paid_cents = IntegerField(null=True)
    client_share_cents = IntegerField(null=True)
    corrections = TextField(default="")


NEW = [PayerFilingLimit, ClaimAction]


def up(migrator, db):
    db.bind([User, Payer, Claim, *NEW])
    db.create_tables(NEW)


def down(migrator, db):
    db.bind([User, Payer, Claim, *NEW])
    db.drop_tables(list(reversed(NEW)))
