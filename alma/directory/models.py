"""The directory's search index, derived from the network's records."""
from peewee import (BigIntegerField, BlobField, BooleanField, CharField, DateField, DateTimeField,
                    FloatField, ForeignKeyField, IntegerField)

from alma.clock import utcnow
from alma.db import BaseModel
from alma.network.models import Provider


class Listing(BaseModel):
    """The directory's search index: one row per provider per state they may be found in.

    Derived from Provider and License by directory.service.reindex and never
    edited by hand. A row exists only for a listed provider (an active member,
    listing not hidden) with a current, not pre-licensed licence in a state
    where the network operates. Licence expiry is also checked at query time,
    so an expired licence drops out the day it expires. Network participation
    is read on the day of indexing, so `flask directory reindex` runs daily
    (participations have start and end dates known in advance).
    """

    provider = ForeignKeyField(Provider, on_delete="CASCADE", index=False)
    state = CharField(max_length=2)
    # Exactly one row per provider is primary: the one searched when the
    # client has not said which state they are in.
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
    # The same for payers in network through the group (whose cost a benefit check prices).
    group_payer_bits = BigIntegerField(default=0)
    specialty_bits = BigIntegerField(default=0)
    modality_bits = BigIntegerField(default=0)
    language_bits = BigIntegerField(default=0)
    credentials = CharField(default="")  # current licence types, comma-separated
    # The provider's photo (ProviderPhoto.digest), so a card links to it with no query.
    photo_digest = CharField(max_length=32, null=True)

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
            # Near a zip code: the box, then the best-match order, from the index alone.
            (("state", "latitude", "longitude", "accepting", "payer_bits",
              "license_expires_on", "accepting_confirmed_on", "provider"), False),
        )


class ProviderPhoto(BaseModel):
    """A provider's photo, as the directory serves it: re-encoded JPEGs, square, in
    PHOTO_SIZES (alma/directory/photos.py), kept in the database so any host can serve them.

    One row per provider; replacing the photo replaces the row, with a new digest (a hash
    of the images), so its URLs change and browsers may cache each one for ever.
    """

    provider = ForeignKeyField(Provider, unique=True, on_delete="CASCADE")
    digest = CharField(max_length=32, unique=True)
    small = BlobField()    # 96 px
    medium = BlobField()   # 192 px
    large = BlobField()    # 384 px
    created_at = DateTimeField(default=utcnow)


MODELS = [Listing, ProviderPhoto]
