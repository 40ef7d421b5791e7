"""Fixtures: the app on a real database (SQLite, or PostgreSQL from TEST_DATABASE_URL).

The schema is built once per run by the migrations themselves. Each test
runs inside a transaction that is rolled back, so tests never see each
other's rows. Browser tests, which need committed data visible to a server
thread, use the `live_server` fixture in tests/browser/conftest.py instead.
"""
import os
import tempfile

os.environ["ALMA_ENV"] = "test"
os.environ.setdefault("ALMA_LOG_REQUESTS", "0")

import pytest  # noqa: E402

from alma import create_app  # noqa: E402
from alma.cli import upgrade  # noqa: E402
from alma.db import db as database  # noqa: E402
from alma.db import is_postgres  # noqa: E402
from alma.directory import vocab  # noqa: E402


def _test_database_url(tmp_dir):
    url = os.environ.get("TEST_DATABASE_URL")
    return url or f"sqlite:///{tmp_dir}/test.db"


def reset_schema():
    """Drop everything, then build the schema by running every migration."""
    if is_postgres():
        database.execute_sql("DROP SCHEMA public CASCADE")
        database.execute_sql("CREATE SCHEMA public")
    else:
        database.close()
        path = database.obj.database
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        database.connect()
    upgrade()


@pytest.fixture(scope="session")
def app():
    with tempfile.TemporaryDirectory() as tmp_dir:
        app = create_app({
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": _test_database_url(tmp_dir),
            "INSTANCE_PATH": tmp_dir,
            "BASE_URL": "http://localhost",
            "SERVER_NAME": None,
        })
        with app.app_context():
            database.connect(reuse_if_open=True)
            reset_schema()
            database.close()
        yield app
        if not database.is_closed():
            database.close()


@pytest.fixture
def db(app):
    """A connection in a transaction that is rolled back after the test."""
    vocab.forget()
    database.connect(reuse_if_open=True)
    with database.atomic() as transaction:
        yield database
        transaction.rollback()
    database.close()
    vocab.forget()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def make_app(app, tmp_path):
    """Build another app with its own settings, then give the database back to `app`.

    create_app binds the shared database proxy, so the original binding is
    restored afterwards.
    """
    original = database.obj
    made = []

    def build(**config):
        settings = {"SECRET_KEY": "another-test-key", "DATABASE_URL": app.config["DATABASE_URL"],
                    "INSTANCE_PATH": str(tmp_path)}
        settings.update(config)
        built = create_app(settings)
        made.append(built)
        return built

    yield build
    database.initialize(original)
