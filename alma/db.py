"""Everything about the database connection in one place.

`db` is a proxy bound in create_app, so models can be imported before the
app exists (the CLI, migrations and tests all rely on it).
"""
from urllib.parse import unquote, urlparse

import psycopg2.extensions
from flask import g
from gevent import monkey
from gevent.socket import wait_read, wait_write
from peewee import DatabaseProxy, Model, PostgresqlDatabase, SqliteDatabase, fn
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
    "cache_size": -64000,  # 64 MB
    "temp_store": "memory",
    "mmap_size": 1 << 30,  # read pages straight from the OS cache
}


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def make_database(url, pool_size=8, pool_timeout=None):
    """The database at url: a pool of pool_size connections (none when 0).

    When every pooled connection is in use, a caller waits up to
    pool_timeout seconds for one to come back (None: fails at once with
    MaxConnectionsExceeded). Under gevent a worker runs many requests at
    once, so they must queue for a connection rather than fail.
    """
    parsed = urlparse(url)
    # peewee reads a timeout of 0 as "wait forever": here 0 means don't wait.
    wait = pool_timeout or None
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path, sqlite:////absolute/path, sqlite:///:memory:
        path = unquote(url.split("sqlite:///", 1)[1]) if url.startswith("sqlite:///") else ""
        # BEGIN IMMEDIATE: a transaction takes the write lock when it starts, so
        # concurrent writers (the web app, workers) wait their turn under
        # busy_timeout instead of failing with "database is locked" when a
        # transaction that began by reading tries to write.
        options = {"pragmas": SQLITE_PRAGMAS, "lock_type": "IMMEDIATE"}
        if pool_size and path and path != ":memory:":
            # Pooled, so a connection (and its page cache) outlives the thread
            # or greenlet that used it, and their number stays bounded. A pool
            # hands a connection to one thread at a time, whichever it is.
            return PooledSqliteDatabase(path, max_connections=pool_size, timeout=wait,
                                        check_same_thread=False, **options)
        return SqliteDatabase(path or ":memory:", **options)
    if parsed.scheme in {"postgres", "postgresql"}:
        params = {
            "host": parsed.hostname,
            "port": parsed.port,
            "user": unquote(parsed.username) if parsed.username else None,
            "password": unquote(parsed.password) if parsed.password else None,
        }
        params = {k: v for k, v in params.items() if v is not None}
        name = parsed.path.lstrip("/")
        if pool_size:
            return PooledPostgresqlDatabase(
                name, max_connections=pool_size, stale_timeout=300, timeout=wait, **params)
        return PostgresqlDatabase(name, **params)
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme!r}")


def is_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


def init_app(app):
    db.initialize(make_database(app.config["DATABASE_URL"], app.config["DB_POOL_SIZE"],
                                app.config["DB_POOL_TIMEOUT"]))
    if monkey.is_module_patched("socket"):
        # A gevent worker (gunicorn.conf.py): psycopg2 is C and would otherwise hold the
        # worker's one thread for as long as PostgreSQL takes to answer, and every other
        # request of the worker (/healthz too) would wait behind a slow query.
        psycopg2.extensions.set_wait_callback(_wait_as_a_greenlet)

    # Peewee connects on first use; the connection goes back to the pool
    # after each request, so no request keeps one while it is not running.
    # A test may hold the connection inside a transaction it will roll back;
    # a request never closes a connection it did not open.
    @app.before_request
    def _note_connection():
        g._db_was_open = not db.is_closed()

    @app.teardown_request
    def _close_connection(exc):
        if _keeps_connection_per_thread():
            return
        if not g.pop("_db_was_open", True) and not db.is_closed():
            db.close()


def _wait_as_a_greenlet(connection):
    """psycopg2's wait callback: poll the connection, yielding to other greenlets meanwhile."""
    while True:
        state = connection.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            wait_read(connection.fileno())
        elif state == psycopg2.extensions.POLL_WRITE:
            wait_write(connection.fileno())
        else:
            raise psycopg2.OperationalError(f"unexpected poll state {state!r}")


def _keeps_connection_per_thread():
    # An unpooled SQLite database (ALMA_DB_POOL_SIZE=0, or :memory:) keeps one
    # connection per thread: closing it would lose its cache, or its data.
    return isinstance(db.obj, SqliteDatabase) and not isinstance(db.obj, PooledDatabase)


def seconds_between(later, earlier):
    """SQL for the seconds from `earlier` to `later` (two datetime columns), in either database
    (SQLite's, from fractional days, rounded to the millisecond: exactly 2 days is 172800)."""
    if is_postgres():
        return fn.date_part("epoch", later - earlier)
    return fn.ROUND((fn.julianday(later) - fn.julianday(earlier)) * 86400, 3)
