"""Password sign-in pauses for an account after 10 wrong passwords in a row (ASVS 2.2.1)."""
from peewee import DateTimeField


def up(migrator, db):
    migrator.migrate(migrator.add_column("user", "password_paused_until",
                                         DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("user", "password_paused_until"))
