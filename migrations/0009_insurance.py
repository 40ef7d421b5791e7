"""The insurance program: enrolment, credentialing cases, program clients, benefit checks,
the group's fee schedule, visits, claims and overdue digests; providers' cancellation fees
and an invoice's overdue date and treating provider."""
import datetime

from peewee import (BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
                    IntegerField, Model, TextField)

CREDENTIALING, SUBMITTED = "credentialing", "submitted"


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


class Client(Base):
    class Meta:
        table_name = "client"


class Payer(Base):
    slug = CharField()

    class Meta:
        table_name = "payer"


class Invoice(Base):
    class Meta:
        table_name = "invoice"


class InsuranceEnrollment(Base):
    provider = ForeignKeyField(Provider, backref="insurance_enrollments", on_delete="CASCADE")
    status = CharField(max_length=16, default=CREDENTIALING)
    # The provider's id while this enrolment is not ended: one open enrolment each.
    open_for = IntegerField(null=True, unique=True)
    caqh_id = CharField(max_length=16)
    caqh_attested_on = DateField()
    malpractice_carrier = CharField()
    malpractice_expires_on = DateField()
    attestation_signed_at = DateTimeField()
    enrolled_at = DateTimeField(default=now)
    notice_given_at = DateTimeField(null=True)
    ends_on = DateField(null=True)  # the last day in the program, 30 days after notice
    ended_at = DateTimeField(null=True)



class CredentialingCase(Base):
    enrollment = ForeignKeyField(InsuranceEnrollment, backref="cases", on_delete="CASCADE")
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    status = CharField(max_length=16, default=SUBMITTED, index=True)
    # Already in network with this payer on their own (kept if they ever leave).
    previously_individual = BooleanField(default=False)
    licence_verified = BooleanField(default=False)
    npi_verified = BooleanField(default=False)
    caqh_verified = BooleanField(default=False)
    malpractice_verified = BooleanField(default=False)
    opened_on = DateField()
    effective_on = DateField(null=True)
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    notes = TextField(default="")

    class Meta:
        indexes = ((("enrollment", "payer"), True),)



class ProgramClient(Base):
    """A provider's client whose sessions are billed to their insurer through the group."""

    provider = ForeignKeyField(Provider, backref="program_clients", on_delete="CASCADE")
    client = ForeignKeyField(Client, backref="program_memberships", on_delete="RESTRICT")
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    member_id = CharField(max_length=40)
    first_name = CharField()
    last_name = CharField()
    date_of_birth = DateField()
    gender = CharField(max_length=1, default="U")  # F, M or U, as a claim carries it
    address = CharField()
    city = CharField()
    state = CharField(max_length=2)
    zip = CharField(max_length=10)
    diagnosis_code = CharField(max_length=8)  # ICD-10, with its dot
    added_via = CharField(max_length=16, default="moved_in")
    added_at = DateTimeField(default=now)
    told_at = DateTimeField(null=True)
    removed_at = DateTimeField(null=True)
    # When a worker last took this client's benefit re-check (one worker at a time).
    check_claimed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("provider", "payer", "member_id"), True),)



class EligibilityCheck(Base):
    """One benefit check's answer. A client's own check (from /benefits) is found again by
    the random key in their browser session; a program client's by the client."""

    program_client = ForeignKeyField(ProgramClient, null=True, backref="checks",
                                     on_delete="CASCADE")
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    browser_key = CharField(max_length=64, null=True, unique=True)
    gateway = CharField(max_length=16)
    checked_at = DateTimeField(default=now)
    outcome = CharField(max_length=16)
    plan_name = CharField(null=True)
    network = CharField(max_length=1, null=True)
    copay_cents = IntegerField(null=True)
    coinsurance_bp = IntegerField(null=True)
    deductible_cents = IntegerField(null=True)
    deductible_remaining_cents = IntegerField(null=True)
    oop_max_cents = IntegerField(null=True)
    oop_remaining_cents = IntegerField(null=True)
    service_type = CharField(max_length=4, null=True)
    carve_out_name = CharField(null=True)
    carve_out_payer_id = CharField(null=True)  # where the claim goes when carved out
    carved_out_from = CharField(null=True)
    coverage_ends_on = DateField(null=True)
    response = TextField(default="")

    class Meta:
        indexes = ((("program_client", "checked_at"), False),)


class FeeSchedule(Base):
    """What the group is paid for a CPT code by a program payer, from a date."""

    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    cpt_code = CharField(max_length=5)
    allowed_cents = IntegerField()
    starts_on = DateField()

    class Meta:
        indexes = ((("payer", "cpt_code", "starts_on"), True),)


class Visit(Base):
    """A session the provider held (or that was cancelled late, or missed)."""

    provider = ForeignKeyField(Provider, backref="visits", on_delete="CASCADE")
    program_client = ForeignKeyField(ProgramClient, backref="visits", on_delete="RESTRICT")
    held_on = DateField()
    cpt_code = CharField(max_length=5)
    telehealth = BooleanField()
    attendance = CharField(max_length=16)
    eligibility_check = ForeignKeyField(EligibilityCheck, null=True, on_delete="SET NULL")
    invoice = ForeignKeyField(Invoice, null=True, on_delete="SET NULL")
    # Why no claim was made (no benefit check in time, coverage ended…), in words.
    billing_note = TextField(default="")
    logged_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("program_client", "held_on", "cpt_code"), True),
                   (("provider", "held_on"), False))



class Claim(Base):
    visit = ForeignKeyField(Visit, unique=True, backref="claims", on_delete="RESTRICT")
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    status = CharField(max_length=16, default="ready")
    charge_cents = IntegerField()
    allowed_cents = IntegerField()
    deductible_cents = IntegerField()
    coinsurance_cents = IntegerField()
    copay_cents = IntegerField()
    patient_share_cents = IntegerField()
    place_of_service = CharField(max_length=2)
    modifiers = CharField(default="")
    x12 = TextField()
    created_at = DateTimeField(default=now)


class OverdueDigest(Base):
    """At most one overdue-invoice digest per provider per day (the unique row is the claim)."""

    provider = ForeignKeyField(Provider, on_delete="CASCADE")
    sent_on = DateField()
    # Which invoices, at which reminder, it reported: a digest only goes when this changes.
    summary = TextField()
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("provider", "sent_on"), True),)



NEW = [InsuranceEnrollment, CredentialingCase, ProgramClient, EligibilityCheck, FeeSchedule,
       Visit, Claim, OverdueDigest]

# The group's rates (cents) from 2026-01-01: one schedule per program payer. Telehealth
# is paid the same as in person, so a rate depends on the code alone.
RATES = {
    "optum": {"90791": 19500, "90832": 8600, "90834": 12500, "90837": 16800, "90846": 11800,
              "90847": 12200, "90853": 4800},
    "aetna": {"90791": 18800, "90832": 8200, "90834": 11900, "90837": 16100, "90846": 11200,
              "90847": 11700, "90853": 4600},
}


def up(migrator, db):
    # Written out, as in 0007: nullable columns need no table rebuild.
    db.execute_sql('ALTER TABLE "provider" ADD COLUMN "late_cancel_fee_cents" INTEGER')
    db.execute_sql('ALTER TABLE "provider" ADD COLUMN "no_show_fee_cents" INTEGER')
    db.execute_sql('ALTER TABLE "invoice" ADD COLUMN "overdue_since" DATE')
    db.execute_sql('ALTER TABLE "invoice" ADD COLUMN "treating_provider_id" INTEGER '
                   'REFERENCES "provider" ("id") ON DELETE RESTRICT')
    db.execute_sql('CREATE INDEX "invoice_treating_provider_id_status" ON "invoice" '
                   '("treating_provider_id", "status")')
    db.bind(NEW + [User, Provider, Client, Payer, Invoice])
    db.create_tables(NEW)
    payers = {p.slug: p.id for p in Payer.select().where(Payer.slug.in_(list(RATES)))}
    starts = datetime.date(2026, 1, 1)
    FeeSchedule.insert_many(
        [(payers[slug], code, cents, starts) for slug, rates in RATES.items()
         if slug in payers for code, cents in rates.items()],
        fields=[FeeSchedule.payer, FeeSchedule.cpt_code, FeeSchedule.allowed_cents,
                FeeSchedule.starts_on]).execute()


def down(migrator, db):
    db.bind(NEW + [User, Provider, Client, Payer, Invoice])
    db.drop_tables(list(reversed(NEW)))
    db.execute_sql('DROP INDEX "invoice_treating_provider_id_status"')
    migrator.migrate(
        migrator.drop_column("invoice", "treating_provider_id"),
        migrator.drop_column("invoice", "overdue_since"),
        migrator.drop_column("provider", "no_show_fee_cents"),
        migrator.drop_column("provider", "late_cancel_fee_cents"),
    )
