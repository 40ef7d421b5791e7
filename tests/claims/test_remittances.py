"""Posting 835s: each scenario's 835 passes pyx12 and posts with every amount traced to its
segment; the same 835 twice changes nothing; a reversal is its own payment; a claim payment
naming no claim of ours is queued; any order and any repetition ends the same way."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alma.claims import codes, jobs, posting
from alma.claims.clearinghouse import SandboxClearinghouse
from alma.claims.remittance_models import (Adjustment, ClaimPayment, ProviderAdjustment,
                                           Remittance, ServiceLinePayment, UnmatchedClaimPayment)
from alma.claims.sandbox import TEST_MEMBERS
from alma.claims.x12_validation import validate
from alma.db import db
from tests.claims.helpers import fresh, logged_claim

COPAY = "ALMA-ACTIVE-COPAY"


def remittances_for(app, provider, sandbox, members):
    """Claims for `members`, sent, and every 835 the sandbox writes for them (3 polls)."""
    claims = [logged_claim(app, provider, member) for member in members]
    assert jobs.submit_claims() == len(claims)
    gateway = SandboxClearinghouse(sandbox)
    found, cursor = [], ""
    for _ in range(3):
        reports, cursor = gateway.poll(cursor)
        found += [r.x12 for r in reports if r.kind == "835"]
    return claims, found


def state(claims):
    return [(c.status, c.paid_cents, c.patient_responsibility_cents, c.payer_claim_number)
            for c in map(fresh, claims)] + [
        Remittance.select().count(), ClaimPayment.select().count(),
        Adjustment.select().count(), ProviderAdjustment.select().count(),
        UnmatchedClaimPayment.select().count()]


def test_every_scenarios_835_passes_pyx12_and_posts_traceably(app, in_program, sandbox):
    members = [m for m in TEST_MEMBERS if not m.endswith("REJECTED")
               and m not in ("ALMA-CARVE-OUT", "ALMA-OOP-MET")]
    claims, texts = remittances_for(app, in_program, sandbox, members)
    assert len(texts) == 2  # the payer's 835 for them all, then the reversal's
    for text in texts:
        assert validate(text) == []
        assert posting.post(text)[1] is True
    for adjustment in Adjustment.select():
        group, reason, amount = adjustment.segment.split("*")[1:4]
        assert (group, reason) == (adjustment.group_code, adjustment.reason_code)
        assert round(float(amount) * 100) == adjustment.amount_cents
    for line in ServiceLinePayment.select():
        assert line.segment.startswith("SVC*HC:90834")
    for payment in ClaimPayment.select():
        assert payment.segment.startswith(f"CLP*{payment.patient_control_number}*")
    assert {fresh(c).status for c in claims} == {"paid", "denied", "partly_paid", "reversed"}


def test_the_same_835_posted_twice_changes_nothing(app, in_program, sandbox):
    claims, texts = remittances_for(app, in_program, sandbox, [COPAY, f"{COPAY}-PARTLY"])
    posting.post(texts[0])
    before = state(claims)
    remittance, posted = posting.post(texts[0])
    assert posted is False and state(claims) == before
    assert remittance.paid_cents == 10000 + 8500


def test_a_reversal_is_posted_as_its_own_payment(app, in_program, sandbox):
    (claim,), (paid, reversal) = remittances_for(app, in_program, sandbox,
                                                 [f"{COPAY}-REVERSED"])
    posting.post(paid)
    assert fresh(claim).status == "paid"
    posting.post(reversal)
    claim = fresh(claim)
    payments = [(p.status_code, p.paid_cents, p.patient_cents) for p in
             ClaimPayment.select().where(ClaimPayment.claim == claim.id).order_by(ClaimPayment.id)]
    assert payments == [("1", 10000, 2500), ("22", -10000, -2500)]
    assert (claim.status, claim.paid_cents, claim.patient_responsibility_cents) == (
        "reversed", 0, 0)
    assert Remittance.select().order_by(Remittance.id)[-1].paid_cents == 0  # notice only


def test_a_claim_payment_naming_no_claim_of_ours_is_queued(app, in_program, sandbox):
    (claim,), (text,) = remittances_for(app, in_program, sandbox, [COPAY])
    stranger = text.replace(claim.patient_control_number, "AL99999999")
    assert validate(stranger) == []
    posting.post(stranger)
    queued = UnmatchedClaimPayment.get()
    assert (queued.patient_control_number, queued.paid_cents, queued.patient_cents) == (
        "AL99999999", 10000, 2500)
    assert queued.x12.startswith("CLP*AL99999999*1*125*100*25") and "CAS*PR*3*25" in queued.x12
    assert ClaimPayment.select().count() == 0 and fresh(claim).status == "submitted"


@pytest.fixture
def many_835s(app, in_program, sandbox):
    return remittances_for(app, in_program, sandbox,
                           [f"{COPAY}-REVERSED", f"{COPAY}-DENIED", "ALMA-COINS-DEDUCT"])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_order_and_any_repetition_of_835s_ends_the_same(many_835s, data):
    claims, texts = many_835s
    with db.atomic() as once:
        for text in texts:
            posting.post(text)
        expected = state(claims)
        once.rollback()
    order = data.draw(st.lists(st.sampled_from(texts), min_size=len(texts), max_size=8)
                      .filter(lambda drawn: set(drawn) == set(texts)))
    with db.atomic() as again:
        for text in order:
            posting.post(text)
        assert state(claims) == expected
        again.rollback()


def test_codes_are_said_in_plain_words_beside_their_official_text():
    assert codes.adjustment_words("PR", "1") == "PR-1: your plan's deductible: you pay this part"
    assert codes.official_adjustment("CO", "45").startswith(
        "CO (Contractual Obligations) 45: Charge exceeds fee schedule")
    assert codes.adjustment_words("OA", "999") == (
        "OA-999: reason code 999: adjusted by the plan for another reason")
    assert codes.acknowledgement_words("A7", "164", "IL") == (
        "rejected for invalid information: the member ID of the insured")
    assert codes.remark_words("MA130").startswith("MA130: the claim can't be processed")
