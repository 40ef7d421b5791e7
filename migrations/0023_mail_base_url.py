"""Emails' links follow BASE_URL to the moment they are sent: outbound_email.base_url is the
BASE_URL a message's links were written with (null for the messages before this migration,
sent as written). Only adds a column. Down drops it.
"""


def up(migrator, db):
    db.execute_sql('ALTER TABLE "outbound_email" ADD COLUMN "base_url" VARCHAR(255)')


def down(migrator, db):
    migrator.migrate(migrator.drop_column("outbound_email", "base_url"))
