"""Reindexing races itself and every writer, each thread on its own connection,
committing for real: the daily full reindex (in small chunks), providers' own
reindexes, "still accepting?" answers through the app and the job that pauses
unconfirmed listings. No error, and afterwards every provider has exactly its listings."""
import datetime
import itertools
import threading
import time

import pytest
from playhouse.migrations import Runner

from alma.accounts import links
from alma.cli import MIGRATIONS
from alma.db import db, is_postgres
from alma.directory import honesty, service
from alma.directory.models import Listing
from alma.schedule import run_job
from alma.network.models import Provider
from tests import factories
from tests.conftest import csrf_token_from

FULL_REINDEXES = 8
ANSWERS_PER_THREAD = 20


def breathe():
    """Between two writes of a loop that does nothing else. SQLite's writers take turns by
    polling for its one write lock: threads that write back to back with no gap would
    starve a visitor's answer, which no real process does (a full reindex leaves gaps
    itself). PostgreSQL queues them, so there the loops write back to back."""
    if not is_postgres():
        time.sleep(0.01)


@pytest.fixture
def shared_app(scratch_database, make_app):
    """The app on a scratch database that every thread's own connection sees."""
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    app = make_app(DATABASE_URL=scratch_database.url, DB_POOL_SIZE=20)
    yield app
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()  # pooled connections would keep the scratch database busy


def listings():
    """Every listing but its id, in a stable order."""
    return sorted((row[1:] for row in Listing.select().tuples()), key=repr)


def test_reindexes_and_writers_at_once_make_no_error_and_lose_no_listing(shared_app,
                                                                        monkeypatch):
    app = shared_app
    monkeypatch.setattr(service, "REINDEX_CHUNK", 7, raising=False)  # many chunks, many turns
    with app.app_context(), db.connection_context():
        factories.operate_in("CA", "NY", "OR")
        listed = [factories.provider(extra_states=("NY",) if n % 3 == 0 else (),
                                     payers=("aetna",) if n % 2 else ())
                  for n in range(40)]
        stale = [factories.provider(confirmed_days_ago=50) for _ in range(10)]
        ids = [p.id for p in listed + stale]
        tokens = [links.create(honesty.CONFIRM_LINK, provider_id, datetime.timedelta(days=1))
                  for provider_id in itertools.islice(itertools.cycle(ids),
                                                      2 * ANSWERS_PER_THREAD)]

    finished = threading.Event()
    errors, statuses = [], []

    def in_thread(work):
        def run():
            try:
                work()
            except Exception as error:  # collected for the assertion below
                errors.append(repr(error))
        return threading.Thread(target=run)

    def full_reindexes():
        try:  # until every answer is in, and at least FULL_REINDEXES times
            for n in itertools.count(1):
                run_job(app, "reindex-directory")
                if n >= FULL_REINDEXES and not any(t.is_alive() for t in answering):
                    return
        finally:
            finished.set()

    def own_reindexes(offset):
        with app.app_context(), db.connection_context():
            for provider_id in itertools.cycle(ids[offset::2]):
                if finished.is_set():
                    return
                service.reindex([provider_id])
                breathe()

    def answers(mine):
        client = app.test_client()
        for n, token in enumerate(mine):
            page = client.get(f"/availability/{token}")
            statuses.append(page.status_code)
            answer = client.post(f"/availability/{token}", data={
                "csrf_token": csrf_token_from(page), "accepting": "yes" if n % 3 else "no"})
            statuses.append(answer.status_code)

    def pause_unconfirmed():
        with app.app_context(), db.connection_context():
            while not finished.is_set():
                honesty.stop_unconfirmed_accepting()
                breathe()

    answering = [in_thread(lambda: answers(tokens[:ANSWERS_PER_THREAD])),
                 in_thread(lambda: answers(tokens[ANSWERS_PER_THREAD:]))]
    threads = [*answering, in_thread(full_reindexes), in_thread(lambda: own_reindexes(0)),
               in_thread(lambda: own_reindexes(1)), in_thread(pause_unconfirmed)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    assert statuses == [200] * 4 * ANSWERS_PER_THREAD
    with app.app_context(), db.connection_context():
        after_race = listings()
        service.reindex(chunk=len(ids))  # alone, at once: what every listing should be
        assert after_race == listings()
        assert Provider.select().where(Provider.accepting_new_clients).count() < len(ids)
        assert {row[0] for row in after_race} == set(ids)  # every one of them listed
