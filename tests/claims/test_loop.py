"""The whole loop for each sandbox scenario: a logged session's claim is sent by the job,
acknowledged (999, 277CA), and its 835 posted, each report checked by pyx12 on the way."""
import pytest

from alma.claims import jobs
from alma.claims.events import remittance_posted
from alma.claims.models import Claim
from alma.claims.remittance_models import (Adjustment, ClaimEvent, ClaimPayment,
                                           ClearinghouseReport, ProviderAdjustment)
from alma.claims.x12_validation import validate
from tests.claims.helpers import fresh, logged_claim

COPAY = "ALMA-ACTIVE-COPAY"
# member: (after the 277CA, after the 835, insurer paid, client owes, adjustments)
SCENARIOS = {
    COPAY: ("accepted", "paid", 10000, 2500, [("PR", "3", 2500)]),
    "ALMA-COINS-DEDUCT": ("accepted", "paid", 0, 12500, [("PR", "1", 12500)]),
    f"{COPAY}-DEDUCTIBLE": ("accepted", "paid", 0, 12500, [("PR", "1", 12500)]),
    f"{COPAY}-COINSURANCE": ("accepted", "paid", 8750, 3750, [("PR", "2", 3750)]),
    f"{COPAY}-REJECTED": ("rejected", "rejected", None, None, []),
    f"{COPAY}-DENIED": ("accepted", "denied", 0, 0, [("CO", "16", 12500)]),
    f"{COPAY}-ENDED": ("accepted", "denied", 0, 12500, [("PR", "27", 12500)]),
    f"{COPAY}-PARTLY": ("accepted", "partly_paid", 8500, 2500,
                        [("CO", "45", 1500), ("PR", "3", 2500)]),
    f"{COPAY}-REVERSED": ("accepted", "paid", 10000, 2500, [("PR", "3", 2500)]),
}
WORDS = {
    COPAY: "PR-3: your plan's copay for the visit: you pay this part ($25)",
    f"{COPAY}-DEDUCTIBLE": "PR-1: your plan's deductible: you pay this part ($125)",
    # The 835 names the payer in capitals: said as we spell it, not "Unitedhealthcare".
    f"{COPAY}-COINSURANCE": "UnitedHealthcare paid $87.50; the client's share is $37.50. "
                            "PR-2: your plan's coinsurance",
    f"{COPAY}-REJECTED": "the member ID of the insured",
    f"{COPAY}-DENIED": "MA130: the claim can't be processed as sent",
    f"{COPAY}-ENDED": "PR-27: the plan says coverage had ended before this session",
    f"{COPAY}-PARTLY": "CO-45: more than the plan's allowed amount",
}


@pytest.mark.parametrize("member_id", list(SCENARIOS))
def test_a_logged_session_goes_all_the_way_to_its_remittance(app, in_program, sandbox,
                                                             member_id):
    acknowledged, decided, paid, owed, adjustments = SCENARIOS[member_id]
    claim = logged_claim(app, in_program, member_id)
    invoiced = claim.visit.invoice.total_cents
    heard = []

    def hear(sender, payment):
        heard.append((sender.id, payment.status_code))
    remittance_posted.connect(hear)
    try:
        assert jobs.submit_claims() == 1
        claim = fresh(claim)
        assert claim.status == "submitted" and claim.submission_key
        assert sandbox.received() == [(claim.submission_key, claim.patient_control_number)]
        assert jobs.poll_reports() == 2  # the 999 and the 277CA
        assert fresh(claim).status == acknowledged
        jobs.poll_reports()
        claim = fresh(claim)
        assert (claim.status, claim.paid_cents, claim.patient_responsibility_cents) == (
            decided, paid, owed)
        posted = [(a.group_code, a.reason_code, a.amount_cents) for a in Adjustment.select()
                  .join(ClaimPayment).where(ClaimPayment.claim == claim.id)]
        assert posted == adjustments
        if member_id in WORDS:
            assert WORDS[member_id] in claim.status_note
        if decided != "rejected":
            assert claim.payer_claim_number.startswith("SB")
            assert heard == [(claim.id, "4" if decided == "denied" else "1")]
        assert claim.visit.invoice.total_cents == invoiced  # item 3 reconciles, not this
        jobs.poll_reports()
        claim = fresh(claim)
        if member_id.endswith("REVERSED"):
            assert (claim.status, claim.paid_cents, claim.patient_responsibility_cents) == (
                "reversed", 0, 0)
            assert heard[-1] == (claim.id, "22")
            carried = ProviderAdjustment.get()
            assert (carried.reason_code, carried.reference, carried.amount_cents) == (
                "FB", claim.patient_control_number, -10000)
            assert "took back its payment of $100" in claim.status_note
        else:
            assert claim.status == decided
    finally:
        remittance_posted.disconnect(hear)
    reports = list(ClearinghouseReport.select())
    assert reports and all(r.outcome == "applied" for r in reports)
    assert all(validate(r.x12) == [] for r in reports if r.kind == "835")
    kinds = [e.kind for e in ClaimEvent.select().where(ClaimEvent.claim == claim.id)
             .order_by(ClaimEvent.id)]
    assert kinds[:3] == ["submitted", "999", "277CA"]


def test_claims_of_one_payer_are_paid_on_one_remittance(app, in_program, sandbox):
    first = logged_claim(app, in_program, COPAY)
    claims = [first] + [logged_claim(app, in_program, COPAY, n, program_client=first.visit
                                     .program_client) for n in (1, 2)]
    assert jobs.submit_claims() == 3
    jobs.poll_reports()
    jobs.poll_reports()
    payments = list(ClaimPayment.select())
    assert len(payments) == 3 and len({p.remittance_id for p in payments}) == 1
    assert payments[0].remittance.paid_cents == 3 * 10000
    assert {fresh(c).status for c in claims} == {"paid"}


def test_nothing_is_sent_twice_however_often_the_job_runs(app, in_program, sandbox):
    claim = logged_claim(app, in_program, COPAY)
    assert jobs.submit_claims() == 1
    assert jobs.submit_claims() == 0
    assert len(sandbox.received()) == 1
    assert Claim.get_by_id(claim.id).batch is not None
