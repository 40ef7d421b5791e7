"""A member approved on the 29th, 30th or 31st is billed from that day, not the 28th.

Until now the billing day was clamped to 28, so such a member's first period began
before their membership and was never invoiced. A membership not invoiced yet takes
the day it started on; one already invoiced keeps its day, so no period is invoiced
twice.
"""
import datetime

from peewee import DateField, IntegerField, Model, TextField


class Base(Model):
    class Meta:
        legacy_table_names = False


class Membership(Base):
    provider_id = IntegerField()
    billing_day = IntegerField()
    started_on = DateField()

    class Meta:
        table_name = "membership"


class Invoice(Base):
    owed_by_provider_id = IntegerField(null=True)
    kind = TextField()

    class Meta:
        table_name = "invoice"


def up(migrator, db):
    with db.bind_ctx([Membership, Invoice]):
        invoiced = Invoice.select(Invoice.owed_by_provider_id).where(
            Invoice.kind == "membership_fee")
        for membership in Membership.select().where(
                (Membership.billing_day == 28) & Membership.provider_id.not_in(invoiced)):
            started = membership.started_on
            if isinstance(started, str):
                started = datetime.date.fromisoformat(started)
            if started.day > 28:
                (Membership.update(billing_day=started.day)
                 .where(Membership.id == membership.id).execute())


def down(migrator, db):
    """Nothing to undo: a day from 29 to 31 is read correctly by every later version."""
