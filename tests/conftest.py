"""Fixtures: the app on a real database (SQLite, or PostgreSQL from TEST_DATABASE_URL).

The schema is built once per run by the migrations themselves. Each test
runs inside a transaction that is rolled back, so tests never see each
other's rows. Browser tests, which need committed data visible to a server
thread, use the `live_server` fixture in tests/browser/conftest.py instead.
"""
import asyncio
import datetime
import email
import email.policy
import importlib.util
import os
import re
import socket
import sys
import tempfile
import threading
from pathlib import Path

os.environ["ALMA_ENV"] = "test"
os.environ.setdefault("ALMA_LOG_REQUESTS", "0")

import pytest  # noqa: E402

from alma.cli import upgrade  # noqa: E402
from alma.db import db as database  # noqa: E402
from alma.db import is_postgres  # noqa: E402
from alma.factory import create_app  # noqa: E402
from alma.jobs import stopping  # noqa: E402
from alma.network import vocab  # noqa: E402

_clock = None  # the time-machine traveller of --clock, if any


def pytest_addoption(parser):
    parser.addoption(
        "--clock", default=None, metavar="YYYY-MM-DD[THH:MM]",
        help="Run as if today were this day: the clock starts there at 09:00 UTC (or at the "
             "time given, UTC, e.g. 2027-12-31T23:59 to cross midnight during the run) and "
             "ticks. No test may depend on the real date (CI runs the suite on hard dates too).")


def pytest_configure(config):
    day = config.getoption("--clock")
    if day:
        import time_machine

        start = _clock_start(day)
        global _clock
        _clock = time_machine.travel(start, tick=True)
        _clock.start()


def flask_command(*args):
    """argv for `flask --app app ARGS` in a subprocess, on the suite's clock if it is moved."""
    flask = str(Path(sys.executable).parent / "flask")
    if _clock is None:
        return [flask, "--app", "app", *args]
    from alma.clock import utcnow

    now = utcnow().replace(tzinfo=datetime.timezone.utc).isoformat()
    return [sys.executable, "-m", "tests.clocked", now, "--app", "app", *args]


def _clock_start(text):
    """--clock's moment: a day (at 09:00 UTC) or a day and a time (UTC)."""
    if "T" not in text:
        return datetime.datetime.combine(datetime.date.fromisoformat(text), datetime.time(9),
                                         tzinfo=datetime.timezone.utc)
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)


def pytest_report_header(config):
    day = config.getoption("--clock")
    return f"clock: {day} (moved)" if day else None


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
        if hasattr(database.obj, "close_idle"):
            database.close_idle()  # pooled connections would keep the deleted file
        path = database.obj.database
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        database.connect()
    upgrade()


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashes():
    """argon2id at its lowest cost in this process: the same algorithm, format and checks,
    without a second a hash on a busy machine (the suite hashes and checks hundreds).
    Servers the tests start as subprocesses keep the real parameters."""
    from argon2 import PasswordHasher

    from alma.accounts import passwords

    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords.dummy_hash.cache_clear()
    yield
    passwords._hasher = real
    passwords.dummy_hash.cache_clear()


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
def app_ctx(app, db):
    """An application context for calling services directly.

    Not held by `db` itself: requests made while it is pushed would share its
    `g` (and so, for instance, a stale CSRF token).
    """
    with app.app_context():
        yield


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
    # The limiter is one object for every app: give `app` its settings back.
    from alma.extensions import limiter

    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    if limiter.initialized:
        limiter.reset()


class Mailbox:
    """What a real SMTP server on loopback received.

    Recipients starting "bounce" are refused for good (550); recipients
    starting "stall" hang before the server answers, as a slow server would;
    recipients starting "hold" wait (setting `held`) until the test sets `release`.
    """

    def __init__(self):
        self.messages = []
        self.stalled = threading.Event()
        self.stalled_once = set()
        self.held = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox"
        if address.startswith("hold"):
            self.held.set()
            for _ in range(1200):  # a minute at most, whatever the test does
                if self.release.is_set():
                    break
                await asyncio.sleep(0.05)
        if address.startswith("stall") and address not in self.stalled_once:
            self.stalled_once.add(address)
            self.stalled.set()
            await asyncio.sleep(60)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]

    def clear(self):
        self.messages.clear()
        self.stalled.clear()
        self.stalled_once.clear()
        self.held.clear()
        self.release.clear()


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(app, smtp_server):
    """Emails go through the outbox to the loopback SMTP server; `deliver()` sends them."""
    controller, box = smtp_server
    box.clear()
    saved = {key: app.config[key] for key in ("MAIL_TRANSPORT", "SMTP_URL")}
    app.config.update(MAIL_TRANSPORT="smtp", SMTP_URL=f"smtp://127.0.0.1:{controller.port}")
    yield box
    app.config.update(saved)


@pytest.fixture
def deliver(app, mailbox):
    from alma.mail import delivery

    def run():
        with app.app_context():
            return delivery.deliver_due()
    return run


@pytest.fixture
def stop_jobs():
    """`stop_jobs()` asks the jobs to stop after their current row, as SIGTERM would."""
    yield stopping.set
    stopping.clear()


def load_migration(name):
    """A migration module from migrations/ (its up() and down()), to run one alone."""
    from alma.cli import MIGRATIONS

    spec = importlib.util.spec_from_file_location(f"migration_{name}", MIGRATIONS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def csrf_token_from(response):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def link_in(message, path_part):
    """The first link in an email's text containing path_part, as a path."""
    body = message.get_body(("plain",)).get_content()
    for url in re.findall(r"https?://\S+", body):
        if path_part in url:
            return "/" + url.split("://", 1)[1].split("/", 1)[1]
    raise AssertionError(f"no link with {path_part!r} in:\n{body}")


class Scratch:
    def __init__(self, url, database):
        self.url, self.database = url, database


def _postgres_admin(params, name, statement):
    import psycopg2

    connection = psycopg2.connect(dbname=name, **params)
    connection.autocommit = True  # CREATE/DROP DATABASE can't run in a transaction
    try:
        connection.cursor().execute(statement)
    finally:
        connection.close()


@pytest.fixture
def scratch_database(app, tmp_path):
    """An empty database of the same kind beside the test one, committed to for real.

    For tests that other processes must see (workers), or that rebuild a schema.
    """
    from peewee import PostgresqlDatabase, SqliteDatabase

    if is_postgres():
        params = dict(database.obj.connect_params)
        # Named after the test database, so suites on different databases never meet.
        home = database.obj.database
        name = f"{home}_scratch"
        _postgres_admin(params, home, f"DROP DATABASE IF EXISTS {name}")
        _postgres_admin(params, home, f"CREATE DATABASE {name}")
        scratch = PostgresqlDatabase(name, **params)
        host = params.get("host", "127.0.0.1")
        user = params.get("user", "postgres")
        url = f"postgresql://{user}@{host}:{params.get('port', 5432)}/{name}"
        scratch.connect()
        yield Scratch(url, scratch)
        scratch.close()
        _postgres_admin(params, home, f"DROP DATABASE {name}")
    else:
        path = tmp_path / "scratch.db"
        scratch = SqliteDatabase(str(path), pragmas={"journal_mode": "wal", "busy_timeout": 5000})
        scratch.connect()
        yield Scratch(f"sqlite:///{path}", scratch)
        scratch.close()
