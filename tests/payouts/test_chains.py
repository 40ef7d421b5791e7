"""Payouts over a session's whole story: every client invoice of the session (the
additional one after a billing review too) deducted when unpaid 60 days and recovered when
paid; a session corrected through the queue (a replacement, frequency 7) paid out once."""
import pytest

from alma.accounts.models import User
from alma.billing import service as billing
from alma.claims import jobs, queue_actions, reconcile
from alma.claims.models import Claim
from alma.claims.reconcile_models import PENDING, ShareReconciliation
from alma.payouts import statements
from alma.payouts.models import CARRIED, RECOUPMENT, RECOVERY, SESSION, UNPAID, PayoutStatement
from tests.claims.queue_helpers import COPAY, corrections, key
from tests.payouts.helpers import D, on, paid_claim, run_on


@pytest.fixture
def bea(db):
    return User.create(email="bea@alma.example", name="Bea Billing", roles="billing")


def _statements(provider):
    return list(PayoutStatement.select().where(PayoutStatement.provider == provider.id)
                .order_by(PayoutStatement.period_start))


def _lines(statement):
    return [(line.kind, line.amount_cents) for line in statements.lines_of(statement)]


def test_an_additional_invoice_unpaid_60_days_is_deducted_then_recovered(app, in_program,
                                                                         sandbox, bea):
    claim = paid_claim(app, in_program, f"{COPAY}-DEDUCTIBLE")
    review = ShareReconciliation.get()
    assert (review.review_status, review.difference_cents) == (PENDING, 10000)
    with on(D(2026, 11, 26)):
        extra = reconcile.approve(review.id, bea).additional_invoice
    assert (extra.total_cents, extra.due_on) == (10000, D(2026, 12, 10))
    with on(D(2026, 12, 2)):
        billing.record_payment(claim.visit.invoice, 2500, "local", "local_estimate")
    run_on(D(2026, 12, 1))
    run_on(D(2027, 2, 1))  # 53 days after the additional invoice's due date: not yet
    assert [_lines(s) for s in _statements(in_program)] == [[(SESSION, 10000)]]
    run_on(D(2027, 2, 16))  # Feb 8 was 60 days
    deducted = statements.lines_of(_statements(in_program)[-1])
    assert [(line.kind, line.amount_cents, line.invoice_id, line.claim_id) for line in
            deducted] == [(UNPAID, -10000, extra.id, claim.id)]
    assert extra.number in deducted[0].description
    with on(D(2027, 3, 5)):
        billing.record_payment(extra, 4000, "local", "local_extra")
    run_on(D(2027, 3, 16))
    run_on(D(2027, 4, 1))
    assert [_lines(s) for s in _statements(in_program)][2:] == [[(RECOVERY, 4000)]]
    assert sum(s.lines_cents for s in _statements(in_program)) == 10000 - 10000 + 4000


def test_a_session_replaced_through_the_queue_is_paid_out_once(app, in_program, sandbox,
                                                               bea):
    """The sandbox takes the original's payment back and pays the replacement on one 835:
    the original's recoupment and the replacement's session are on one statement, and
    the session's unpaid balance later is deducted once, on the replacement."""
    original = paid_claim(app, in_program)
    run_on(D(2026, 12, 1))
    with on(D(2026, 12, 2)):
        action = queue_actions.correct_and_resubmit(
            original.id, key(), "Wrong place of service",
            corrections(original, place_of_service="11"), bea)
        jobs.submit_claims()
        for _ in range(3):
            jobs.poll_reports()
    replacement = Claim.get_by_id(action.new_claim_id)
    assert (Claim.get_by_id(original.id).status, replacement.status) == ("reversed", "paid")
    run_on(D(2026, 12, 16))
    second = _statements(in_program)[-1]
    assert sorted((line.kind, line.amount_cents, line.claim_id)
                  for line in statements.lines_of(second)) == [
        (RECOUPMENT, -10000, original.id), (SESSION, 10000, replacement.id)]
    assert (second.total_cents, second.status) == (0, CARRIED)
    for day in (D(2027, 1, 1), D(2027, 2, 16), D(2027, 3, 1)):
        run_on(day)
    unpaid = [line for s in _statements(in_program) for line in statements.lines_of(s)
              if line.kind == UNPAID]
    assert [(line.amount_cents, line.claim_id) for line in unpaid] == [(-2500, replacement.id)]
    assert sum(s.lines_cents for s in _statements(in_program)) == 10000 - 2500
