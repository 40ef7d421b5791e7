"""A realistic, deterministic demo directory, built with bulk inserts.

Same count and random seed, same directory. Places come from the packaged
zip-code data (alma.geo), names from Faker's US name lists, NPIs pass the
Luhn check. Some providers must never be listed (pre-licensed, expired
licence, paused or departed members, hidden listings) so the directory's
rules can be seen at work.
"""
import datetime
import random
import unicodedata
from bisect import bisect
from itertools import accumulate

from faker.providers.person.en_US import Provider as Names
from peewee import fn

from alma import geo
from alma.clock import today
from alma.db import db, is_postgres
from alma.directory import bulk, honesty, service
from alma.directory.models import Listing
from alma.network import vocab
from alma.network.models import (Language, License, Modality, NetworkParticipation, Payer,
                                 Provider, ProviderLanguage, ProviderModality, ProviderSpecialty,
                                 ServiceState, Specialty)

# Every demo provider confirmed whether they accept new clients within this many
# days: a week before the worker would first ask them (honesty.ASK_AFTER_DAYS).
QUIET_DAYS = honesty.ASK_AFTER_DAYS - 7

OPERATING_STATES = ["AZ", "CA", "CO", "CT", "DC", "FL", "GA", "IL", "MA", "MD", "MI", "MN",
                    "NC", "NJ", "NV", "NY", "OH", "OR", "PA", "TN", "TX", "VA", "WA", "WI"]

FULL_TYPES = {"LCSW": 26, "LMFT": 17, "LPC": 15, "LMHC": 8, "PsyD": 7, "PhD": 8,
              "PMHNP": 5, "MD": 3, "LPCC": 4, "LICSW": 2}
PRE_LICENSED_TYPES = ["LMSW", "AMFT", "LPC-Associate"]
TITLE = {"LCSW": "clinical social worker", "LICSW": "clinical social worker",
         "LMFT": "marriage and family therapist", "LPC": "professional counselor",
         "LPCC": "professional clinical counselor", "LMHC": "mental health counselor",
         "PsyD": "psychologist", "PhD": "psychologist", "LLP": "psychologist",
         "PMHNP": "psychiatric nurse practitioner", "MD": "psychiatrist",
         "LMSW": "social worker", "AMFT": "associate marriage and family therapist",
         "LPC-Associate": "associate counselor"}
PAYER_SHARE = {"unitedhealthcare": 0.42, "oxford": 0.12, "oscar": 0.15, "optum": 0.30,
               "aetna": 0.40, "cigna": 0.30, "bcbs": 0.33, "anthem": 0.18, "humana": 0.08}
CANCELLATION = [
    "Please give 24 hours' notice to cancel or reschedule. Late cancellations and missed "
    "sessions are charged the full session fee.",
    "Cancel at least 48 hours ahead at no charge. Later cancellations are charged $75.",
    "I ask for 24 hours' notice. The first late cancellation is waived; after that the "
    "fee is half the session rate.",
    "Cancellations with less than 24 hours' notice are charged $100, except for emergencies.",
]
OPENERS = [
    "I'm a {title} in {city} who works with {ages} facing {concerns}.",
    "As a {title} based in {city}, I help {ages} through {concerns}.",
    "I work with {ages} who are navigating {concerns}, from my practice in {city}.",
    "Many of the people I see come to me with {concerns}. I'm a {title} in {city}, "
    "working with {ages}.",
]
MIDDLES = [
    "Therapy with me is collaborative and practical: we start with what feels most pressing.",
    "I believe change happens in a relationship where you feel heard, not judged.",
    "My clients describe sessions as warm, direct and sometimes funny.",
    "Together we'll look at patterns, build skills, and make room for what matters to you.",
    "I'm especially drawn to work with first-generation professionals, caregivers and "
    "people in helping professions.",
    "I bring curiosity and steadiness to the hard conversations.",
    "Before private practice I worked in community mental health and hospital settings.",
    "I welcome clients of every background, faith, body and identity.",
]
CLOSERS = [
    "I have {years} years of experience.",
    "I've been in practice for {years} years.",
    "Reach out for a free 15-minute phone consultation to see if we're a fit.",
    "I offer evening appointments for people who work during the day.",
]
APPROACHES = [
    "I draw mainly on {modalities}, adapted to what each client needs.",
    "My approach combines {modalities}.",
    "Sessions are structured but flexible, grounded in {modalities}.",
    "I'm trained in {modalities} and use them alongside plain good listening.",
]


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# Luhn: every second digit from the right (the check digit's place being the first)
# is doubled, and a doubled digit above 9 counts as the sum of its digits.
_DOUBLED = [(2 * d) // 10 + (2 * d) % 10 for d in range(10)]


def _npi(index):
    # Ten digits: "1" (an individual), eight that differ for every provider,
    # and a Luhn check digit over "80840" + the first nine.
    first_nine = f"1{(index * 7919 + 13579) % 10**8:08d}"
    digits = [int(d) for d in "80840" + first_nine]
    total = sum(_DOUBLED[d] for d in digits[-1::-2]) + sum(digits[-2::-2])
    return first_nine + str(-total % 10)


def _join(items):
    items = [i[0].lower() + i[1:] if not i.isupper() and not i[:3].isupper() else i
             for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class _Weighted:
    """rng.choices(items, weights)[0], with the running totals worked out once.

    The same arithmetic as random.Random.choices (one rng.random() per pick), so the
    same picks from the same generator.
    """

    def __init__(self, items, weights):
        self.items = list(items)
        self.totals = list(accumulate(weights))
        self.total = self.totals[-1] + 0.0
        self.hi = len(self.items) - 1

    def pick(self, rng):
        return self.items[bisect(self.totals, rng.random() * self.total, 0, self.hi)]


def _weighted(table):
    return _Weighted(table, table.values())


GENDER = _weighted({"woman": 62, "man": 30, "nonbinary": 8})
FULL_TYPE = _weighted(FULL_TYPES)
STATUS = _weighted({"active": 96, "paused": 2, "left": 2})


class _Names:
    def __init__(self):
        self.women = _weighted(Names.first_names_female)
        self.men = _weighted(Names.first_names_male)
        self.last = _weighted(Names.last_names)

    def pick(self, rng, gender):
        if gender == "woman" or (gender == "nonbinary" and rng.random() < 0.5):
            pool = self.women
        else:
            pool = self.men
        return pool.pick(rng), self.last.pick(rng)


def _clear():
    for model in (Listing, NetworkParticipation, ProviderLanguage, ProviderModality,
                  ProviderSpecialty, License):
        model.delete().execute()
    Provider.delete().execute()


def _launch_demo_states(on):
    ServiceState.update(operating=False, launched_on=None).execute()
    ServiceState.update(operating=True, launched_on=on - datetime.timedelta(days=400)).where(
        ServiceState.code.in_(OPERATING_STATES)).execute()
    vocab.forget()


class _Generator:
    def __init__(self, seed, on):
        self.rng = random.Random(seed)
        self.on = on
        self.joined = datetime.datetime.combine(on, datetime.time(12)) - datetime.timedelta(
            days=400)
        self.names = _Names()
        by_state = geo.zips_by_state()
        self.places = {code: by_state[code] for code in by_state if code in by_state}
        operating = [s for s in OPERATING_STATES if s in self.places]
        # Providers live roughly where people do: weight states by zip codes.
        self.home_states = _Weighted(operating, [len(self.places[s]) for s in operating])
        self.other_states = [s for s in self.places if len(s) == 2 and s.isalpha()]
        self.specialties = list(Specialty.select(Specialty.id, Specialty.name))
        self.modalities = list(Modality.select(Modality.id, Modality.name))
        self.languages = {row.name: row.id for row in Language.select()}
        self.other_languages = [v for k, v in self.languages.items() if k != "English"]
        self.payers = {row.slug: row.id for row in Payer.select()}

    def provider(self, pid):
        rng, on = self.rng, self.on
        gender = GENDER.pick(rng)
        pronouns = {"woman": "she/her", "man": "he/him", "nonbinary": "they/them"}[gender]
        first, last = self.names.pick(rng, gender)
        home = self.home_states.pick(rng)
        place = rng.choice(self.places[home])
        kind_roll = rng.random()
        if kind_roll < 0.03:
            kind, level = rng.choice(PRE_LICENSED_TYPES), "pre_licensed"
        elif kind_roll < 0.06:
            kind, level = "LLP", "limited"
        else:
            kind, level = FULL_TYPE.pick(rng), "full"
        supervised = level != "pre_licensed" and rng.random() < 0.05

        telehealth = rng.random() < 0.85
        in_person = rng.random() < 0.55 or not telehealth
        ages = {"children": rng.random() < 0.12, "teens": rng.random() < 0.30,
                "adults": rng.random() < 0.95, "older_adults": rng.random() < 0.35}
        if not any(ages.values()):
            ages["adults"] = True
        cash = rng.randrange(90, 255, 5) * 100 if rng.random() < 0.92 else None
        sliding = cash is not None and rng.random() < 0.3
        accepting = rng.random() < 0.62
        # Recent enough that no job asks anyone on the demo's first days.
        confirmed = on - datetime.timedelta(days=int(rng.expovariate(1 / 12)) % QUIET_DAYS)
        specialties = rng.sample(self.specialties, rng.randint(3, 7))
        modalities = rng.sample(self.modalities, rng.randint(2, 4))
        age_words = [w for w, on_ in (("children", ages["children"]), ("teens", ages["teens"]),
                                      ("adults", ages["adults"]),
                                      ("older adults", ages["older_adults"])) if on_]
        bio = " ".join([
            rng.choice(OPENERS).format(title=TITLE[kind], city=place.city, ages=_join(age_words),
                                       concerns=_join([s.name for s in specialties[:3]])),
            *rng.sample(MIDDLES, 2),
            rng.choice(CLOSERS).format(years=rng.randint(3, 30)),
        ])
        approach = rng.choice(APPROACHES).format(modalities=_join([m.name for m in modalities]))
        slug_base = _ascii(f"{first}-{last}").lower().replace(" ", "-").replace("'", "")
        status = STATUS.pick(rng)
        row = (
            pid, f"{slug_base}-{pid}", first, last, f"{slug_base}.{pid}@example.com",
            f"(555) 01{pid % 100:02d}-{pid % 10000:04d}", _npi(pid), gender,
            pronouns if rng.random() < 0.85 else None, bio, approach,
            place.zip, place.city, place.state, place.latitude, place.longitude,
            telehealth, in_person, ages["children"], ages["teens"], ages["adults"],
            ages["older_adults"], cash, sliding, (cash // 2 // 500 * 500) if sliding else None,
            rng.choice(CANCELLATION), True, rng.random() < 0.6, accepting, confirmed, status,
            rng.random() < 0.01, self.joined, self.joined,
        )

        expired = rng.random() < 0.02
        expires = on + datetime.timedelta(days=-rng.randint(1, 200) if expired
                                          else rng.randint(60, 1100))
        licenses = [(pid, home, kind, f"{kind}-{home}-{100000 + pid}", level, supervised,
                     "Dr. Jordan Ellis" if supervised else None,
                     f"LCSW-{home}-2{pid % 100000:05d}" if supervised else None, expires)]
        if rng.random() < 0.18:
            second = rng.choice(self.other_states)
            if second != home:
                licenses.append((pid, second, kind, f"{kind}-{second}-{200000 + pid}", level,
                                 supervised, licenses[0][6], licenses[0][7],
                                 on + datetime.timedelta(days=rng.randint(60, 1100))))

        languages = [self.languages["English"]] if rng.random() < 0.97 else []
        if rng.random() < 0.18 or not languages:
            extra = rng.choice(self.other_languages)
            languages.append(extra)
        participations = []
        if level == "full":
            for slug, share in PAYER_SHARE.items():
                if slug in self.payers and rng.random() < share:
                    starts = on - datetime.timedelta(days=rng.randint(30, 2500))
                    ends = None
                    if rng.random() < 0.05:
                        ends = on - datetime.timedelta(days=rng.randint(1, 25))
                    elif rng.random() < 0.03:
                        starts = on + datetime.timedelta(days=rng.randint(5, 40))
                    via = "group" if rng.random() < 0.55 else "individual"
                    participations.append((pid, self.payers[slug], via, starts, ends))
        return (row, licenses, [(pid, s.id) for s in specialties],
                [(pid, m.id) for m in modalities], [(pid, lang) for lang in languages],
                participations)


PROVIDER_FIELDS = [
    Provider.id, Provider.slug, Provider.first_name, Provider.last_name, Provider.email,
    Provider.phone, Provider.npi, Provider.gender, Provider.pronouns, Provider.bio,
    Provider.approach, Provider.office_zip, Provider.office_city, Provider.office_state,
    Provider.latitude, Provider.longitude, Provider.offers_telehealth, Provider.offers_in_person,
    Provider.serves_children, Provider.serves_teens, Provider.serves_adults,
    Provider.serves_older_adults, Provider.cash_rate_cents, Provider.sliding_scale,
    Provider.sliding_scale_min_cents, Provider.cancellation_policy, Provider.contact_by_email,
    Provider.contact_by_text, Provider.accepting_new_clients, Provider.accepting_confirmed_on,
    Provider.membership_status, Provider.listing_hidden, Provider.created_at,
    Provider.updated_at,
]
LICENSE_FIELDS = [License.provider, License.state, License.license_type, License.number,
                  License.level, License.under_supervision, License.supervisor_name,
                  License.supervisor_license, License.expires_on]


LINKS = [
    (ProviderSpecialty, [ProviderSpecialty.provider, ProviderSpecialty.specialty]),
    (ProviderModality, [ProviderModality.provider, ProviderModality.modality]),
    (ProviderLanguage, [ProviderLanguage.provider, ProviderLanguage.language]),
    (NetworkParticipation, [NetworkParticipation.provider, NetworkParticipation.payer,
                            NetworkParticipation.via, NetworkParticipation.starts_on,
                            NetworkParticipation.ends_on]),
]
LOADED = [(Provider, PROVIDER_FIELDS), (License, LICENSE_FIELDS), *LINKS]


def seed(count, random_seed=2026, on=None, chunk=5000, progress=None):
    """Replace the directory with `count` generated providers, in one transaction.

    The rows go in with their tables' secondary indexes and the full-text trigger set
    aside, which are built again from all the rows at once (see alma.directory.bulk).
    """
    on = on or today()  # the app's day (UTC), so seeding and the listings agree
    with db.atomic(), bulk.loading():
        _clear()
        _launch_demo_states(on)
        generator = _Generator(random_seed, on)
        tables = [model._meta.table_name for model, _ in LOADED]
        with (bulk.foreign_keys_dropped([*tables, "provider_fts"]),
              bulk.search_text_deferred(), bulk.indexes_dropped(tables)):
            writer = bulk.Writer(after=lambda cursor, ids: bulk.index_text(*ids, cursor))
            try:
                for start in range(0, count, chunk):
                    last = min(start + chunk, count)
                    batches = ([], [], [], [], [], [])
                    for pid in range(start + 1, last + 1):
                        row, *links = generator.provider(pid)
                        batches[0].append(row)
                        for batch, items in zip(batches[1:], links):
                            batch.extend(items)
                    writer.put([(model, fields, rows) for (model, fields), rows
                                in zip(LOADED, batches)], key=(start + 1, last))
                    if progress and count > chunk:
                        progress(f"  {last:,} / {count:,} providers")
            finally:
                writer.close()
        if is_postgres():
            # Ids were given explicitly; move the sequence past them.
            db.execute_sql("SELECT setval(pg_get_serial_sequence('provider', 'id'), "
                           "(SELECT COALESCE(MAX(id), 1) FROM provider))")
        # Every provider in one pass (nobody else writes meanwhile); the listing's
        # search indexes are built after it, but the one its primary flag is found by.
        with bulk.indexes_dropped(["listing"], keep={"listing_provider_id_state"}):
            service.reindex(on=on, chunk=count + 1, gaps=False)
    # Fresh statistics for the planner; on PostgreSQL a VACUUM also builds the
    # visibility map that lets searches read covering indexes alone.
    if is_postgres() and not db.in_transaction():
        db.execute_sql("VACUUM ANALYZE")
    else:
        db.execute_sql("ANALYZE")
    return {
        "providers": count,
        "listings": Listing.select(fn.COUNT(Listing.id)).scalar(),
        "operating_states": OPERATING_STATES,
    }
