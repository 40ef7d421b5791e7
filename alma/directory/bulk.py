"""Loading many rows at once, for the demo directory (a staging or demo site, the benchmark).

Everything happens in the caller's one transaction: a failure leaves the directory as it
was, with every index and trigger. While the rows go in, the loaded tables' secondary
indexes are dropped and built again afterwards (one sort each, instead of an insert into a
B-tree per row), and the full-text index is filled in one statement from the providers'
rows instead of by the per-row trigger, with the very terms the trigger would have written
(see migrations/0001_initial.py).
"""
import csv
import io
from contextlib import contextmanager

from alma.db import db, is_postgres

# The search text of a provider, as the trigger provider_fts_refresh (PostgreSQL) builds it.
POSTGRES_DOCUMENT = (
    "setweight(to_tsvector('english', first_name || ' ' || last_name), 'A')"
    " || setweight(to_tsvector('english', approach), 'B')"
    " || setweight(to_tsvector('english', bio), 'C')")
# SQLite's page cache while loading: the whole directory fits, so no page is written twice.
SQLITE_LOAD_CACHE_KIB = 1 << 20  # 1 GiB


def insert(model, fields, rows):
    """Insert plain tuples fast: no per-row objects, the driver's bulk interface.

    On PostgreSQL, COPY in CSV, where an unquoted empty field is NULL: an empty string
    would load as NULL, so rows must hold None rather than "" (the demo writes no "").
    """
    if not rows:
        return
    table = model._meta.table_name
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    if is_postgres():
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        db.cursor().copy_expert(f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT csv)',
                                buffer)
    else:
        marks = ", ".join("?" for _ in fields)
        db.cursor().executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)


def _secondary_indexes(table):
    """(name, definition) of the table's indexes that no constraint (primary key) owns."""
    if is_postgres():
        return db.execute_sql(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE t.relname = %s AND n.nspname = current_schema() "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "ORDER BY i.relname", (table,)).fetchall()
    return db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name", (table,)).fetchall()


@contextmanager
def indexes_dropped(tables, keep=()):
    """Drop the tables' secondary indexes (but those named in keep), build them on leaving."""
    dropped = [(name, sql) for table in tables for name, sql in _secondary_indexes(table)
               if name not in keep]
    for name, _ in dropped:
        db.execute_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in dropped:
        db.execute_sql(sql)


def _sqlite_triggers(table):
    return db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                          "AND tbl_name = ? ORDER BY name", (table,)).fetchall()


@contextmanager
def search_text_deferred():
    """Providers come and go without the per-row full-text trigger; on leaving, the
    full-text index is rebuilt from every provider at once."""
    if is_postgres():
        db.execute_sql("ALTER TABLE provider DISABLE TRIGGER provider_fts_refresh")
        with indexes_dropped(["provider_fts"]):
            yield
            db.execute_sql("DELETE FROM provider_fts")
            db.execute_sql(f"INSERT INTO provider_fts (provider_id, document) "
                           f"SELECT id, {POSTGRES_DOCUMENT} FROM provider ORDER BY id")
        db.execute_sql("ALTER TABLE provider ENABLE TRIGGER provider_fts_refresh")
        return
    triggers = _sqlite_triggers("provider")
    for name, _ in triggers:
        db.execute_sql(f'DROP TRIGGER "{name}"')
    yield
    # An external-content table: 'rebuild' reads every provider's columns afresh.
    db.execute_sql("INSERT INTO provider_fts(provider_fts) VALUES ('rebuild')")
    for _, sql in triggers:
        db.execute_sql(sql)


@contextmanager
def loading():
    """Settings for one big load on this connection, put back afterwards."""
    if is_postgres():
        # Index builds sort in memory (SET LOCAL: this transaction only).
        db.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")
        yield
        return
    (before,) = db.execute_sql("PRAGMA cache_size").fetchone()
    db.execute_sql(f"PRAGMA cache_size = -{SQLITE_LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA cache_size = {before}")

