"""Honest listings: how fast each provider answers, and when we last asked if they have room."""
from peewee import DateField, IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("provider", "median_answer_hours", IntegerField(null=True)),
        migrator.add_column("provider", "accepting_check_sent_on", DateField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("provider", "median_answer_hours"),
        migrator.drop_column("provider", "accepting_check_sent_on"),
    )
