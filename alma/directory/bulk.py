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
import queue
import threading
from contextlib import contextmanager

from alma.db import db, is_postgres

# The search text of a provider, as the trigger provider_fts_refresh (PostgreSQL) builds it.
POSTGRES_DOCUMENT = (
    "setweight(to_tsvector('english', first_name || ' ' || last_name), 'A')"
    " || setweight(to_tsvector('english', approach), 'B')"
    " || setweight(to_tsvector('english', bio), 'C')")
# SQLite's page cache while loading: the whole directory fits, so no page is written twice.
SQLITE_LOAD_CACHE_KIB = 1 << 20  # 1 GiB


def insert(model, fields, rows, cursor=None):
    """Insert plain tuples fast: no per-row objects, the driver's bulk interface.

    On PostgreSQL, COPY in CSV, where an unquoted empty field is NULL: an empty string
    would load as NULL, so rows must hold None rather than "" (the demo writes no "").
    """
    if rows:
        _send(cursor or db.cursor(), model, fields, _prepare(rows))


def _prepare(rows):
    if not is_postgres():
        return rows
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    buffer.seek(0)
    return buffer


def _send(cursor, model, fields, prepared):
    table = model._meta.table_name
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    if is_postgres():
        cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT csv)',
                           prepared)
    else:
        marks = ", ".join("?" for _ in fields)
        cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', prepared)


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


@contextmanager
def foreign_keys_dropped(tables):
    """On PostgreSQL, drop the tables' foreign keys and add them again on leaving, which
    checks every row in one join instead of a lookup per row. (SQLite's checks are cheap.)"""
    if not is_postgres():
        yield
        return
    dropped = db.execute_sql(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE c.contype = 'f' AND t.relname = ANY(%s) AND n.nspname = current_schema() "
        "ORDER BY 1, 2", (list(tables),)).fetchall()
    for table, name, _ in dropped:
        db.execute_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    for table, name, definition in dropped:
        db.execute_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _sqlite_triggers(table):
    return db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                          "AND tbl_name = ? ORDER BY name", (table,)).fetchall()


@contextmanager
def search_text_deferred():
    """Providers go in without the per-row full-text trigger, whose work index_text then
    does for a range of them in one statement; the trigger is back on leaving."""
    if is_postgres():
        db.execute_sql("ALTER TABLE provider DISABLE TRIGGER provider_fts_refresh")
        with indexes_dropped(["provider_fts"]):
            yield
        db.execute_sql("ALTER TABLE provider ENABLE TRIGGER provider_fts_refresh")
        return
    triggers = _sqlite_triggers("provider")
    for name, _ in triggers:
        db.execute_sql(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in triggers:
        db.execute_sql(sql)
    # Loaded in one go, the index is a dozen segments, and every lookup of a word
    # searches each of them: merged into one, a listing's test costs a third.
    db.execute_sql("INSERT INTO provider_fts(provider_fts) VALUES ('optimize')")


def index_text(first_id, last_id, cursor=None):
    """What the full-text trigger does on insert, for the providers first_id..last_id."""
    cursor = cursor or db.cursor()
    if is_postgres():
        cursor.execute(f"INSERT INTO provider_fts (provider_id, document) SELECT id, "
                       f"{POSTGRES_DOCUMENT} FROM provider WHERE id BETWEEN %s AND %s "
                       f"ORDER BY id", (first_id, last_id))
    else:
        cursor.execute("INSERT INTO provider_fts(rowid, first_name, last_name, bio, approach) "
                       "SELECT id, first_name, last_name, bio, approach FROM provider "
                       "WHERE id BETWEEN ? AND ? ORDER BY id", (first_id, last_id))


class Writer:
    """Writes batches of rows while the caller makes the next: on PostgreSQL a thread of
    its own sends them on the caller's connection (the server then works while Python
    generates); on SQLite, where the work is all in this process, at once.

    The caller must not use the connection between the first put and close.
    """

    def __init__(self, after=None):
        self.after = after  # called with the batch's cursor and key once it is written
        self.failure = None
        self.thread = None
        if is_postgres():
            self.connection = db.connection()
            self.queue = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
            self.thread.start()

    def put(self, batches, key=None):
        """batches: (model, fields, rows) to insert in this order."""
        # Made ready here (CSV on PostgreSQL), so the thread only waits on the server.
        batches = [(model, fields, _prepare(rows)) for model, fields, rows in batches if rows]
        if self.thread is None:
            self._write(db.cursor(), batches, key)
            return
        self._raise()
        self.queue.put((batches, key))

    def close(self):
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self._raise()

    def _raise(self):
        if self.failure is not None:
            raise self.failure

    def _run(self):
        cursor = self.connection.cursor()
        while (item := self.queue.get()) is not None:
            if self.failure is None:
                try:
                    self._write(cursor, *item)
                except Exception as failure:  # re-raised in the caller's thread
                    self.failure = failure

    def _write(self, cursor, batches, key):
        for model, fields, prepared in batches:
            _send(cursor, model, fields, prepared)
        if self.after:
            self.after(cursor, key)


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

