"""Self-pay clients (issue 15): good-faith estimates (45 CFR 149.610) and superbills.

New tables: practice_details (a provider's Tax ID, office address and phone), self_pay_client
(the provider's record of a client who pays them, and the estimate owed), good_faith_estimate
and superbill (documents as issued, kept unchanged), self_pay_session and self_pay_payment.
Down drops them.
"""
import datetime

from peewee import (BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
                    IntegerField, Model, TextField)


def utcnow():
    return datetime.datetime.utcnow()


class Base(Model):
    class Meta:
        legacy_table_names = False


class Provider(Base):
    class Meta:
        table_name = "provider"


class Client(Base):
    class Meta:
        table_name = "client"


class User(Base):
    class Meta:
        table_name = "user"


class PracticeDetails(Base):
    provider = ForeignKeyField(Provider, unique=True, on_delete="CASCADE")
    tax_id = CharField(max_length=10)  # an EIN, XX-XXXXXXX
    street = CharField(max_length=120)
    city = CharField(max_length=60)
    state = CharField(max_length=2)
    zip = CharField(max_length=10)
    phone = CharField(max_length=30)
    updated_at = DateTimeField(default=utcnow)


class SelfPayClient(Base):
    provider = ForeignKeyField(Provider, backref="self_pay_clients", on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    consultation_id = IntegerField(null=True)  # the accepted request it came from, if any
    name = CharField(max_length=120)
    date_of_birth = DateField(null=True)
    street = CharField(max_length=120, default="")
    city = CharField(max_length=60, default="")
    state = CharField(max_length=2, default="")
    zip = CharField(max_length=10, default="")
    diagnosis_codes = CharField(max_length=64, default="")  # ICD-10-CM, comma-separated
    agreed_rate_cents = IntegerField(null=True)  # a sliding-scale rate agreed; else the listing's
    first_session_on = DateField(null=True)
    # The estimate owed: why, since when, by when; reminded once.
    gfe_wanted = BooleanField(default=False)
    gfe_reason = CharField(max_length=16, default="")
    gfe_arose_on = DateField(null=True)
    gfe_due_on = DateField(null=True)
    gfe_remind_on = DateField(null=True)
    gfe_reminded_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("provider", "client"), True), (("gfe_remind_on",), False))


class GoodFaithEstimate(Base):
    number = CharField(max_length=24, unique=True)
    provider = ForeignKeyField(Provider, on_delete="RESTRICT")
    self_pay_client = ForeignKeyField(SelfPayClient, backref="estimates", on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    supersedes = ForeignKeyField("self", null=True, unique=True, on_delete="RESTRICT")
    period_start = DateField()
    period_end = DateField()
    total_cents = IntegerField()
    snapshot = TextField()
    due_on = DateField(null=True)  # the deadline it answered, if the rule set one
    issued_at = DateTimeField(default=utcnow)
    issued_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    keep_until = DateField()
    submission_key = CharField(max_length=64, unique=True)


class SelfPaySession(Base):
    provider = ForeignKeyField(Provider, on_delete="RESTRICT")
    self_pay_client = ForeignKeyField(SelfPayClient, backref="sessions", on_delete="RESTRICT")
    held_on = DateField()
    cpt_code = CharField(max_length=5)
    place_of_service = CharField(max_length=2)
    diagnosis_codes = CharField(max_length=64)
    fee_cents = IntegerField()
    # Logged although it took the sessions $400 or more above the estimate: the provider
    # saw the warning and went on.
    over_estimate_confirmed = BooleanField(default=False)
    logged_at = DateTimeField(default=utcnow)
    logged_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    submission_key = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("self_pay_client", "held_on"), False),)


class SelfPayPayment(Base):
    session = ForeignKeyField(SelfPaySession, backref="payments", on_delete="RESTRICT")
    amount_cents = IntegerField()
    received_on = DateField()
    method = CharField(max_length=16)
    recorded_at = DateTimeField(default=utcnow)
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    submission_key = CharField(max_length=64, unique=True)


class Superbill(Base):
    number = CharField(max_length=24, unique=True)
    provider = ForeignKeyField(Provider, on_delete="RESTRICT")
    self_pay_client = ForeignKeyField(SelfPayClient, backref="superbills", on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    starts_on = DateField()
    ends_on = DateField()
    total_cents = IntegerField()
    paid_cents = IntegerField()
    snapshot = TextField()
    issued_at = DateTimeField(default=utcnow)
    issued_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    submission_key = CharField(max_length=64, unique=True)


TABLES = [PracticeDetails, SelfPayClient, GoodFaithEstimate, SelfPaySession, SelfPayPayment,
          Superbill]


def up(migrator, db):
    db.bind([Provider, Client, User, *TABLES])
    db.create_tables(TABLES)


def down(migrator, db):
    db.bind([Provider, Client, User, *TABLES])
    db.drop_tables(list(reversed(TABLES)))
