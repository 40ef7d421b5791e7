"""The denials and rejections queue through its service: each action done once, the
claims it makes valid 837Ps (pyx12) that the submit job sends, and the sandbox answering
them as a payer would: a corrected claim paid, a replacement paid while the claim it
replaces is reversed, a void taking the payment back."""
import dataclasses

import pytest

from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.claims import claim_json, queue, queue_actions, sessions, x12
from alma.claims.models import Claim
from alma.claims.queue_models import ClaimAction, PayerFilingLimit
from alma.claims.remittance_models import ClaimPayment, ClearinghouseReport, ProviderAdjustment
from alma.claims.sandbox import Sandbox
from alma.claims.x12_validation import validate
from alma.network.models import ProgramClient
from tests.claims.helpers import fresh, logged_claim
from tests.claims.queue_helpers import COPAY, corrections, decided, key, run_clearinghouse
from tests.claims.test_x12 import make_claim


@pytest.fixture
def billing(db):
    return User.create(email="billing@alma.example", name="Bea Billing", roles="billing")


def needs_action():
    rows, _, _ = queue.search(queue.Filters())
    return [c.id for c in rows]


def test_a_denied_claim_corrected_is_replaced_and_paid_and_leaves_the_queue(
        app, in_program, sandbox, later, billing):
    claim = decided(app, in_program, f"{COPAY}-DENIED")
    assert claim.status == "denied" and needs_action() == [claim.id]
    action = queue_actions.correct_and_resubmit(claim.id, key(), "Member ID was mistyped",
                                                corrections(claim, member_id=COPAY), billing)
    new = action.new_claim
    assert (action.kind, new.frequency_code, new.replaces_id) == ("replaced", "7", claim.id)
    assert validate(new.x12) == []
    assert f"REF*F8*{claim.payer_claim_number}~" in new.x12
    assert "CLM*" + new.patient_control_number + "*125***10:B:7*" in new.x12
    assert claim_json.from_837p(new.x12)["claimInformation"][
        "claimSupplementalInformation"] == {"claimControlNumber": claim.payer_claim_number}
    assert ProgramClient.get_by_id(claim.visit.program_client_id).member_id == COPAY
    assert "member ID ALMA-ACTIVE-COPAY-DENIED → ALMA-ACTIVE-COPAY" in action.corrections
    assert needs_action() == []
    run_clearinghouse(polls=3)
    new = fresh(new)
    assert (new.status, new.paid_cents, new.patient_responsibility_cents) == (
        "paid", 10000, 2500)
    assert fresh(claim).status == "denied"  # its payment was nothing: nothing to take back
    assert AuditEvent.get(AuditEvent.action == "claim replaced").subject_id == claim.id


def test_a_rejected_claim_is_sent_again_as_a_new_original(app, in_program, sandbox, later,
                                                          billing):
    claim = decided(app, in_program, f"{COPAY}-REJECTED")
    assert claim.status == "rejected" and not claim.payer_claim_number
    action = queue_actions.correct_and_resubmit(claim.id, key(), "Typo in the member ID",
                                                corrections(claim, member_id=COPAY,
                                                            diagnosis_code="F43.23"), billing)
    new = action.new_claim
    assert (action.kind, new.frequency_code) == ("resubmitted", "1")
    assert validate(new.x12) == [] and "REF*F8" not in new.x12 and "ABK:F4323" in new.x12
    assert ProgramClient.get_by_id(claim.visit.program_client_id).diagnosis_code == "F43.23"
    run_clearinghouse(polls=3)
    assert fresh(new).status == "paid"


def test_a_paid_claim_replaced_is_reversed_as_the_replacement_is_paid(app, in_program,
                                                                      sandbox, later, billing):
    claim = decided(app, in_program, COPAY)
    assert claim.status == "paid"
    action = queue_actions.correct_and_resubmit(claim.id, key(), "Wrong place of service",
                                                corrections(claim, place_of_service="11"), billing)
    assert "10:B:7" not in action.new_claim.x12 and "11:B:7" in action.new_claim.x12
    run_clearinghouse(polls=3)
    assert fresh(claim).status == "reversed" and fresh(claim).paid_cents == 0
    assert fresh(action.new_claim).status == "paid"
    assert ProviderAdjustment.get().reason_code == "FB"


def test_a_void_takes_the_payment_back_on_a_later_remittance(app, in_program, sandbox, later,
                                                             billing):
    claim = decided(app, in_program, COPAY)
    action = queue_actions.void(claim.id, key(), "Session was never held", billing)
    void = action.new_claim
    assert (void.frequency_code, void.patient_share_cents) == ("8", 0)
    assert validate(void.x12) == [] and f"REF*F8*{claim.payer_claim_number}~" in void.x12
    run_clearinghouse(polls=3)
    claim, void = fresh(claim), fresh(void)
    assert (claim.status, claim.paid_cents) == ("reversed", 0)
    assert void.status == "reversed" and "as this void asked" in void.status_note
    assert [p.status_code for p in ClaimPayment.select().order_by(ClaimPayment.id)] == [
        "1", "22"]


def test_a_write_off_records_what_nobody_pays_and_leaves_the_queue(app, in_program, sandbox,
                                                                   later, billing):
    claim = decided(app, in_program, f"{COPAY}-PARTLY")
    assert needs_action() == [claim.id]
    action = queue_actions.write_off(claim.id, key(), "Contracted rate; not worth an appeal",
                                     billing)
    assert (action.written_off_cents, action.charge_cents, action.insurer_paid_cents,
            action.client_share_cents) == (1500, 12500, 8500, 2500)
    assert needs_action() == []
    rows, _, _ = queue.search(queue.Filters(state="acted_on"))
    assert [c.id for c in rows] == [claim.id] and rows[0].action.label == "Written off"
    visit = sessions.visits(in_program)[0]
    assert "Written off by Alma's billing team" in visit.claim_words


def test_each_action_is_done_once_whoever_sends_it_twice(app, in_program, sandbox, later,
                                                         billing):
    claim = decided(app, in_program, f"{COPAY}-DENIED")
    form_key = key()
    first = queue_actions.correct_and_resubmit(claim.id, form_key, "r", corrections(claim),
                                               billing)
    again = queue_actions.correct_and_resubmit(claim.id, form_key, "r", corrections(claim),
                                               billing)
    assert again.id == first.id
    with pytest.raises(queue_actions.QueueProblem, match="Bea Billing already acted"):
        queue_actions.write_off(claim.id, key(), "another idea", billing)
    assert ClaimAction.select().count() == 1 and Claim.select().count() == 2


def test_an_action_the_state_does_not_allow_is_refused_and_nothing_is_written(
        app, in_program, sandbox, later, billing):
    claim = decided(app, in_program, f"{COPAY}-DENIED")
    with pytest.raises(queue_actions.QueueProblem, match="denied can't be voided"):
        queue_actions.void(claim.id, key(), "r", billing)
    with pytest.raises(queue_actions.QueueProblem, match="member_id") as refused:
        queue_actions.correct_and_resubmit(claim.id, key(), "r", corrections(
            claim, member_id="NO ID!", cpt_code="90837"), billing)
    assert refused.value.field == "member_id"
    assert ClaimAction.select().count() == 0 and Claim.select().count() == 1
    assert fresh(claim).visit.cpt_code == "90834"  # nothing half-written
    assert fresh(claim).visit.program_client.member_id == f"{COPAY}-DENIED"


def test_the_filing_limit_marks_claims_near_and_past_it(app, in_program, sandbox, later):
    claim = decided(app, in_program, f"{COPAY}-REJECTED")
    row = queue.search(queue.Filters())[0][0]
    assert (row.filing.age_days, row.filing.limit_days, row.filing.mark) == (12, 90, "")
    PayerFilingLimit.create(payer=claim.payer, days=15)
    assert queue.search(queue.Filters())[0][0].filing.mark == "near"
    PayerFilingLimit.update(days=10).execute()
    row = queue.search(queue.Filters())[0][0]
    assert row.filing.mark == "past" and "past the 10-day" in row.filing.words


def test_filters_by_state_payer_provider_and_reason(app, in_program, sandbox, later):
    denied = decided(app, in_program, f"{COPAY}-DENIED")
    rejected = decided(app, in_program, f"{COPAY}-REJECTED", n=1)
    paid = decided(app, in_program, COPAY, n=2)

    def ids(**filters):
        return [c.id for c in queue.search(queue.Filters(**filters))[0]]
    assert ids() == [denied.id, rejected.id]  # oldest session first
    assert ids(state="all") == [denied.id, rejected.id, paid.id]
    assert ids(state="paid") == [paid.id]
    for code in ("CO-16", "16", "MA130"):
        assert ids(reason=queue.reason_code(code.lower())) == [denied.id], code
    assert ids(reason="A7:164") == [rejected.id] and ids(reason="164") == [rejected.id]
    assert ids(state="all", reason="PR-3") == [paid.id]
    assert ids(payer=denied.payer_id) == [denied.id, rejected.id]
    assert ids(payer=denied.payer_id + 999) == []
    assert ids(provider=in_program.id + 999) == [] and len(ids(provider=in_program.id)) == 2
    assert queue.reason_code("١٦") is None and queue.reason_code("CO-16; drop") is None


def test_later_claims_for_a_session_do_not_count_as_more_spending(app, in_program, sandbox,
                                                                  later, billing):
    """The next session's estimate counts one estimate per session, not one per claim."""
    claim = decided(app, in_program, f"{COPAY}-DENIED")
    queue_actions.correct_and_resubmit(claim.id, key(), "r", corrections(claim, member_id=COPAY),
                                       billing)
    program_client = ProgramClient.get_by_id(claim.visit.program_client_id)
    second = logged_claim(app, in_program, COPAY, n=1, program_client=program_client)
    assert second.patient_share_cents == 2500


def test_the_provider_sees_each_claim_in_words(app, in_program, sandbox, later, billing):
    claim = decided(app, in_program, f"{COPAY}-DENIED")
    queue_actions.correct_and_resubmit(claim.id, key(), "r", corrections(claim, member_id=COPAY),
                                       billing)
    visit = sessions.visits(in_program)[0]
    assert visit.claim.frequency_code == "7"
    assert visit.claim_words == (f"A corrected claim replacing "
                                 f"{claim.patient_control_number}.")
    paid = decided(app, in_program, COPAY, n=1,
                   program_client=ProgramClient.get_by_id(claim.visit.program_client_id))
    queue_actions.void(paid.id, key(), "never held", billing)
    words = {v.id: v.claim_words for v in sessions.visits(in_program)}
    assert words[paid.visit_id].startswith("A void asking the insurer to take back claim")


def test_every_answer_to_replacements_and_voids_passes_pyx12(app, in_program, sandbox, later,
                                                             billing):
    paid = decided(app, in_program, COPAY)
    denied = decided(app, in_program, f"{COPAY}-DENIED", n=1)
    queue_actions.void(paid.id, key(), "never held", billing)
    with pytest.raises(queue_actions.QueueProblem, match="already has that member ID"):
        queue_actions.correct_and_resubmit(denied.id, key(), "typo",
                                           corrections(denied, member_id=COPAY), billing)
    queue_actions.correct_and_resubmit(denied.id, key(), "typo", corrections(
        denied, member_id=f"{COPAY}-COINSURANCE"), billing)
    run_clearinghouse(polls=3)
    reports = list(ClearinghouseReport.select())
    # 999, 277CA and 835 for each first claim; 999 and 277CA for the void and the
    # replacement, and one 835 answering both (a reversal and a payment)
    assert len(reports) == 11 and {r.outcome for r in reports} == {"applied"}
    assert all(validate(r.x12) == [] for r in reports if r.kind == "835")


def test_a_replacement_naming_no_decided_claim_is_rejected_at_the_front_door(sandbox):
    accumulators = {}
    claim = {"frequency": "7", "replaces": "SB9999999999", "member_id": COPAY,
             "charge_cents": 12500}
    state = {"submissions": {}, "accumulators": accumulators}
    assert Sandbox._decide(state, claim) == {"rejection": ["A7", "21", "PR"]}
    assert Sandbox._decide(state, {**claim, "frequency": "8"}) == {
        "rejection": ["A7", "21", "PR"]}


@pytest.mark.parametrize("frequency,number,problem", [
    ("7", "", "payer_claim_number: is empty"), ("8", "SB 1", "not a usable identifier"),
    ("1", "SB1", "an original claim names no earlier claim"), ("9", "", "must be 1, 7 or 8")])
def test_a_replacement_or_void_must_name_the_claim_it_acts_on(frequency, number, problem):
    data = dataclasses.replace(make_claim(), frequency_code=frequency,
                               payer_claim_number=number)
    with pytest.raises(x12.ClaimDataProblem, match=problem):
        x12.claim_837p(data)
