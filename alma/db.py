"""Everything about the database connection in one place.

`db` is a proxy bound in create_app, so models can be imported before the
app exists (the CLI, migrations and tests all rely on it).
"""
from urllib.parse import unquote, urlparse

from flask import g
from peewee import DatabaseProxy, Model, PostgresqlDatabase, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

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


def make_database(url, pool_size=8):
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path, sqlite:////absolute/path, sqlite:///:memory:
        path = unquote(url.split("sqlite:///", 1)[1]) if url.startswith("sqlite:///") else ""
        # BEGIN IMMEDIATE: a transaction takes the write lock when it starts, so
        # concurrent writers (the web app, workers) wait their turn under
        # busy_timeout instead of failing with "database is locked" when a
        # transaction that began by reading tries to write.
        return SqliteDatabase(path or ":memory:", pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
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
                name, max_connections=pool_size, stale_timeout=300, **params)
        return PostgresqlDatabase(name, **params)
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme!r}")


def is_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


def init_app(app):
    db.initialize(make_database(app.config["DATABASE_URL"], app.config["DB_POOL_SIZE"]))

    # Peewee connects on first use. A PostgreSQL connection goes back to the
    # pool after each request. A SQLite connection stays open for its thread:
    # closing it would throw away its page cache and make every request read
    # the database file afresh (measured: several times slower).
    # A test may hold the connection inside a transaction it will roll back;
    # a request never closes a connection it did not open.
    @app.before_request
    def _note_connection():
        g._db_was_open = not db.is_closed()

    @app.teardown_request
    def _close_connection(exc):
        if not is_postgres():
            return
        if not g.pop("_db_was_open", True) and not db.is_closed():
            db.close()
