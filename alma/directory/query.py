"""The directory search as SQL, written out by hand.

Peewee compiled these statements in about half a millisecond a request,
a fifth of a whole search page (measured with bench/directory.py), and they
are simple: one table of listings, a WHERE of
independent conditions, an ORDER BY and a LIMIT. So this module writes them
directly, for both databases, with every value passed as a parameter.

Full text: on SQLite the FTS5 table `provider_fts`; on PostgreSQL the
GIN-indexed tsvector table `provider_fts` (see migrations/0001_initial.py).
It narrows the listings; it does not reorder them. Words come from
criteria.parse as \\w+ tokens, so nothing a person types reaches the query
syntax.
"""
import time
from dataclasses import dataclass, field

from alma import geo
from alma.db import db, is_postgres
from alma.network.models import AGE_GROUPS, Provider

# What a result card shows of a provider; of the bio, only its start (see WORDS_CHARS).
CARD_FIELDS = (Provider.id, Provider.slug, Provider.first_name, Provider.last_name,
               Provider.pronouns, Provider.office_city,
               Provider.office_state, Provider.offers_telehealth, Provider.offers_in_person,
               Provider.cash_rate_cents, Provider.sliding_scale, Provider.sliding_scale_min_cents,
               Provider.accepting_new_clients, Provider.accepting_confirmed_on,
               Provider.median_answer_hours)
# A card quotes the start of the therapist's bio: enough for three lines on a phone.
WORDS_CHARS = 240


@dataclass
class Statement:
    where: list = field(default_factory=list)
    params: list = field(default_factory=list)
    order: list = field(default_factory=list)
    listing: tuple = ()  # which of a provider's listings: a condition and its parameter

    def add(self, clause, *params):
        self.where.append(clause)
        self.params.extend(params)


def _fts_expression(words, postgres):
    """Every word must match, stemmed (groups matches group), not as a prefix.

    Prefixes would follow someone typing, but a prefix can't be looked up
    for one document at a time, and that lookup is what keeps a common word
    fast on SQLite (see _text_filter).
    """
    if postgres:
        return " & ".join(f"'{w}'" for w in words)
    return " ".join(f'"{w}"' for w in words)


# Measured on 250,000 providers (one FTS segment): testing one listing's document
# costs 10-25 µs, collecting matches about 0.1 µs each, looking up one match's
# listing ~1 µs.
COMMON_MATCHES = 1000   # a word matching more providers than this is "common"
# Testing a listing's document costs about as much as collecting this many matches:
# a common word's set is collected only when there are more listings than
# matches / TEST_COST to test one by one.
TEST_COST = 150
# How many providers a word matches changes slowly and only steers the plan, never
# the results: each process keeps the counts it has made for a while.
MATCH_COUNTS_KEPT = 2000
MATCH_COUNTS_SECONDS = 600
_match_counts = {}


def _matches(expression):
    """How many providers match, as counted at most MATCH_COUNTS_SECONDS ago."""
    now = time.monotonic()
    kept = _match_counts.get(expression)
    if kept is not None and now - kept[1] < MATCH_COUNTS_SECONDS:
        return kept[0]
    found = db.execute_sql(f"SELECT COUNT(*) FROM provider_fts WHERE provider_fts MATCH "
                           f"{db.param}", [expression]).fetchone()[0]
    if len(_match_counts) >= MATCH_COUNTS_KEPT:
        _match_counts.clear()
    _match_counts[expression] = (found, now)
    return found


def _text_filter(s, words):
    """Narrow the search to providers whose name, bio or approach has every word.

    A filter, not a ranking: best match stays "has room, most recently
    confirmed", which is what a client needs first.
    """
    expression = _fts_expression(words, is_postgres())
    mark = db.param
    if is_postgres():
        # PostgreSQL keeps statistics on the tsvector and plans this well.
        s.add("l.provider_id IN (SELECT provider_id FROM provider_fts "
              f"WHERE document @@ to_tsquery('english', {mark}))", expression)
        return
    # SQLite can't tell a rare name from a common word, so we look:
    # - a rare word: look up the listing of each match;
    # - a common word and fewer listings otherwise than its matches / TEST_COST (a
    #   zip code, say): test each listing's document, which FTS5 does by seeking
    #   to its rowid;
    # - a common word and more listings: collect the matches once and test
    #   each listing against that set (the unary + keeps SQLite from driving
    #   the search from the matches).
    matches = _matches(expression)
    few = int(matches / TEST_COST)
    if matches <= COMMON_MATCHES:
        s.add(f"l.provider_id IN (SELECT rowid FROM provider_fts WHERE provider_fts MATCH "
              f"{mark})", expression)
    elif count(s, few) <= few:
        s.add(f"EXISTS (SELECT 1 FROM provider_fts WHERE provider_fts MATCH {mark} "
              "AND provider_fts.rowid = l.provider_id)", expression)
    else:
        s.add(f"+l.provider_id IN (SELECT rowid FROM provider_fts WHERE provider_fts MATCH "
              f"{mark})", expression)


def build(criteria, on):
    """The FROM/WHERE/ORDER BY of a search, with its parameters."""
    mark = db.param
    s = Statement()
    s.add(f"l.license_expires_on >= {mark}", on.isoformat())
    if criteria.state is not None:
        s.listing = (f"l.state = {mark}", criteria.state.code)
    else:
        s.listing = (f"l.is_primary = {mark}", True)
    s.add(*s.listing)
    if criteria.accepting_only:
        s.add(f"l.accepting = {mark}", True)
    if criteria.payer is not None:
        s.add(f"(l.payer_bits & {mark}) <> 0", 1 << criteria.payer.id)
    if criteria.self_pay:
        s.add("l.cash_rate_cents IS NOT NULL")
        if criteria.max_rate_cents is not None:
            s.add(f"l.cash_rate_cents <= {mark}", criteria.max_rate_cents)
        if criteria.sliding_scale:
            s.add(f"l.sliding_scale = {mark}", True)
    for column, row in (("specialty_bits", criteria.specialty),
                        ("modality_bits", criteria.modality),
                        ("language_bits", criteria.language)):
        if row is not None:
            s.add(f"(l.{column} & {mark}) <> 0", 1 << row.id)
    if criteria.gender:
        s.add(f"l.gender = {mark}", criteria.gender)
    if criteria.age_group:
        s.add(f"l.{AGE_GROUPS[criteria.age_group][0]} = {mark}", True)
    if criteria.format:
        s.add(f"l.offers_{criteria.format} = {mark}", True)

    distance = None
    if criteria.place is not None:
        lat, lon = criteria.place.latitude, criteria.place.longitude
        box = geo.bounding_box(lat, lon, criteria.radius_miles)
        # Squared distance in degrees of latitude on a flat projection: it
        # orders and bounds like miles within a box this small.
        # The numbers come from the zip-code table, never from what was typed;
        # written in, they let the ORDER BY use the same expression.
        dy, dx = f"(l.latitude - ({lat!r}))", f"(l.longitude - ({lon!r}))"
        distance = f"({dy} * {dy} + {dx} * {dx} * ({box.lon_scale ** 2!r}))"
        s.add(f"l.latitude BETWEEN {mark} AND {mark}", box.min_lat, box.max_lat)
        s.add(f"l.longitude BETWEEN {mark} AND {mark}", box.min_lon, box.max_lon)
        s.add(f"{distance} <= {mark}",
              (criteria.radius_miles / geo.MILES_PER_DEGREE_LATITUDE) ** 2)

    if criteria.words:
        _text_filter(s, criteria.words)

    freshest = ["l.accepting DESC", "l.accepting_confirmed_on DESC"]
    if criteria.sort == "distance" and distance is not None:
        s.order = [distance] + freshest
    elif criteria.sort == "price":
        s.order = ["l.cash_rate_cents IS NULL", "l.cash_rate_cents"] + freshest
    elif criteria.sort == "cost" and criteria.your_cost is not None:
        s.order = _by_your_cost(*criteria.your_cost) + freshest
    else:
        s.order = freshest
    # Descending like the rest, so the index gives the whole order.
    s.order.append("l.provider_id DESC")
    return s


def _by_your_cost(payer_id, cents):
    """What a session costs the client: the estimate with the group's network, nothing
    known with a provider in network directly (their own rates), else the self-pay rate.
    Known costs first, cheapest first. Both numbers come from the database, never from
    what was typed; written in, the ORDER BY stays one expression."""
    bit = 1 << int(payer_id)
    cost = (f"(CASE WHEN (l.group_payer_bits & {bit}) <> 0 THEN {int(cents)} "
            f"WHEN (l.payer_bits & {bit}) <> 0 THEN NULL ELSE l.cash_rate_cents END)")
    return [f"{cost} IS NULL", cost]


def count(s, cap):
    """How many listings match, counting no further than cap + 1."""
    sql = (f"SELECT COUNT(*) FROM (SELECT 1 FROM listing l "
           f"WHERE {' AND '.join(s.where)} LIMIT {int(cap) + 1}) AS matches")
    return db.execute_sql(sql, s.params).fetchone()[0]


def ids(s, cap):
    """The ids of the first cap + 1 matching providers, best first: the page is a
    slice of them and their number is the count, from one pass over the listings."""
    sql = (f"SELECT l.provider_id FROM listing l WHERE {' AND '.join(s.where)} "
           f"ORDER BY {', '.join(s.order)} LIMIT {int(cap) + 1}")
    return [row[0] for row in db.execute_sql(sql, s.params).fetchall()]


def cards(s, provider_ids):
    """The providers of one page, in the order of provider_ids, with what their cards show.

    Each Provider carries extra attributes: listing_latitude/longitude,
    payer_bits, specialty_bits, credentials (licence types, comma-joined),
    photo_digest (None: no photo) and words (the start of their bio), from
    the listing the search matched (s.listing: at most one a provider).
    """
    if not provider_ids:
        return []
    marks = ", ".join([db.param] * len(provider_ids))
    columns = ", ".join(f"p.{f.column_name}" for f in CARD_FIELDS)
    sql = (f"SELECT {columns}, l.latitude, l.longitude, l.payer_bits, l.specialty_bits, "
           f"l.credentials, l.photo_digest, SUBSTR(p.bio, 1, {WORDS_CHARS}) "
           f"FROM listing l JOIN provider p ON p.id = l.provider_id "
           f"WHERE l.provider_id IN ({marks}) AND {s.listing[0]}")
    found = {}
    for row in db.execute_sql(sql, list(provider_ids) + [s.listing[1]]).fetchall():
        values = {f.name: f.python_value(v) for f, v in zip(CARD_FIELDS, row)}
        provider = Provider(__no_default__=True, **values)  # (its other fields' defaults
        # cost more than the card's own: a card reads only these)
        (provider.listing_latitude, provider.listing_longitude, provider.payer_bits,
         provider.specialty_bits, credentials_text, provider.photo_digest,
         provider.words) = row[len(CARD_FIELDS):]
        provider.credentials = sorted(credentials_text.split(",")) if credentials_text else []
        found[provider.id] = provider
    return [found[i] for i in provider_ids if i in found]
