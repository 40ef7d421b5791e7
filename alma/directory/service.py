"""The directory's rules: who is listed, how a search runs, what a result shows."""
import math
import time
from dataclasses import dataclass, field

from flask import abort
from peewee import SQL, Case, Expression, fn

from alma import clock, geo
from alma.db import db, is_postgres
from alma.directory import query
from alma.directory.models import Listing, ProviderPhoto
from alma.jobs import stop_requested
from alma.network import vocab
from alma.network.models import (Language, License, Modality, NetworkParticipation, Payer,
                                 Provider, ProviderLanguage, ProviderModality, ProviderSpecialty,
                                 ServiceState, Specialty)

# An "accepting" answer older than this is shown as possibly out of date.
FRESH_DAYS = 30


def today():
    return clock.today()


# --- Who is listed -----------------------------------------------------------------

MAX_VOCABULARY_ID = 62  # ids are bit positions in a signed 64-bit integer


def _bits(link, vocabulary_column, *where):
    """A correlated subquery: the set of ids linked to the provider, as bits."""
    bit = Expression(SQL("CAST(1 AS BIGINT)"), "<<", vocabulary_column)
    return fn.COALESCE(link.select(fn.SUM(fn.DISTINCT(bit))).where(
        link.provider == Provider.id, *where), 0)


def _credentials(on):
    """A correlated subquery: the provider's current licence types, comma-separated."""
    held = License.alias("held")
    kind = fn.DISTINCT(held.license_type)
    joined = fn.STRING_AGG(kind, ",") if is_postgres() else fn.GROUP_CONCAT(kind)
    return fn.COALESCE(held.select(joined).where(
        (held.provider == Provider.id) & (held.level != "pre_licensed")
        & (held.expires_on >= on)), "")


def _check_vocabulary_fits_in_bits():
    for model in (Payer, Specialty, Modality, Language):
        biggest = model.select(fn.MAX(model.id)).scalar() or 0
        if biggest > MAX_VOCABULARY_ID:
            raise ValueError(f"{model.__name__} ids above {MAX_VOCABULARY_ID} cannot be indexed")


# Every reindex holds this PostgreSQL advisory lock until its transaction ends.
REINDEX_LOCK = 0x616C6D61  # "alma"
# A full reindex commits this many providers at a time, so a provider's own
# reindex (an answer in the app, a job) waits for one chunk, never for all.
REINDEX_CHUNK = 500
# On SQLite, writers take turns by polling for the database's one write lock, so a
# full reindex, committing chunk after chunk, would starve a visitor's write: it
# leaves a gap between chunks (not when seeding, with nobody else writing).
SQLITE_GAP_SECONDS = 0.02


def reindex(provider_ids=None, on=None, chunk=None, gaps=True):
    """Rebuild the directory's Listing rows, for some providers or for all.

    Steps, for each provider:
    1. Delete the providers' rows.
    2. Insert one row per (provider, state) for each current licence that is
       not pre-licensed, in a state where the network operates, for listable
       providers; a second licence in the same state extends the expiry.
       Payers in network on `on`, specialties, modalities and languages are
       copied in as bit sets.
    3. Mark one row per provider primary: their office state, else the first.

    Reindexes take turns (see _take_turn), each in its own transaction (or
    its caller's): two at once would both insert a provider's rows. All
    providers are done in chunks by id, each chunk whole; the last chunk is
    open-ended so a provider added meanwhile is not missed.
    """
    on = on or today()
    chunk = chunk or REINDEX_CHUNK
    _check_vocabulary_fits_in_bits()
    if provider_ids is not None:
        ids = list(provider_ids)
        _rebuild(lambda column: column.in_(ids), on)
        return
    after = 0
    while not stop_requested():
        last = (Provider.select(Provider.id).where(Provider.id > after).order_by(Provider.id)
                .offset(chunk - 1).limit(1).scalar())
        if last is None:
            _rebuild(lambda column: column > after, on)
            return
        _rebuild(lambda column: (column > after) & (column <= last), on)
        after = last
        if gaps and not is_postgres() and not db.in_transaction():
            time.sleep(SQLITE_GAP_SECONDS)


def _take_turn(within):
    """Wait until no other reindex is running, then hold them off until we commit.

    On PostgreSQL, a transaction-scoped advisory lock. Our providers' rows are
    locked against key changes first: a writer that changed one (and so holds
    it) and then reindexes is waited for before we take the advisory lock, so
    neither ever waits for the other in a circle. Each statement after the lock
    sees what earlier reindexes committed (READ COMMITTED). On SQLite a write
    transaction already excludes every other (BEGIN IMMEDIATE, see alma.db).
    """
    if not is_postgres():
        return
    list(Provider.select(Provider.id).where(within(Provider.id)).for_update("FOR KEY SHARE"))
    db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (REINDEX_LOCK,))


def _rebuild(within, on):
    """Steps 1-3 for the providers whose id satisfies within(column), in one transaction."""
    np = NetworkParticipation
    with db.atomic():
        _take_turn(within)
        Listing.delete().where(within(Listing.provider)).execute()

        source = (License
                  .select(Provider.id, License.state, SQL("FALSE"), fn.MAX(License.expires_on),
                          Provider.accepting_new_clients,
                          fn.COALESCE(Provider.accepting_confirmed_on,
                                      fn.DATE(Provider.created_at)),
                          Provider.gender, Provider.offers_telehealth, Provider.offers_in_person,
                          Provider.serves_children, Provider.serves_teens,
                          Provider.serves_adults, Provider.serves_older_adults,
                          Provider.cash_rate_cents, Provider.sliding_scale,
                          Provider.latitude, Provider.longitude,
                          _bits(np, np.payer, np.starts_on <= on,
                                np.ends_on.is_null() | (np.ends_on >= on)),
                          _bits(np, np.payer, np.via == "group", np.starts_on <= on,
                                np.ends_on.is_null() | (np.ends_on >= on)),
                          _bits(ProviderSpecialty, ProviderSpecialty.specialty),
                          _bits(ProviderModality, ProviderModality.modality),
                          _bits(ProviderLanguage, ProviderLanguage.language),
                          _credentials(on),
                          ProviderPhoto.select(ProviderPhoto.digest).where(
                              ProviderPhoto.provider == Provider.id))
                  .join(Provider)
                  .join_from(License, ServiceState, on=(License.state == ServiceState.code))
                  .where((Provider.membership_status == "active")
                         & (Provider.listing_hidden == False)  # noqa: E712
                         & (Provider.billing_hold == False)  # noqa: E712
                         & (License.level != "pre_licensed")
                         & (License.expires_on >= on)
                         & (ServiceState.operating == True)  # noqa: E712
                         & within(Provider.id))
                  .group_by(Provider.id, License.state))
        Listing.insert_from(source, [
            Listing.provider, Listing.state, Listing.is_primary, Listing.license_expires_on,
            Listing.accepting, Listing.accepting_confirmed_on, Listing.gender,
            Listing.offers_telehealth, Listing.offers_in_person, Listing.serves_children,
            Listing.serves_teens, Listing.serves_adults, Listing.serves_older_adults,
            Listing.cash_rate_cents, Listing.sliding_scale, Listing.latitude,
            Listing.longitude, Listing.payer_bits, Listing.group_payer_bits,
            Listing.specialty_bits, Listing.modality_bits, Listing.language_bits,
            Listing.credentials, Listing.photo_digest]).execute()

        Other = Listing.alias("other")
        home_first = Case(None, [(Other.state == Provider.office_state, 0)], 1)
        primary = (Other
                   .select(Other.id)
                   .join(Provider, on=(Other.provider == Provider.id))
                   .where(Other.provider == Listing.provider)
                   .order_by(home_first, Other.state)
                   .limit(1))
        Listing.update(is_primary=(Listing.id == primary)).where(
            within(Listing.provider)).execute()


class UnknownState(ValueError):
    pass


def launch_state(code, on=None):
    """Start operating in a state: its providers appear in the directory at once."""
    on = on or today()
    state = ServiceState.get_or_none(ServiceState.code == code.upper())
    if state is None:
        raise UnknownState(f"There is no US state with the code {code!r}.")
    if state.operating:
        return state
    with db.atomic():
        state.operating = True
        state.launched_on = on
        state.save()
        providers = License.select(License.provider).where(License.state == state.code)
        reindex([row.provider_id for row in providers.distinct()], on=on)
    vocab.forget()
    return state


# --- Search ------------------------------------------------------------------------

@dataclass
class Result:
    provider: Provider
    credentials: list
    in_network: list
    specialties: list
    distance_miles: float = None
    confirmed_days_ago: int = None
    words: str = ""            # the opening of their bio, in their own words
    photo_digest: str = None

    @property
    def confirmation_is_fresh(self):
        return self.confirmed_days_ago is not None and self.confirmed_days_ago <= FRESH_DAYS


def opening(text, chars=180):
    """The start of a text, cut after a word, with an ellipsis if anything was left out."""
    text = " ".join((text or "").split())
    if len(text) <= chars:
        return text
    cut = text[:chars + 1].rsplit(" ", 1)[0].rstrip(",;:.–—- ")
    return cut + "…"


@dataclass
class SearchResults:
    results: list
    total: int
    capped: bool             # more than `total` match; we stopped counting
    page: int
    pages: int
    page_size: int
    notices: list = field(default_factory=list)

    @property
    def first_index(self):
        return (self.page - 1) * self.page_size + 1

    @property
    def last_index(self):
        return self.first_index + len(self.results) - 1


def search(criteria, page_size=10, cap=500, on=None):
    """One page of the listings that match, with how many match (up to cap)."""
    on = on or today()
    notices = []
    if criteria.state_not_served:
        return SearchResults([], 0, False, 1, 1, page_size, notices)

    statement = query.build(criteria, on)
    found = query.ids(statement, cap)
    capped = len(found) > cap
    total = min(len(found), cap)
    pages = max(1, math.ceil(total / page_size))
    # Past the last page: the last page, saying so; nothing found: no page to move to.
    page = min(criteria.page, pages if total else math.ceil(cap / page_size))
    if criteria.page > pages and total:
        notices.append("There is only one page of results, so here it is." if pages == 1 else
                       f"There are only {pages} pages of results, so here is the last one.")
    start = (page - 1) * page_size
    providers = query.cards(statement, found[start:start + page_size])
    return SearchResults(describe(providers, criteria, on), total, capped, page, pages,
                         page_size, notices)


def describe(providers, criteria, on):
    """What each result card shows, from the providers of one page (see query.cards)."""
    words = vocab.current()
    results = []
    for provider in providers:
        distance = None
        if criteria.place is not None and provider.listing_latitude is not None:
            distance = geo.miles_between(criteria.place.latitude, criteria.place.longitude,
                                         provider.listing_latitude, provider.listing_longitude)
        results.append(Result(
            provider=provider,
            credentials=provider.credentials,
            in_network=words.names(provider.payer_bits, words.payers_by_id),
            specialties=words.names(provider.specialty_bits, words.specialties_by_id),
            distance_miles=distance,
            confirmed_days_ago=days_since(provider.accepting_confirmed_on, on),
            words=opening(provider.words),
            photo_digest=provider.photo_digest,
        ))
    return results


def days_since(day, on):
    return None if day is None else max(0, (on - day).days)


# A profile's three queries are written out, like the search's (alma/directory/query.py):
# peewee compiled them in about 0.8 ms a page (the provider has seventy columns), more
# than the rest of the page. Each Model.raw gives the same objects a select would.

def in_network_payers(provider, on):
    """Payers the provider is in network with on that day, exactly, by name."""
    mark = db.param
    rows = db.execute_sql(
        f"SELECT pay.name FROM network_participation np JOIN payer pay ON pay.id = np.payer_id "
        f"WHERE np.provider_id = {mark} AND np.starts_on <= {mark} "
        f"AND (np.ends_on IS NULL OR np.ends_on >= {mark})",
        [provider.id, on.isoformat(), on.isoformat()]).fetchall()
    return sorted({name for (name,) in rows})


# --- Profiles ----------------------------------------------------------------------

@dataclass
class Profile:
    provider: Provider
    credentials: list
    licenses: list           # current licences, by state
    in_network: list
    specialties: list
    modalities: list
    languages: list
    confirmed_days_ago: int
    photo_digest: str = None

    @property
    def confirmation_is_fresh(self):
        return self.confirmed_days_ago is not None and self.confirmed_days_ago <= FRESH_DAYS


def listed_provider_or_404(slug, on=None):
    """The profile of a listed provider; anyone else is a 404, never a hint they exist."""
    on = on or today()
    mark = db.param
    provider = next(iter(Provider.raw(
        f"SELECT p.*, l.specialty_bits, l.modality_bits, l.language_bits, l.photo_digest "
        f"FROM provider p JOIN listing l ON l.provider_id = p.id "
        f"WHERE p.slug = {mark} AND l.license_expires_on >= {mark} LIMIT 1",
        slug, on.isoformat())), None)
    if provider is None:
        abort(404)
    return profile(provider, on)


def profile(provider, on):
    """A listed provider's profile; `provider` carries its listing's bit sets."""
    words = vocab.current()
    licenses = [lic for lic in License.raw(
                    f"SELECT * FROM license WHERE provider_id = {db.param} "
                    "ORDER BY state, license_type", provider.id)
                if lic.is_current(on)]
    credentials = []
    for lic in sorted(licenses, key=lambda lic: lic.license_type):
        if lic.license_type not in credentials:
            credentials.append(lic.license_type)
    return Profile(
        provider=provider,
        credentials=credentials,
        licenses=licenses,
        in_network=in_network_payers(provider, on),
        specialties=words.names(provider.specialty_bits, words.specialties_by_id),
        modalities=words.names(provider.modality_bits, words.modalities_by_id),
        languages=words.names(provider.language_bits, words.languages_by_id),
        confirmed_days_ago=days_since(provider.accepting_confirmed_on, on),
        photo_digest=getattr(provider, "photo_digest", None),
    )
