"""Two billing members correct and resend the same denied claim at the same moment, each
in its own thread on its own connection, committing for real: one replacement is made,
and the other is told someone acted on the claim. (On PostgreSQL the claim row is locked
while one of them acts; SQLite has one writer at a time.)"""
import datetime
import threading

import pytest
import time_machine
from playhouse.migrations import Runner

from alma.accounts.models import User
from alma.claims import queue_actions
from alma.claims.models import DENIED, Claim
from alma.claims.queue_models import ClaimAction
from alma.cli import MIGRATIONS
from alma.clock import today
from alma.db import db
from tests import factories
from tests.claims.helpers import logged_claim
from tests.claims.queue_helpers import COPAY, LATER, corrections, key
from tests.program.helpers import MONDAY, approve_all, enrol


@pytest.fixture
def shared_app(scratch_database, make_app):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    app = make_app(DATABASE_URL=scratch_database.url, DB_POOL_SIZE=10)
    yield app
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()


def _denied_claim(app):
    with app.app_context(), db.connection_context():
        factories.operate_in("CA")
        member = factories.provider(first_name="Ines", email="ines@example.com")
        staff = User.create(email="cred@example.com", name="Cred", roles="credentialing")
        with time_machine.travel(MONDAY - datetime.timedelta(days=40), tick=False):
            approve_all(enrol(member), staff, today())
        claim = logged_claim(app, member, f"{COPAY}-DENIED")
        claim.status, claim.payer_claim_number = DENIED, "SB0000000001"
        claim.save()
        users = [User.create(email=f"b{n}@alma.example", name=f"Billing {n}", roles="billing")
                 for n in range(2)]
        return claim.id, [u.id for u in users]


def test_two_billing_members_at_once_make_one_replacement(shared_app):
    app = shared_app
    with time_machine.travel(LATER, tick=True):
        claim_id, user_ids = _denied_claim(app)
        start = threading.Barrier(2)
        done, refused, errors = [], [], []

        def resend(user_id):
            try:
                with app.app_context(), db.connection_context():
                    claim = Claim.get_by_id(claim_id)
                    values = corrections(claim, member_id=COPAY)
                    user = User.get_by_id(user_id)
                    start.wait(timeout=10)
                    try:
                        done.append(queue_actions.correct_and_resubmit(claim_id, key(), "mistyped",
                                                                       values, user).id)
                    except queue_actions.QueueProblem as problem:
                        refused.append(str(problem))
            except Exception as error:  # collected for the assertion below
                errors.append(repr(error))

        threads = [threading.Thread(target=resend, args=(u,)) for u in user_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == [] and len(done) == 1 and len(refused) == 1, (errors, refused)
        assert "already acted on this claim" in refused[0] or "same moment" in refused[0]
        with app.app_context(), db.connection_context():
            assert ClaimAction.select().count() == 1
            assert Claim.select().where(Claim.replaces == claim_id).count() == 1
