"""The billing desk: who made each refund and credit note, the key of the form each came
from, and audit events that say what was done in words.

A refund or credit note made by hand names the team member who made it (`made_by`); one
the app makes itself (an overpayment returned) names nobody. Its form's idempotency key
is unique, so a double submit or a retry finds the row instead of making another. An
audit event may carry a line of detail: a refund's amount and reason, as they were.

Nullable columns only: rows made before keep working, and SQLite adds them in place.
"""
from peewee import CharField, ForeignKeyField, Model, TextField
from playhouse.migrate import SqliteMigrator


class Base(Model):
    class Meta:
        legacy_table_names = False


class User(Base):
    class Meta:
        table_name = "user"


ADJUSTMENTS = ("refund", "credit_note")


def up(migrator, db):
    operations = []
    for table in ADJUSTMENTS:
        operations += [
            migrator.add_column(table, "made_by_id", ForeignKeyField(
                User, field=User.id, null=True, on_delete="RESTRICT")),
            migrator.add_column(table, "idempotency_key",
                                CharField(max_length=64, null=True, unique=True)),
        ]
    operations.append(migrator.add_column("audit_event", "detail", TextField(null=True)))
    migrator.migrate(*operations)


def down(migrator, db):
    # SQLite's DROP COLUMN refuses a column with a foreign key: rebuild those tables.
    rebuild = {"legacy": True} if isinstance(migrator, SqliteMigrator) else {}
    operations = [migrator.drop_column("audit_event", "detail")]
    for table in ADJUSTMENTS:
        operations += [migrator.drop_index(table, f"{table}_idempotency_key"),
                       migrator.drop_column(table, "idempotency_key"),
                       migrator.drop_index(table, f"{table}_made_by_id"),
                       migrator.drop_column(table, "made_by_id", **rebuild)]
    migrator.migrate(*operations)
