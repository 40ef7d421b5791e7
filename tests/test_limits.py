"""Rate limits mean what they say: one count for every process, in Redis.

Uses the Redis server at TEST_REDIS_URL (default redis://127.0.0.1:6379/0), touching
only keys of its own (a fresh key prefix, or a client address of its own); skipped,
visibly, when no Redis answers there.
"""
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from playhouse.migrations import Runner

from alma.cli import MIGRATIONS
from alma.config import ConfigError, check_can_serve, from_environment
from alma.extensions import limiter
from tests.conftest import csrf_token_from
from tests.http_client import Browser

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as problem:
        pytest.skip(f"no Redis at {REDIS_URL} (TEST_REDIS_URL): {problem}")
    return REDIS_URL


@pytest.fixture
def limited_app(db, make_app):
    """An app whose limits count in a given store; the shared limiter is put back after."""
    def build(storage, **config):
        return make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage, **config)

    yield build
    # One Limiter serves every app in this process and remembers a dead store (in
    # production there is one app per process): forget it, and count in memory again.
    limiter._storage_dead = False
    make_app(RATELIMIT_ENABLED=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wrong_password(client):
    token = csrf_token_from(client.get("/sign-in"))
    return client.post("/sign-in", data={"email": "someone@example.com",
                                         "password": "not the password", "csrf_token": token})


def production(tmp_path, **environ):
    return from_environment(str(tmp_path), {"SECRET_KEY": "k",
                                            "DATABASE_URL": "postgresql://alma@db.internal/alma",
                                            **environ})


# --- Where limits are counted ----------------------------------------------------------------

def test_redis_url_from_a_paas_add_on_is_where_limits_count(tmp_path):
    config = production(tmp_path, REDIS_URL="redis://redis.internal:6379/0")
    assert config["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/0"
    check_can_serve(config, workers=4)
    explicit = production(tmp_path, REDIS_URL="redis://a:6379/0",
                          RATELIMIT_STORAGE_URI="redis://b:6379/1")
    assert explicit["RATELIMIT_STORAGE_URI"] == "redis://b:6379/1"


def test_production_refuses_to_count_per_process_unless_told_to(tmp_path):
    with pytest.raises(ConfigError, match="set REDIS_URL"):
        check_can_serve(production(tmp_path))
    single = production(tmp_path, RATELIMIT_STORAGE_URI="memory://")  # said on purpose
    check_can_serve(single, workers=1)
    with pytest.raises(ConfigError, match="with 2 workers every limit would allow 2 times"):
        check_can_serve(single, workers=2)
    check_can_serve(production(tmp_path, ALMA_RATELIMIT="0"), workers=2)  # limits off, said so


def test_the_local_demo_still_counts_in_memory(tmp_path):
    config = from_environment(str(tmp_path), {"ALMA_ENV": "development"})
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    check_can_serve(config)


def test_gunicorn_refuses_to_start_without_a_shared_store(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "BIND": "127.0.0.1:0", "ALMA_ENV": "production",
           "SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
           "ALMA_ALLOW_SQLITE": "1"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    for extra, problem in [({}, "set REDIS_URL"),
                           ({"RATELIMIT_STORAGE_URI": "memory://", "WEB_CONCURRENCY": "2"},
                            "with 2 workers")]:
        result = subprocess.run([str(gunicorn), "app:app"], cwd=ROOT, env={**env, **extra},
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and problem in result.stderr


# --- Counting ----------------------------------------------------------------------------------

def test_counts_in_redis_survive_a_restart_and_are_shared(limited_app, redis_url):
    options = {"key_prefix": f"alma-test-{uuid.uuid4().hex}"}
    first = limited_app(redis_url, RATELIMIT_STORAGE_OPTIONS=options).test_client()
    assert [wrong_password(first).status_code for _ in range(10)] == [422] * 10
    # Another process (or this one restarted) starts with nothing in its memory...
    other = limited_app(redis_url, RATELIMIT_STORAGE_OPTIONS=options).test_client()
    assert wrong_password(other).status_code == 429  # ...and still sees the ten tries
    limiter.reset()  # this test's keys only: its own prefix


def test_counts_in_memory_are_lost_on_a_restart(limited_app):
    first = limited_app("memory://").test_client()
    assert [wrong_password(first).status_code for _ in range(10)] == [422] * 10
    assert wrong_password(limited_app("memory://").test_client()).status_code == 422


def test_with_redis_unreachable_limits_count_in_memory_and_nothing_fails(limited_app):
    app = limited_app(f"redis://127.0.0.1:{free_port()}/0",
                      RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 0.5})
    client = app.test_client()
    statuses = [wrong_password(client).status_code for _ in range(11)]
    assert statuses == [422] * 10 + [429]  # not a 500, and not unlimited
    assert client.get("/providers").status_code == 200


# --- Two gunicorn workers --------------------------------------------------------------------

def test_two_gunicorn_workers_allow_what_the_limit_says(scratch_database, redis_url):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    port = free_port()
    address = f"10.{os.getpid() % 250}.{port // 256 % 256}.{port % 256}"  # this test's keys
    env = {**os.environ, "ALMA_ENV": "production", "SECRET_KEY": "k", "BIND": f"127.0.0.1:{port}",
           "DATABASE_URL": scratch_database.url, "REDIS_URL": redis_url,
           "BASE_URL": f"http://127.0.0.1:{port}", "ALMA_PROXY_HOPS": "1",
           "WEB_CONCURRENCY": "2", "ALMA_LOG_REQUESTS": "0", "ALMA_ALLOW_SQLITE": "1"}
    env.pop("ALMA_RATELIMIT", None)
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "app:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    store = redis.Redis.from_url(redis_url)
    email = "nobody@example.com"
    try:
        for _ in range(300):
            try:
                if Browser(port, address).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        email = f"{uuid.uuid4().hex}@example.com"
        statuses = [Browser(port, address).wrong_password(email) for _ in range(11)]
        assert statuses == [422] * 10 + [429]
    finally:
        server.terminate()
        server.wait(timeout=30)
        for pattern in (f"*/{address}/*", f"*/email:{email}/*"):
            for key in store.scan_iter(match=pattern):
                store.delete(key)


def test_limits_are_checked_by_the_views_that_declare_them_only(limited_app, monkeypatch):
    app = limited_app("memory://")
    # The limiter's own before-request check serves only default, application and
    # blueprint limits; there are none, so it is off (a sixth of a trivial request).
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    monkeypatch.setattr(type(limiter.limit_manager), "default_limits",
                        property(lambda manager: ["1 per second"]))
    with pytest.raises(RuntimeError, match="before-request check"):
        limited_app("memory://")
