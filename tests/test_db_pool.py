"""The connection pool: requests queue for a connection, give it back, and never fail at once."""
import threading

import pytest
from playhouse.pool import MaxConnectionsExceeded

from alma.db import db as database
from alma.db import make_database

WAIT_SECONDS = 20  # longer than any test here takes: only a broken pool waits this long


@pytest.fixture
def url(app, tmp_path):
    # SQLite: a file of this test's own (pooled like PostgreSQL); PostgreSQL: the test database.
    configured = app.config["DATABASE_URL"]
    return f"sqlite:///{tmp_path}/pool.db" if configured.startswith("sqlite") else configured


def hold_the_only_connection(pool):
    """Another thread takes the pool's one connection and keeps it until released."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        pool.connect()
        taken.set()
        release.wait(WAIT_SECONDS)
        pool.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert taken.wait(WAIT_SECONDS)
    return release, holder


def test_a_request_waits_for_a_connection_instead_of_failing(url):
    pool = make_database(url, pool_size=1, pool_timeout=WAIT_SECONDS)
    release, holder = hold_the_only_connection(pool)
    got = {}

    def wait_for_one():
        pool.connect()
        got["answer"] = pool.execute_sql("SELECT 1").fetchone()[0]
        pool.close()

    waiter = threading.Thread(target=wait_for_one, daemon=True)
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and not got  # still waiting: the only connection is taken
    release.set()
    waiter.join(WAIT_SECONDS)
    holder.join(WAIT_SECONDS)
    assert got == {"answer": 1}
    pool.close_all()


def test_without_a_timeout_the_pool_fails_at_once(url):
    pool = make_database(url, pool_size=1, pool_timeout=0)  # 0: don't wait (not peewee's forever)
    release, holder = hold_the_only_connection(pool)
    try:
        with pytest.raises(MaxConnectionsExceeded):
            pool.connect()
    finally:
        release.set()
        holder.join(WAIT_SECONDS)
        pool.close_all()


def test_a_connection_busy_past_the_timeout_is_a_503(make_app):
    app = make_app(TESTING=False, DB_POOL_SIZE=1, DB_POOL_TIMEOUT=0.2)  # the test database
    release, holder = hold_the_only_connection(database.obj)
    try:
        response = app.test_client().get("/providers")
        assert response.status_code == 503
        assert "not available right now" in response.get_data(as_text=True)
    finally:
        release.set()
        holder.join(WAIT_SECONDS)


def test_each_request_gives_its_connection_back(make_app, url):
    app = make_app(DATABASE_URL=url, DB_POOL_SIZE=1, DB_POOL_TIMEOUT=0)
    client = app.test_client()
    for _ in range(3):  # one connection is enough for any number of requests in turn
        assert client.get("/healthz").status_code == 200
        assert database.is_closed()


def test_sqlite_connections_are_reused_across_threads(app, tmp_path):
    pool = make_database(f"sqlite:///{tmp_path}/reuse.db", pool_size=2)
    seen = []

    def use():
        pool.connect()
        seen.append(pool.connection())
        pool.execute_sql("SELECT 1")
        pool.close()

    for _ in range(3):
        thread = threading.Thread(target=use)
        thread.start()
        thread.join(WAIT_SECONDS)
    assert len(seen) == 3 and len({id(c) for c in seen}) == 1
    pool.close_all()
