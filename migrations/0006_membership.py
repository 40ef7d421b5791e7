"""Membership: applications and their licences, onboarding call times, calendar
invitations in the outbox, and each provider's weekly caseload cap."""
import datetime

from peewee import (BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    TextField)


def now():
    return datetime.datetime.utcnow()


class Base(Model):
    class Meta:
        legacy_table_names = False


class User(Base):
    class Meta:
        table_name = "user"


class Provider(Base):
    class Meta:
        table_name = "provider"


class MembershipApplication(Base):
    name = CharField()
    email = CharField()
    phone = CharField(null=True)
    npi = CharField(max_length=10)
    gender = CharField(max_length=16)
    practice_name = CharField(null=True)
    practice_city = CharField(null=True)
    practice_state = CharField(max_length=2)
    about_practice = TextField(default="")
    wants_insurance = BooleanField(default=False)
    status = CharField(max_length=16, default="applied", index=True)
    may_join = BooleanField(default=False)
    may_join_insurance = BooleanField(default=False)
    decision = TextField(default="")
    notes = TextField(default="")
    calendar_sequence = IntegerField(default=0)
    created_at = DateTimeField(default=now)
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    provider = ForeignKeyField(Provider, null=True, on_delete="SET NULL")
    submission_key = CharField(max_length=64, unique=True)


class ApplicationLicense(Base):
    application = ForeignKeyField(MembershipApplication, on_delete="CASCADE")
    state = CharField(max_length=2)
    license_type = CharField(max_length=16)
    number = CharField()
    level = CharField(max_length=16)
    under_supervision = BooleanField(default=False)
    supervisor_name = CharField(null=True)
    supervisor_license = CharField(null=True)


class OnboardingSlot(Base):
    host = ForeignKeyField(User, on_delete="CASCADE")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    application = ForeignKeyField(MembershipApplication, null=True, unique=True,
                                  on_delete="SET NULL")
    booked_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("starts_at",), False), (("host", "starts_at"), True))


NEW = [MembershipApplication, ApplicationLicense, OnboardingSlot]


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("outbound_email", "calendar", TextField(null=True)),
        migrator.add_column("provider", "weekly_caseload_cap", IntegerField(null=True)),
    )
    db.bind(NEW + [User, Provider])
    db.create_tables(NEW)


def down(migrator, db):
    db.bind(NEW + [User, Provider])
    db.drop_tables(list(reversed(NEW)))
    migrator.migrate(
        migrator.drop_column("provider", "weekly_caseload_cap"),
        migrator.drop_column("outbound_email", "calendar"),
    )
