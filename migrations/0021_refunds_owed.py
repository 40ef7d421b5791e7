"""Refunds owed, not made (issue 12, item 3): when a lower share finds the client paid over
in a way this server can't refund (paid to the provider directly, or through a gateway it
doesn't run), the reconciliation says how much (share_reconciliation.refund_owed_cents) and
why (refund_owed_reason), until the billing desk records how it was settled (who, when and
how: refund_settled_by_id, refund_settled_at, refund_settled_note).
Only adds columns and an index to share_reconciliation (0017). Down drops them.
"""
from peewee import DateTimeField, ForeignKeyField, IntegerField, Model, TextField


class Base(Model):
    class Meta:
        legacy_table_names = False


class User(Base):
    class Meta:
        table_name = "user"


COLUMNS = [
    ("refund_owed_cents", IntegerField(default=0)),
    ("refund_owed_reason", TextField(default="")),
    ("refund_settled_by_id", ForeignKeyField(User, null=True, on_delete="SET NULL",
                                             field=User.id)),
    ("refund_settled_at", DateTimeField(null=True)),
    ("refund_settled_note", TextField(default="")),
]
INDEX = ("refund_owed_cents", "id")


def up(migrator, db):
    db.bind([User])
    migrator.migrate(
        *[migrator.add_column("share_reconciliation", name, column) for name, column in COLUMNS],
        migrator.add_index("share_reconciliation", INDEX, False))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("share_reconciliation", "share_reconciliation_refund_owed_cents_id"),
        migrator.drop_index("share_reconciliation", "share_reconciliation_refund_settled_by_id"),
        *[migrator.drop_column("share_reconciliation", name) for name, _ in COLUMNS])
