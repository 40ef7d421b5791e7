"""A session's claims are one chain for the client's bill: a replacement (frequency 7)
reconciles the session once, whichever of its payment and the reversal of the claim it
replaces comes first, and the estimate's accuracy counts the session once."""
import pytest

from alma.accounts.models import User
from alma.benefits.outcomes import EstimateOutcome
from alma.billing import service as billing
from alma.billing.models import CreditNote, Invoice, Refund
from alma.claims import queue_actions, reconcile
from alma.claims.models import Claim
from alma.claims.reconcile_models import (APPROVED, CREDITED, EQUAL, HELD, PENDING, REVIEW,
                                          ShareReconciliation)
from tests.claims.queue_helpers import COPAY, corrections, decided, key, run_clearinghouse
from tests.claims.reconcile_helpers import sent_claim
from tests.claims.test_reconcile import _posted


@pytest.fixture
def bea(db):
    return User.create(email="bea@alma.example", name="Bea Billing", roles="billing")


def _rows():
    return list(ShareReconciliation.select().order_by(ShareReconciliation.id))


def _replacement(original):
    return Claim.create(
        visit=original.visit, payer=original.payer, charge_cents=12500, allowed_cents=12500,
        deductible_cents=0, coinsurance_cents=0, copay_cents=2500, patient_share_cents=2500,
        place_of_service="10", x12="", frequency_code="7", replaces=original, status="accepted")


def _billed(visit):
    return sum(a.total - a.credited for a in billing.amounts_for(
        reconcile.visit_invoices(visit)).values())


def test_a_replacement_with_a_higher_share_is_reviewed_once(app, in_program, sandbox, later,
                                                            bea):
    """Through the queue and the sandbox: the original paid as estimated, corrected to a
    plan with coinsurance; the 835 takes the original's payment back and pays the
    replacement. One review, one additional invoice, one outcome for the session."""
    original = decided(app, in_program, COPAY)
    action = queue_actions.correct_and_resubmit(
        original.id, key(), "Wrong plan", corrections(original,
                                                      member_id=f"{COPAY}-COINSURANCE"), bea)
    run_clearinghouse(polls=3)
    replacement = Claim.get_by_id(action.new_claim_id)
    assert (Claim.get_by_id(original.id).status, replacement.status) == ("reversed", "paid")
    assert [(r.claim_id, r.outcome) for r in _rows()] == [
        (original.id, EQUAL), (original.id, HELD), (replacement.id, REVIEW)]
    review = _rows()[-1]
    assert (review.review_status, review.difference_cents) == (PENDING, 1250)
    reconcile.approve(review.id, bea)
    assert Invoice.select().where(Invoice.kind == "coinsurance").count() == 1
    assert _billed(original.visit) == replacement.patient_responsibility_cents == 3750
    assert CreditNote.select().count() == 0 and Refund.select().count() == 0
    [outcome] = EstimateOutcome.select()
    assert (outcome.claim_id, outcome.final_cents) == (original.id, 3750)


def test_the_reversal_after_the_replacement_leaves_its_review_waiting(app, in_program,
                                                                      sandbox):
    original = sent_claim(app, in_program, sandbox, COPAY)[0]
    assert _posted(original, "1", 10000, 2500, "SB1", "T1").outcome == EQUAL
    replacement = _replacement(original)
    review = _posted(replacement, "1", 6500, 6000, "SB2", "T2")
    assert (review.outcome, review.difference_cents) == (REVIEW, 3500)
    held = _posted(Claim.get_by_id(original.id), "22", -10000, -2500, "SB1", "T3")
    assert held.outcome == HELD
    assert ShareReconciliation.get_by_id(review.id).review_status == PENDING
    assert reconcile.pending_reviews() == [ShareReconciliation.get_by_id(review.id)]


@pytest.mark.parametrize("reversal_first", [True, False])
def test_a_lower_share_on_the_replacement_is_refunded_once(app, in_program, sandbox,
                                                           reversal_first):
    original = sent_claim(app, in_program, sandbox, COPAY)[0]
    _posted(original, "1", 10000, 2500, "SB1", "T1")
    billing.record_payment(Invoice.get_by_id(original.visit.invoice_id), 2500, "local",
                           "local_paid_1")
    replacement = _replacement(original)
    steps = [(original, "22", -10000, -2500, "SB1", "T2"),
             (replacement, "1", 11500, 1000, "SB2", "T3")]
    for claim, *rest in (steps if reversal_first else steps[::-1]):
        _posted(Claim.get_by_id(claim.id), *rest)
    assert sorted(r.outcome for r in _rows()) == sorted([EQUAL, HELD, CREDITED])
    assert [r.amount_cents for r in Refund.select()] == [1500]
    assert _billed(original.visit) == 1000
    assert APPROVED not in [r.review_status for r in _rows()]
