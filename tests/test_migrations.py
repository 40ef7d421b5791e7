"""The migrations, run in order, build exactly the schema the models describe."""
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

from alma.cli import MIGRATIONS
from alma.db import db as database
from alma.db import is_postgres
from alma.models import ALL_MODELS
from tests.conftest import load_migration


def test_it_builds_every_table_column_and_index_the_models_declare(db):
    diff = diff_models(database, ALL_MODELS)
    assert not diff, f"migrations and models differ:\n{diff}"


def test_it_agrees_with_the_models_on_which_columns_may_be_null(db):
    mismatches = []
    for model in ALL_MODELS:
        columns = {c.name: c for c in database.get_columns(model._meta.table_name)}
        for field in model._meta.sorted_fields:
            column = columns[field.column_name]
            if field.primary_key:
                continue
            if column.null != field.null:
                mismatches.append(f"{model._meta.table_name}.{field.column_name}: "
                                  f"database null={column.null}, model null={field.null}")
    assert not mismatches, "\n".join(mismatches)


def test_the_full_text_triggers_survive_every_migration(db):
    if is_postgres():
        names = {row[0] for row in database.execute_sql(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
        assert "provider_fts_refresh" in names
    else:
        names = {row[0] for row in database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"provider_fts_insert", "provider_fts_delete", "provider_fts_update"} <= names


def test_it_builds_full_text_search_from_the_database_itself(db):
    tables = database.get_tables()
    assert "provider_fts" in tables
    if is_postgres():
        indexes = {i.name for i in database.get_indexes("provider_fts")}
        assert "provider_fts_document" in indexes
    else:
        sql = database.execute_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'provider_fts'").fetchone()[0]
        assert "fts5" in sql.lower()


def test_it_reverts_every_migration_and_applies_them_again(scratch_database):
    scratch_database = scratch_database.database
    runner = Runner(scratch_database, directory=str(MIGRATIONS))
    applied = runner.up()
    assert applied == sorted(applied) and len(applied) >= 2
    with scratch_database.bind_ctx(ALL_MODELS):
        assert not diff_models(scratch_database, ALL_MODELS)

    runner.down(target=applied[0])
    remaining = set(scratch_database.get_tables()) - {"schema_migration"}
    assert remaining == set()

    assert runner.up() == applied
    with scratch_database.bind_ctx(ALL_MODELS):
        assert not diff_models(scratch_database, ALL_MODELS)


def test_members_clamped_to_the_28th_and_never_invoiced_get_their_own_day_back(db):
    import datetime

    from alma.billing import service as billing
    from alma.membership.models import Membership
    from tests import factories

    day = datetime.date
    waiting = Membership.create(provider=factories.provider(email="w@example.com"),
                                fee_cents=12500, billing_day=28, started_on=day(2026, 10, 31))
    invoiced = Membership.create(provider=factories.provider(email="i@example.com"),
                                 fee_cents=12500, billing_day=28, started_on=day(2026, 10, 30))
    billing.issue("membership_fee", [("fee", 1, 12500)], day(2026, 11, 4),
                  owed_by_provider=invoiced.provider, period=(day(2026, 10, 28),
                                                              day(2026, 11, 28)))
    on_28th = Membership.create(provider=factories.provider(email="t@example.com"),
                                fee_cents=12500, billing_day=28, started_on=day(2026, 10, 28))
    load_migration("0010_billing_day_any_day.py").up(None, database)
    days = {m.id: Membership.get_by_id(m.id).billing_day for m in (waiting, invoiced, on_28th)}
    assert days == {waiting.id: 31, invoiced.id: 28, on_28th.id: 28}


def test_text_stored_before_input_was_cleaned_is_cleaned(db):
    from alma.network.models import Client, Provider
    from tests import factories

    provider = factories.provider(first_name="Zed\nOther", last_name="Lee\u202e",
                                  bio="Line one\r\nLine\x07 two")
    client = Client.create(email="c@example.org", name="Cam\r\nClient\u200b", state="CA")
    keep = Client.create(email="k@example.org", name="Mehr\u200cnaz \U0001F600", state="CA")
    load_migration("0014_clean_stored_text.py").up(None, database)
    provider = Provider.get_by_id(provider.id)
    assert (provider.first_name, provider.last_name, provider.bio) == (
        "Zed Other", "Lee", "Line one\nLine two")
    assert Client.get_by_id(client.id).name == "Cam Client"
    assert Client.get_by_id(keep.id).name == "Mehr\u200cnaz \U0001F600"
