"""The demo directory's data, pinned: the bulk loader may change, what it loads may not.

The digest covers every row and value the seed writes (providers, licences, links,
participations, listings, the operating states) and the full-text index as the
database holds it. It was computed with the row-by-row loader this one replaced.
"""
import datetime
import hashlib

import pytest

from alma.db import is_postgres
from alma.directory import demo
from alma.directory.models import Listing
from alma.network.models import (License, NetworkParticipation, Provider, ProviderLanguage,
                                 ProviderModality, ProviderSpecialty, ServiceState)

ON = datetime.date(2026, 11, 26)

# Surrogate ids are left out: on PostgreSQL a sequence is never rolled back, so they
# depend on what was inserted before. Rows keep their order of insertion (by id), but
# listings, whose order is whatever order the database groups rows in, are known by
# (provider, state).
LISTING_ORDER = (Listing.provider, Listing.state)
TABLES = [
    (Provider, (Provider.id,)),
    (License, (License.id,)),
    (ProviderSpecialty, (ProviderSpecialty.provider, ProviderSpecialty.specialty)),
    (ProviderModality, (ProviderModality.provider, ProviderModality.modality)),
    (ProviderLanguage, (ProviderLanguage.provider, ProviderLanguage.language)),
    (NetworkParticipation, (NetworkParticipation.id,)),
    (Listing, LISTING_ORDER),
    (ServiceState, (ServiceState.code,)),
]


def _rows(model, order):
    fields = [f for f in model._meta.sorted_fields
              if not (model in (License, NetworkParticipation, Listing) and f.name == "id")]
    return model.select(*fields).order_by(*order).tuples()


def _search_index(database):
    """Every term of the full-text index, where it occurs."""
    if is_postgres():
        return database.execute_sql(
            "SELECT provider_id, document::text FROM provider_fts ORDER BY provider_id")
    database.execute_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.provider_fts_terms "
                         "USING fts5vocab(main, provider_fts, 'instance')")
    return database.execute_sql("SELECT term, doc, col, offset FROM temp.provider_fts_terms "
                                "ORDER BY term, doc, col, offset")


def digests(database):
    found = {}
    for model, order in TABLES:
        found[model._meta.table_name] = hashlib.sha256(
            repr(list(_rows(model, order))).encode()).hexdigest()
    found["provider_fts"] = hashlib.sha256(
        repr([tuple(row) for row in _search_index(database)]).encode()).hexdigest()
    return found


# demo.seed(500, random_seed=2026, on=ON), before the loader was rewritten. The two databases
# differ (the vocabulary is read in each one's own order, floats and booleans read back
# in each one's types), each always the same.
PINNED = {
    "sqlite": {
        "provider": "f1e07f5e76b0ae67ba67aaf4fcb67be4ea5043d75c0d0e020800b8c4efa83efd",
        "license": "18ac042411d96723370394d058f1e65cf52e06e162b33fff1bb7c5fb0eb0b921",
        "provider_specialty": "54d9d213818861647d029bb26ebce8a54432c31427570b1dc7f862809deb89f4",
        "provider_modality": "55ffb9ad1113ac3ea55413e31738ed7798ad3df3dbeb6e3c05a835b16a8f06fd",
        "provider_language": "7577467c352635a72ea2a4a4918deae3006e21c22463228bdf43d07df54d59f6",
        "network_participation":
            "0df9521ea8ca500febd20fc2388d2f1bd9a9961a5d50f395cbf34eef9032e963",
        "listing": "e4f8f2d40cbfae331a9942a76ee005a5539d22764b67008123527fc98db080e2",
        "service_state": "131cb17bba40d014f390316a079236d8b519528a52e289326fe2e90a1b1b4a1b",
        "provider_fts": "8e3b74a154c03c858c578030db597f57539f6a9fc6d5497ce16a64cc0082342c",
    },
    "postgres": {
        "provider": "9accf0e9f15fb6513bb53bd66cfa3dc55ba45157e67f0713fa20a47eea1849c7",
        "license": "18ac042411d96723370394d058f1e65cf52e06e162b33fff1bb7c5fb0eb0b921",
        "provider_specialty": "1d296d79a0f47dfbfe5ebbb632c924714a47d68de723bd301519d7997b415651",
        "provider_modality": "3c0425743601432f348f1cb4267d4b076c6152d109ff7cc456df455d296992b5",
        "provider_language": "7577467c352635a72ea2a4a4918deae3006e21c22463228bdf43d07df54d59f6",
        "network_participation":
            "0df9521ea8ca500febd20fc2388d2f1bd9a9961a5d50f395cbf34eef9032e963",
        "listing": "378bc07beba5b65efb93a73d94bbe85124ebbd6a67714c4ff795edc928d0cdba",
        "service_state": "131cb17bba40d014f390316a079236d8b519528a52e289326fe2e90a1b1b4a1b",
        "provider_fts": "81c7c4b4990b4a397d9c68bc623087900521faf06c65475471886f1368c827c4",
    },
}


def schema(database):
    """Every index and trigger, as defined (and on PostgreSQL whether each trigger fires,
    and every constraint)."""
    if is_postgres():
        return database.execute_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "UNION ALL SELECT tgname, tgenabled::text FROM pg_trigger WHERE NOT tgisinternal "
            "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "ORDER BY 1, 2").fetchall()
    return database.execute_sql("SELECT type, name, sql FROM sqlite_master "
                                "WHERE type IN ('index', 'trigger') ORDER BY name").fetchall()


@pytest.mark.parametrize("chunk", [5000, 64])  # in one batch, and in eight
def test_the_demo_directory_is_the_one_it_always_was(db, chunk):
    before = schema(db)
    summary = demo.seed(500, random_seed=2026, on=ON, chunk=chunk)
    assert summary["providers"] == 500
    assert digests(db) == PINNED["postgres" if is_postgres() else "sqlite"]
    assert schema(db) == before  # the indexes set aside while loading are all back


def test_the_full_text_index_follows_providers_after_a_seed(db):
    """The trigger set aside while loading works again afterwards."""
    demo.seed(20, random_seed=2026, on=ON)
    Provider.update(bio="Zanzibarian expeditions").where(Provider.id == 7).execute()
    if is_postgres():
        found = db.execute_sql("SELECT provider_id FROM provider_fts WHERE document @@ "
                               "to_tsquery('english', 'zanzibarian')").fetchall()
    else:
        found = db.execute_sql("SELECT rowid FROM provider_fts WHERE provider_fts MATCH "
                               "'zanzibarian'").fetchall()
    assert [row[0] for row in found] == [7]
