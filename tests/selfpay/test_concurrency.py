"""Two requests at the same moment, each in its own thread on its own connection, committing
for real: a payment or a session submitted twice (the same form, or two forms for the whole
amount owed) is recorded once, and the other request is told why, never a 500."""
import threading

import pytest
from playhouse.migrations import Runner

from alma.cli import MIGRATIONS
from alma.db import db
from alma.mail.models import OutboundEmail
from alma.selfpay import service
from alma.selfpay.models import GoodFaithEstimate, SelfPayPayment, SelfPaySession
from tests.selfpay.helpers import (client_with_dob, estimate_values, key, provider_with_details,
                                   session_values)


@pytest.fixture
def shared_app(scratch_database, make_app):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    app = make_app(DATABASE_URL=scratch_database.url, DB_POOL_SIZE=10)
    yield app
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()


def _at_once(app, work, *args_each):
    """Run work(*args) for each args in its own thread, all starting together."""
    start = threading.Barrier(len(args_each))
    done, refused, errors = [], [], []

    def run(args):
        try:
            with app.app_context(), db.connection_context():
                start.wait(timeout=10)
                try:
                    done.append(work(*args))
                except service.SelfPayProblem as problem:
                    refused.append(str(problem))
        except Exception as error:  # collected for the assertion below
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(args,)) for args in args_each]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [], errors
    return done, refused


def _session(app):
    with app.app_context(), db.connection_context():
        provider = provider_with_details(cash_rate_cents=15000)
        spc = client_with_dob(provider)
        service.issue_estimate(spc, estimate_values(), key())
        return service.log_session(spc, session_values(days_ago=1), key()).id


def _pay(session_id, submission_key, amount=15000):
    session = SelfPaySession.get_by_id(session_id)
    return service.record_payment(session, amount, session.held_on, "card",
                                  submission_key).id


def test_the_same_payment_form_sent_twice_at_once_records_one(shared_app):
    session_id = _session(shared_app)
    same = key()
    done, refused = _at_once(shared_app, _pay, (session_id, same), (session_id, same))
    assert refused == [] and len(set(done)) == 1, (done, refused)
    with shared_app.app_context(), db.connection_context():
        assert SelfPayPayment.select().count() == 1


def test_two_payments_of_the_whole_fee_at_once_record_one(shared_app):
    session_id = _session(shared_app)
    done, refused = _at_once(shared_app, _pay, (session_id, key()), (session_id, key()))
    assert len(done) == 1 and len(refused) == 1, (done, refused)
    assert "paid in full" in refused[0]
    with shared_app.app_context(), db.connection_context():
        assert [p.amount_cents for p in SelfPayPayment.select()] == [15000]


def _log(spc_id, submission_key, fee_cents=15000):
    spc = service.SelfPayClient.get_by_id(spc_id)
    return service.log_session(spc, session_values(fee_cents=fee_cents), submission_key).id


def test_the_same_session_form_sent_twice_at_once_logs_one(shared_app):
    with shared_app.app_context(), db.connection_context():
        spc_id = SelfPaySession.get_by_id(_session(shared_app)).self_pay_client_id
    same = key()
    # $500 takes the sessions ($150 so far) to $650, under $400 above the estimate ($600);
    # twice would be $1,150: the second request must get the first's session, not be asked
    # to confirm going over because of it.
    done, refused = _at_once(shared_app, _log, (spc_id, same, 50000), (spc_id, same, 50000))
    assert refused == [] and len(set(done)) == 1, (done, refused)
    with shared_app.app_context(), db.connection_context():
        assert SelfPaySession.select().count() == 2


def _issue(spc_id, submission_key):
    spc = service.SelfPayClient.get_by_id(spc_id)
    return service.issue_estimate(spc, estimate_values(), submission_key).id


def test_the_same_estimate_form_sent_twice_at_once_issues_one(shared_app):
    with shared_app.app_context(), db.connection_context():
        spc_id = client_with_dob(provider_with_details(cash_rate_cents=15000)).id
    same = key()
    done, refused = _at_once(shared_app, _issue, (spc_id, same), (spc_id, same))
    assert refused == [] and len(set(done)) == 1, (done, refused)
    with shared_app.app_context(), db.connection_context():
        assert GoodFaithEstimate.select().count() == 1
        assert OutboundEmail.select().where(OutboundEmail.template == "gfe_issued").count() == 1


def test_two_estimates_at_once_make_a_chain_each_superseding_the_last(shared_app):
    with shared_app.app_context(), db.connection_context():
        spc_id = client_with_dob(provider_with_details(cash_rate_cents=15000)).id
    done, refused = _at_once(shared_app, _issue, (spc_id, key()), (spc_id, key()))
    assert len(done) + len(refused) == 2, (done, refused)
    with shared_app.app_context(), db.connection_context():
        rows = list(GoodFaithEstimate.select().order_by(GoodFaithEstimate.id))
        assert [r.supersedes_id for r in rows] == [None, rows[0].id][:len(rows)]
