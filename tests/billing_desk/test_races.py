"""Refunds racing, with real connections and committed rows (run it on PostgreSQL too):
however many send the same form at once, one refund is made; forms with different keys
that together ask for more than was paid give back at most what was paid.

The gateway takes a moment to answer, as Stripe does, so without the invoice's lock every
racer would find the same money left and refund it."""
import threading
import time

import pytest
from playhouse.migrations import Runner

from alma.accounts.models import User
from alma.billing import adjustments, service
from alma.billing.models import CreditNote, Payment, Refund
from alma.cli import MIGRATIONS
from alma.clock import today
from alma.db import db
from alma.mail.models import OutboundEmail
from alma.network.models import Client

PAID = 15000


class SlowGateway:
    """Answers after a moment, and counts what it was asked to refund."""

    name = "local"

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def refund(self, payment, amount_cents, key=None):
        time.sleep(0.3)
        with self.lock:
            self.calls.append((key, amount_cents))
        return f"slow_{len(self.calls)}"


@pytest.fixture
def racing(scratch_database, make_app):
    """An app on a scratch database with a paid $150 invoice, committed."""
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    built = make_app(DATABASE_URL=scratch_database.url, ALMA_DB_POOL_SIZE=8)
    with built.app_context():
        db.connect(reuse_if_open=True)
        person = Client.create(email="racer@example.org", name="Ray Racer", state="CA")
        invoice = service.issue("copay", [("Session", 1, PAID)], due_on=today(),
                                owed_by_client=person)
        payment, _ = service.record_payment(invoice, PAID, "local", "local_race")
        biller = User.create(email="race@alma.example", name="Race Biller", roles="billing")
        db.close()
    return built, payment.id, biller.id


def race(app, attempts):
    """Run each (key, cents) at the same moment in its own thread; returns the outcomes."""
    gateway = SlowGateway()
    start = threading.Barrier(len(attempts))
    outcomes = [None] * len(attempts)

    def attempt(n, key, cents, payment_id, biller_id):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                start.wait()
                made, now = adjustments.refund(payment_id, cents, "Racing", User.get_by_id(
                    biller_id), key, credit_too=True, gateway=gateway)
                outcomes[n] = ("made" if now else "found", made.id)
            except adjustments.AdjustmentProblem as problem:
                outcomes[n] = ("refused", str(problem))
            finally:
                db.close()

    threads = [threading.Thread(target=attempt, args=(n, *a)) for n, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes, gateway.calls


def committed(app, payment_id):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            refunds = [(r.idempotency_key, r.amount_cents) for r in
                       Refund.select().where(Refund.payment == payment_id).order_by(Refund.id)]
            notes = CreditNote.select().count()
            receipts = OutboundEmail.select().where(
                OutboundEmail.template == "refund_receipt").count()
            return refunds, notes, receipts, Payment.get_by_id(payment_id).amount_cents
        finally:
            db.close()


def test_the_same_form_sent_four_times_at_once_refunds_once(racing):
    app, payment_id, biller_id = racing
    key = "same-form-key-0123456789"
    outcomes, calls = race(app, [(key, 6000, payment_id, biller_id)] * 4)
    assert sorted(o[0] for o in outcomes) == ["found", "found", "found", "made"]
    assert len({o[1] for o in outcomes}) == 1  # each was answered with the same refund
    assert calls == [(key, 6000)]  # the gateway was asked once
    refunds, notes, receipts, _ = committed(app, payment_id)
    assert refunds == [(key, 6000)] and notes == 1 and receipts == 1


def test_different_forms_asking_more_than_was_paid_refund_at_most_what_was_paid(racing):
    app, payment_id, biller_id = racing
    attempts = [(f"form-{n}-key-0123456789", 6000, payment_id, biller_id) for n in range(4)]
    outcomes, calls = race(app, attempts)
    made = [o for o in outcomes if o[0] == "made"]
    refused = [o for o in outcomes if o[0] == "refused"]
    assert len(made) == 2 and len(refused) == 2  # 2 x $60 fit in $150; a third would not
    assert all("At most $30 of this payment can be refunded" in o[1] for o in refused)
    refunds, notes, receipts, paid = committed(app, payment_id)
    assert sum(cents for _, cents in refunds) == 12000 <= paid
    assert len({key for key, _ in refunds}) == len(refunds) == len(calls) == 2
    assert notes == 2 and receipts == 2
