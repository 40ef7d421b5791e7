"""Providers' photos (issue 13, item 2) and what a card needs of them and of the group.

New table: provider_photo (one per provider: its images at three sizes, in the database).
New listing columns: photo_digest (the photo's digest, so a result card needs no query of
its own) and group_payer_bits (payers in network through the group, to sort by a client's
cost). Both are filled by the next reindex (`flask directory reindex`, daily); until then
cards show initials and the cost sort puts no one first.

Down drops the table and the columns.
"""
import datetime

from peewee import BlobField, CharField, DateTimeField, ForeignKeyField, Model


def now():
    return datetime.datetime.utcnow()


class Base(Model):
    class Meta:
        legacy_table_names = False


class Provider(Base):
    class Meta:
        table_name = "provider"


class ProviderPhoto(Base):
    provider = ForeignKeyField(Provider, unique=True, on_delete="CASCADE")
    digest = CharField(max_length=32, unique=True)
    small = BlobField()
    medium = BlobField()
    large = BlobField()
    created_at = DateTimeField(default=now)


def up(migrator, db):
    db.execute_sql('ALTER TABLE "listing" ADD COLUMN "photo_digest" VARCHAR(32)')
    db.execute_sql('ALTER TABLE "listing" ADD COLUMN "group_payer_bits" BIGINT NOT NULL '
                   'DEFAULT 0')
    db.bind([Provider, ProviderPhoto])
    db.create_tables([ProviderPhoto])


def down(migrator, db):
    db.bind([Provider, ProviderPhoto])
    db.drop_tables([ProviderPhoto])
    migrator.migrate(migrator.drop_column("listing", "photo_digest"),
                     migrator.drop_column("listing", "group_payer_bits"))
