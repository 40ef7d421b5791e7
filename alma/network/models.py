"""The network's records that every feature refers to: providers, their licences,
networks and vocabulary, clients as each party knows them, and program clients'
insurance."""
from peewee import (BooleanField, CharField, CompositeKey, DateField, DateTimeField, FloatField,
                    ForeignKeyField, IntegerField, TextField)

from alma.clock import utcnow
from alma.db import BaseModel

LICENSE_TYPES = {
    "LCSW": "Licensed Clinical Social Worker",
    "LICSW": "Licensed Independent Clinical Social Worker",
    "LMFT": "Licensed Marriage and Family Therapist",
    "LPC": "Licensed Professional Counselor",
    "LPCC": "Licensed Professional Clinical Counselor",
    "LMHC": "Licensed Mental Health Counselor",
    "PsyD": "Doctor of Psychology (licensed psychologist)",
    "PhD": "Licensed psychologist (PhD)",
    "LLP": "Limited Licensed Psychologist",
    "PMHNP": "Psychiatric-Mental Health Nurse Practitioner",
    "MD": "Psychiatrist (MD)",
    # Pre-licensed titles: such providers are never listed.
    "LMSW": "Licensed Master Social Worker (pre-licensed)",
    "AMFT": "Associate Marriage and Family Therapist (pre-licensed)",
    "LPC-Associate": "Licensed Professional Counselor Associate (pre-licensed)",
}

LICENSE_LEVELS = {
    "full": "Fully licensed",
    "limited": "Limited licence",
    "pre_licensed": "Pre-licensed",
}

GENDERS = {"woman": "Woman", "man": "Man", "nonbinary": "Non-binary"}

# Each age group maps to a boolean column on Provider and Listing.
AGE_GROUPS = {
    "children": ("serves_children", "Children (0-12)"),
    "teens": ("serves_teens", "Teens (13-17)"),
    "adults": ("serves_adults", "Adults (18-64)"),
    "older_adults": ("serves_older_adults", "Older adults (65+)"),
}

FORMATS = {"telehealth": "Telehealth", "in_person": "In person"}

MEMBERSHIP_STATUSES = ("active", "paused", "left")


class Payer(BaseModel):
    name = CharField(unique=True)
    slug = CharField(unique=True)
    # Benefits for this payer can be checked for the client through Optum.
    checkable_via_optum = BooleanField(default=False)
    clearinghouse_payer_id = CharField(null=True)


class Specialty(BaseModel):
    name = CharField(unique=True)
    slug = CharField(unique=True)


class Modality(BaseModel):
    name = CharField(unique=True)
    slug = CharField(unique=True)


class Language(BaseModel):
    name = CharField(unique=True)
    slug = CharField(unique=True)


class ServiceState(BaseModel):
    """A US state (or DC), and whether the network operates there."""

    code = CharField(max_length=2, primary_key=True)
    name = CharField()
    operating = BooleanField(default=False)
    launched_on = DateField(null=True)


class Provider(BaseModel):
    slug = CharField(unique=True)
    first_name = CharField()
    last_name = CharField()
    email = CharField(unique=True)
    phone = CharField(null=True)
    npi = CharField(max_length=10, unique=True)
    gender = CharField(max_length=16)
    pronouns = CharField(null=True)
    photo_url = CharField(null=True)
    bio = TextField(default="")
    approach = TextField(default="")
    office_zip = CharField(max_length=5, null=True)
    office_city = CharField(null=True)
    office_state = CharField(max_length=2, null=True)
    latitude = FloatField(null=True)
    longitude = FloatField(null=True)
    offers_telehealth = BooleanField(default=True)
    offers_in_person = BooleanField(default=False)
    serves_children = BooleanField(default=False)
    serves_teens = BooleanField(default=False)
    serves_adults = BooleanField(default=True)
    serves_older_adults = BooleanField(default=False)
    cash_rate_cents = IntegerField(null=True)
    sliding_scale = BooleanField(default=False)
    sliding_scale_min_cents = IntegerField(null=True)
    cancellation_policy = TextField(default="")
    # Fees under that policy (None: no fee). Never billed to an insurer.
    late_cancel_fee_cents = IntegerField(null=True)
    no_show_fee_cents = IntegerField(null=True)
    contact_by_email = BooleanField(default=True)
    contact_by_text = BooleanField(default=False)
    accepting_new_clients = BooleanField(default=False)
    accepting_confirmed_on = DateField(null=True)
    weekly_caseload_cap = IntegerField(null=True)  # clients a week the provider wants, at most
    membership_status = CharField(max_length=16, default="active")
    listing_hidden = BooleanField(default=False)
    # Hidden (never deleted) while a membership fee is unpaid past its grace period.
    billing_hold = BooleanField(default=False)
    # Median hours to answer a consultation request, last 90 days (None: too few).
    median_answer_hours = IntegerField(null=True)
    # When we last asked them to confirm they are accepting (once per 30 days).
    accepting_check_sent_on = DateField(null=True)
    # Where the group pays them: their Stripe Connect account (acct_…); None until they
    # give their bank details (payout statements wait for it).
    payout_account_id = CharField(max_length=100, null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def initials(self):
        return (self.first_name[:1] + self.last_name[:1]).upper()

    @property
    def answers_within(self):
        """ "a day", "2 days"… from the median answer time, or None."""
        hours = self.median_answer_hours
        if hours is None:
            return None
        days = max(1, -(-hours // 24))
        return "a day" if days == 1 else f"{days} days"

    @property
    def formats(self):
        """In words, for a sentence: ["telehealth", "in person"]."""
        return [label.lower() for key, label in FORMATS.items()
                if getattr(self, f"offers_{key}")]

    @property
    def age_groups(self):
        return [label for column, label in AGE_GROUPS.values() if getattr(self, column)]


class License(BaseModel):
    provider = ForeignKeyField(Provider, backref="licenses", on_delete="CASCADE", index=False)
    state = CharField(max_length=2)
    license_type = CharField(max_length=16)
    number = CharField()
    level = CharField(max_length=16)
    under_supervision = BooleanField(default=False)
    supervisor_name = CharField(null=True)
    supervisor_license = CharField(null=True)
    expires_on = DateField()

    class Meta:
        indexes = ((("provider", "state"), False),)

    def is_current(self, today):
        return self.level != "pre_licensed" and self.expires_on >= today


class ProviderSpecialty(BaseModel):
    provider = ForeignKeyField(Provider, backref="specialty_links", on_delete="CASCADE",
                                index=False)
    specialty = ForeignKeyField(Specialty, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("provider", "specialty")
        indexes = ((("specialty", "provider"), False),)


class ProviderModality(BaseModel):
    provider = ForeignKeyField(Provider, backref="modality_links", on_delete="CASCADE",
                                index=False)
    modality = ForeignKeyField(Modality, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("provider", "modality")
        indexes = ((("modality", "provider"), False),)


class ProviderLanguage(BaseModel):
    provider = ForeignKeyField(Provider, backref="language_links", on_delete="CASCADE",
                                index=False)
    language = ForeignKeyField(Language, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("provider", "language")
        indexes = ((("language", "provider"), False),)


class NetworkParticipation(BaseModel):
    """A provider in network with a payer, through the group's Tax ID or individually."""

    provider = ForeignKeyField(Provider, backref="participations", on_delete="CASCADE",
                                index=False)
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    via = CharField(max_length=16)  # "group" or "individual"
    starts_on = DateField()
    ends_on = DateField(null=True)

    class Meta:
        indexes = (
            (("provider", "payer", "starts_on", "ends_on"), False),
            (("payer",), False),
        )

    def is_active(self, today):
        return self.starts_on <= today and (self.ends_on is None or self.ends_on >= today)


def first_name_of(name):
    return name.split()[0] if name.split() else name


class Client(BaseModel):
    """A person, as one party knows them.

    An email address proves nothing about who typed it, so a name is never shared
    between parties. A client who came to Alma themselves (the directory, matching, a
    waitlist) has one record per email, `known_by` empty: what they typed first. A
    provider who records a client (the insurance program) has their own record for
    that email, `known_by` them: what the provider typed. Another provider typing the
    same email gets a record of their own, so learns nothing and changes nothing, and
    invoices, reminders and audit events about a provider's client point at that
    provider's record.

    Rows rather than a name column on each program client: invoices and audit events
    already point at a Client, and each must name the person as the party behind it
    knows them.
    """

    email = CharField()  # lower-cased
    name = CharField()
    phone = CharField(null=True)
    state = CharField(max_length=2, null=True)
    known_by = ForeignKeyField(Provider, null=True, backref="client_records",
                               on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        # One record per provider per email (and serves lookups by email alone).
        indexes = ((("email", "known_by"), True),)

    @property
    def first_name(self):
        return first_name_of(self.name)

    @classmethod
    def self_registered(cls, email):
        """The record of a client who came to Alma themselves with this email, if any."""
        return cls.get_or_none((cls.email == email) & cls.known_by.is_null())

    @classmethod
    def known_to(cls, provider, email):
        """The provider's own record of the client with this email, if any."""
        return cls.get_or_none((cls.email == email) & (cls.known_by == provider.id))


# Unique (email, known_by) lets NULLs repeat: one self-registered record per email too.
Client.add_index(Client.index(Client.email, unique=True, name="client_email_self_registered")
                 .where(Client.known_by.is_null()))


class ProgramClient(BaseModel):
    """A provider's client whose sessions are billed to their insurer through the group:
    the client's insurance as their provider recorded it.

    Here with the clients, below the features, because three of them refer to it: the
    program moves clients in and out, benefits checks their coverage (a check belongs to
    a program client or to a visitor's browser), and claims bills their sessions.
    """

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
    added_at = DateTimeField(default=utcnow)
    told_at = DateTimeField(null=True)
    removed_at = DateTimeField(null=True)
    # When a worker last took this client's benefit re-check (one worker at a time).
    check_claimed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("provider", "payer", "member_id"), True),)

    @property
    def name(self):
        return f"{self.first_name} {self.last_name}"


MODELS = [
    Payer,
    Specialty,
    Modality,
    Language,
    ServiceState,
    Provider,
    License,
    ProviderSpecialty,
    ProviderModality,
    ProviderLanguage,
    NetworkParticipation,
    Client,
    ProgramClient,
]
