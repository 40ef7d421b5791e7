"""The directory search as SQL, written out by hand.

Peewee compiled these statements in about half a millisecond a request,
a fifth of a whole search page (measured with bench/directory.py), and they
are simple: one table of listings, optional full-text join, a WHERE of
independent conditions, an ORDER BY and a LIMIT. So this module writes them
directly, for both databases, with every value passed as a parameter.

Full text: on SQLite the FTS5 table `provider_fts`; on PostgreSQL the
GIN-indexed tsvector table `provider_fts` (see migrations/0001_initial.py).
It narrows the listings; it does not reorder them.
Words come from criteria.parse as \\w+ tokens, so nothing a person types
reaches the query syntax; the last word matches as a prefix.
"""
from dataclasses import dataclass, field

from alma import geo
from alma.db import db, is_postgres
from alma.directory.models import AGE_GROUPS, Provider

# What a result card shows of a provider; bios stay out of search pages.
CARD_FIELDS = (Provider.id, Provider.slug, Provider.first_name, Provider.last_name,
               Provider.pronouns, Provider.photo_url, Provider.office_city,
               Provider.office_state, Provider.offers_telehealth, Provider.offers_in_person,
               Provider.cash_rate_cents, Provider.sliding_scale, Provider.sliding_scale_min_cents,
               Provider.accepting_new_clients, Provider.accepting_confirmed_on)


@dataclass
class Statement:
    where: list = field(default_factory=list)
    params: list = field(default_factory=list)
    order: list = field(default_factory=list)

    def add(self, clause, *params):
        self.where.append(clause)
        self.params.extend(params)


def _fts_expression(words, postgres):
    if postgres:
        terms = [f"'{w}'" for w in words]
        terms[-1] += ":*"
        return " & ".join(terms)
    terms = [f'"{w}"' for w in words]
    terms[-1] += "*"
    return " ".join(terms)


COMMON_MATCHES = 5000


def _common(expression):
    """Whether more than COMMON_MATCHES providers match, counting no further."""
    sql = (f"SELECT COUNT(*) FROM (SELECT 1 FROM provider_fts WHERE provider_fts MATCH "
           f"{db.param} LIMIT {COMMON_MATCHES + 1}) AS matches")
    return db.execute_sql(sql, [expression]).fetchone()[0] > COMMON_MATCHES


def build(criteria, on):
    """The FROM/WHERE/ORDER BY of a search, with its parameters."""
    postgres = is_postgres()
    mark = db.param
    s = Statement()
    s.add(f"l.license_expires_on >= {mark}", on.isoformat())
    if criteria.state is not None:
        s.add(f"l.state = {mark}", criteria.state.code)
    else:
        s.add(f"l.is_primary = {mark}", True)
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
        # A filter, not a ranking: best match stays "has room, most recently
        # confirmed", which is what a client needs first.
        expression = _fts_expression(criteria.words, postgres)
        if postgres:
            # PostgreSQL keeps statistics on the tsvector and plans well.
            s.add("l.provider_id IN (SELECT provider_id FROM provider_fts "
                  f"WHERE document @@ to_tsquery('english', {mark}))", expression)
        else:
            # SQLite can't tell a rare name from a common word. For a rare one,
            # look up each match's listing; for a common one (say a third of all
            # bios), walk the listings and test each against the set of matches,
            # which the unary + tells SQLite to do.
            probe = "+" if _common(expression) else ""
            s.add(f"{probe}l.provider_id IN (SELECT rowid FROM provider_fts "
                  f"WHERE provider_fts MATCH {mark})", expression)

    freshest = ["l.accepting DESC", "l.accepting_confirmed_on DESC"]
    if criteria.sort == "distance" and distance is not None:
        s.order = [distance] + freshest
    elif criteria.sort == "price":
        s.order = ["l.cash_rate_cents IS NULL", "l.cash_rate_cents"] + freshest
    else:
        s.order = freshest
    # Descending like the rest, so the index gives the whole order.
    s.order.append("l.provider_id DESC")
    return s


def count(s, cap):
    """How many listings match, counting no further than cap + 1."""
    sql = (f"SELECT COUNT(*) FROM (SELECT 1 FROM listing l "
           f"WHERE {' AND '.join(s.where)} LIMIT {int(cap) + 1}) AS matches")
    return db.execute_sql(sql, s.params).fetchone()[0]


def page(s, limit, offset):
    """One page of matching providers, with what their cards show.

    Each Provider carries extra attributes: listing_latitude/longitude,
    payer_bits, specialty_bits and credentials (licence types, comma-joined).
    """
    if is_postgres():
        tables = "listing l JOIN provider p ON p.id = l.provider_id"
    else:
        # CROSS JOIN makes SQLite loop over listings first, where the filters are.
        tables = "listing l CROSS JOIN provider p ON p.id = l.provider_id"
    columns = ", ".join(f"p.{f.column_name}" for f in CARD_FIELDS)
    sql = (f"SELECT {columns}, l.latitude, l.longitude, l.payer_bits, l.specialty_bits, "
           f"l.credentials FROM {tables} "
           f"WHERE {' AND '.join(s.where)} ORDER BY {', '.join(s.order)} "
           f"LIMIT {int(limit)} OFFSET {int(offset)}")
    params = s.params
    providers = []
    for row in db.execute_sql(sql, params).fetchall():
        values = {f.name: f.python_value(v) for f, v in zip(CARD_FIELDS, row)}
        provider = Provider(**values)
        (provider.listing_latitude, provider.listing_longitude, provider.payer_bits,
         provider.specialty_bits, credentials_text) = row[len(CARD_FIELDS):]
        provider.credentials = sorted(credentials_text.split(",")) if credentials_text else []
        providers.append(provider)
    return providers
