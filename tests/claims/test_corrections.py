"""A correction (a reversal, CLP02 22, and a new payment with the same payer claim number)
on an 835 whose trace number sorts before the original's, posted on the same day: the new
payment is the one standing, whichever 835 is posted first."""
import datetime

import pytest

from alma.claims import era, posting, reconcile
from alma.claims.sandbox_x12 import remittance_835
from alma.claims.x12_validation import validate
from alma.db import db
from tests.claims.helpers import fresh
from tests.claims.test_remittances import COPAY, remittances_for

NEW_DECISION = {"status": "1", "paid_cents": 6000, "patient_cents": 5000,
                "adjustments": [["CO", "45", 1500], ["PR", "1", 5000]], "remarks": []}


@pytest.fixture
def original_and_correction(app, in_program, sandbox):
    (claim,), (original,) = remittances_for(app, in_program, sandbox, [COPAY])
    with sandbox._state() as state:
        (submitted,) = state["submissions"].values()
    facts, decision = submitted["claim"], submitted["decision"]
    payer = {"payer_id": facts["payer_id"], "payer_name": facts["payer_name"],
             "payer_tax_id": era.read(original).payer_identifier[1:],
             "tax_id": facts["tax_id"], "npi": facts["npi"], "group_name": facts["group_name"],
             "submitter_id": facts["submitter_id"]}
    same_day = datetime.datetime.combine(era.read(original).paid_on, datetime.time(16))
    new = {**NEW_DECISION, "payer_claim_number": decision["payer_claim_number"]}
    carried = [("FB", facts["pcn"], -decision["paid_cents"])]
    correction = remittance_835(payer, [(facts, decision, -1), (facts, new, 1)],
                                "AA0000001", 900, same_day, carried)
    reversal = remittance_835(payer, [(facts, decision, -1)], "AA0000002", 901, same_day,
                              carried)
    for text in (correction, reversal):
        assert validate(text) == []
        assert era.read(text).trace_number < era.read(original).trace_number
    return claim, original, correction, reversal


@pytest.mark.parametrize("first", ["original", "correction"])
def test_the_corrections_new_payment_stands_in_any_posting_order(original_and_correction,
                                                                 first):
    claim, original, correction, _ = original_and_correction
    texts = [original, correction] if first == "original" else [correction, original]
    with db.atomic() as block:
        for text in texts:
            posting.post(text)
        claim = fresh(claim)
        assert (claim.status, claim.paid_cents, claim.patient_responsibility_cents) == (
            "partly_paid", 6000, 5000)
        assert "paid $60; the client's share is $50. CO-45" in claim.status_note
        assert "PR-1: your plan's deductible" in claim.status_note
        assert "$100" not in claim.status_note
        payments, standing = posting.standing_payments(claim)
        assert [(p.status_code, p.paid_cents) for p in standing] == [("1", 6000)]
        assert len(payments) == 3
        words = [w for w, _ in reconcile.decision_words(claim)]
        assert any(w.startswith("PR-1") for w in words)
        assert not any(w.startswith("PR-3") for w in words)  # the old decision's copay
        block.rollback()


@pytest.mark.parametrize("first", ["original", "reversal"])
def test_a_reversal_alone_says_the_claim_was_reversed_in_any_order(original_and_correction,
                                                                   first):
    claim, original, _, reversal = original_and_correction
    with db.atomic() as block:
        for text in [original, reversal] if first == "original" else [reversal, original]:
            posting.post(text)
        claim = fresh(claim)
        assert (claim.status, claim.paid_cents, claim.patient_responsibility_cents) == (
            "reversed", 0, 0)
        assert "took back its payment of $100" in claim.status_note
        assert posting.standing_payments(claim)[1] == []
        block.rollback()
