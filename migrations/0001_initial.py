"""The directory: providers, licences, payers, networks, states and the search index.

Models here are a frozen copy, independent of alma/directory/models.py, so this
file means the same thing forever. Full-text search is built from the database
itself: an FTS5 table on SQLite, a tsvector table with a GIN index on
PostgreSQL, each kept in step with provider rows by triggers.
"""
import datetime

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    TextField,
)


class Base(Model):
    class Meta:
        legacy_table_names = False


class Payer(Base):
    name = CharField(unique=True)
    slug = CharField(unique=True)
    checkable_via_optum = BooleanField(default=False)
    clearinghouse_payer_id = CharField(null=True)


class Specialty(Base):
    name = CharField(unique=True)
    slug = CharField(unique=True)


class Modality(Base):
    name = CharField(unique=True)
    slug = CharField(unique=True)


class Language(Base):
    name = CharField(unique=True)
    slug = CharField(unique=True)


class ServiceState(Base):
    code = CharField(max_length=2, primary_key=True)
    name = CharField()
    operating = BooleanField(default=False)
    launched_on = DateField(null=True)


class Provider(Base):
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
    contact_by_email = BooleanField(default=True)
    contact_by_text = BooleanField(default=False)
    accepting_new_clients = BooleanField(default=False)
    accepting_confirmed_on = DateField(null=True)
    membership_status = CharField(max_length=16, default="active")
    listing_hidden = BooleanField(default=False)
    created_at = DateTimeField(default=datetime.datetime.utcnow)
    updated_at = DateTimeField(default=datetime.datetime.utcnow)


class License(Base):
    provider = ForeignKeyField(Provider, on_delete="CASCADE", index=False)
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


class ProviderSpecialty(Base):
    provider = ForeignKeyField(Provider, on_delete="CASCADE", index=False)
    specialty = ForeignKeyField(Specialty, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("provider", "specialty")
        indexes = ((("specialty", "provider"), False),)


class ProviderModality(Base):
    provider = ForeignKeyField(Provider, on_delete="CASCADE", index=False)
    modality = ForeignKeyField(Modality, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("provider", "modality")
        indexes = ((("modality", "provider"), False),)


class ProviderLanguage(Base):
    provider = ForeignKeyField(Provider, on_delete="CASCADE", index=False)
    language = ForeignKeyField(Language, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("provider", "language")
        indexes = ((("language", "provider"), False),)


class NetworkParticipation(Base):
    provider = ForeignKeyField(Provider, on_delete="CASCADE", index=False)
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    via = CharField(max_length=16)
    starts_on = DateField()
    ends_on = DateField(null=True)

    class Meta:
        indexes = (
            (("provider", "payer", "starts_on", "ends_on"), False),
            (("payer",), False),
        )


class Listing(Base):
    provider = ForeignKeyField(Provider, on_delete="CASCADE", index=False)
    state = CharField(max_length=2)
    is_primary = BooleanField()
    license_expires_on = DateField()
    accepting = BooleanField()
    accepting_confirmed_on = DateField()
    gender = CharField(max_length=16)
    offers_telehealth = BooleanField()
    offers_in_person = BooleanField()
    serves_children = BooleanField()
    serves_teens = BooleanField()
    serves_adults = BooleanField()
    serves_older_adults = BooleanField()
    cash_rate_cents = IntegerField(null=True)
    sliding_scale = BooleanField()
    latitude = FloatField(null=True)
    longitude = FloatField(null=True)
    # Sets of vocabulary ids as bits (bit n set = id n): payers in network
    # on the day of indexing, specialties, modalities and languages.
    payer_bits = BigIntegerField(default=0)
    specialty_bits = BigIntegerField(default=0)
    modality_bits = BigIntegerField(default=0)
    language_bits = BigIntegerField(default=0)
    credentials = CharField(default="")  # current licence types, comma-separated

    class Meta:
        indexes = (
            (("provider", "state"), True),
            # The common search (state, accepting, payer) is answered from
            # these indexes alone, in best-match order.
            (("state", "accepting", "accepting_confirmed_on", "provider",
              "payer_bits", "license_expires_on"), False),
            (("is_primary", "accepting", "accepting_confirmed_on", "provider",
              "payer_bits", "license_expires_on"), False),
            (("state", "cash_rate_cents"), False),
            (("state", "latitude", "longitude", "accepting", "payer_bits",
              "license_expires_on"), False),
        )


MODELS = [Payer, Specialty, Modality, Language, ServiceState, Provider, License,
          ProviderSpecialty, ProviderModality, ProviderLanguage,
          NetworkParticipation, Listing]

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE provider_fts USING fts5(
        first_name, last_name, bio, approach,
        content='provider', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER provider_fts_insert AFTER INSERT ON provider BEGIN
        INSERT INTO provider_fts(rowid, first_name, last_name, bio, approach)
        VALUES (new.id, new.first_name, new.last_name, new.bio, new.approach);
    END""",
    """CREATE TRIGGER provider_fts_delete AFTER DELETE ON provider BEGIN
        INSERT INTO provider_fts(provider_fts, rowid, first_name, last_name, bio, approach)
        VALUES ('delete', old.id, old.first_name, old.last_name, old.bio, old.approach);
    END""",
    """CREATE TRIGGER provider_fts_update
        AFTER UPDATE OF first_name, last_name, bio, approach ON provider BEGIN
        INSERT INTO provider_fts(provider_fts, rowid, first_name, last_name, bio, approach)
        VALUES ('delete', old.id, old.first_name, old.last_name, old.bio, old.approach);
        INSERT INTO provider_fts(rowid, first_name, last_name, bio, approach)
        VALUES (new.id, new.first_name, new.last_name, new.bio, new.approach);
    END""",
]

POSTGRES_FTS = [
    """CREATE TABLE provider_fts (
        provider_id INTEGER PRIMARY KEY REFERENCES provider (id) ON DELETE CASCADE,
        document TSVECTOR NOT NULL)""",
    "CREATE INDEX provider_fts_document ON provider_fts USING GIN (document)",
    """CREATE FUNCTION provider_fts_refresh() RETURNS trigger AS $$
    BEGIN
        INSERT INTO provider_fts (provider_id, document) VALUES (
            NEW.id,
            setweight(to_tsvector('english', NEW.first_name || ' ' || NEW.last_name), 'A')
            || setweight(to_tsvector('english', NEW.approach), 'B')
            || setweight(to_tsvector('english', NEW.bio), 'C'))
        ON CONFLICT (provider_id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER provider_fts_refresh
        AFTER INSERT OR UPDATE OF first_name, last_name, bio, approach ON provider
        FOR EACH ROW EXECUTE FUNCTION provider_fts_refresh()""",
]


def up(migrator, db):
    db.bind(MODELS)
    db.create_tables(MODELS)
    for statement in POSTGRES_FTS if isinstance(db, PostgresqlDatabase) else SQLITE_FTS:
        db.execute_sql(statement)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP TABLE provider_fts")
        db.execute_sql("DROP TRIGGER provider_fts_refresh ON provider")
        db.execute_sql("DROP FUNCTION provider_fts_refresh()")
    else:
        for name in ("insert", "delete", "update"):
            db.execute_sql(f"DROP TRIGGER provider_fts_{name}")
        db.execute_sql("DROP TABLE provider_fts")
    db.bind(MODELS)
    db.drop_tables(MODELS)
