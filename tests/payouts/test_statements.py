"""Statements through the real loop: sessions logged, claims paid by the sandbox's 835s,
the payout job run on given days."""
import datetime

from alma.accounts.models import User
from alma.billing import service as billing
from alma.billing.models import Payment
from alma.billing.transfers import LocalTransfer, LocalTransfers, TransferFailed
from alma.claims import jobs, reconcile
from alma.claims.models import Claim
from alma.claims.reconcile_models import ShareReconciliation
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.mail.models import OutboundEmail
from alma.payouts import periods, statements
from alma.payouts.models import (CARRIED, PAID, RECOUPMENT, RECOVERY, SESSION, UNPAID, WAITING,
                                 PayoutLine, PayoutStatement, PayRate)
from tests.payouts.helpers import D, on, paid_claim, run_on

COPAY = "ALMA-ACTIVE-COPAY"


def _statements(provider):
    return list(PayoutStatement.select().where(PayoutStatement.provider == provider.id)
                .order_by(PayoutStatement.period_start))


def _lines(statement):
    return [(line.kind, line.amount_cents) for line in statements.lines_of(statement)]


def test_periods_are_halves_of_months():
    assert periods.period_of(D(2026, 11, 15)) == (D(2026, 11, 1), D(2026, 11, 15))
    assert periods.period_of(D(2026, 11, 16)) == (D(2026, 11, 16), D(2026, 11, 30))
    assert periods.period_of(D(2027, 2, 20)) == (D(2027, 2, 16), D(2027, 2, 28))
    assert periods.last_ended_period(D(2026, 12, 1)) == (D(2026, 11, 16), D(2026, 11, 30))
    assert periods.last_ended_period(D(2027, 1, 10)) == (D(2026, 12, 16), D(2026, 12, 31))


def test_a_paid_session_is_on_the_next_statement_once_and_paid_once(app, in_program,
                                                                    sandbox):
    claim = paid_claim(app, in_program)
    assert claim.status == "paid"
    assert run_on(D(2026, 11, 30)) == 0  # the period it was paid in hasn't ended
    with on(D(2026, 11, 28)):
        coming = statements.coming(in_program.id)
    assert [(i.kind, i.amount_cents) for i in coming["items"]] == [(SESSION, 10000)]
    assert coming["pay_on"] == D(2026, 12, 1)
    assert run_on(D(2026, 12, 1)) == 2  # opened and made; no bank details: not paid
    [statement] = _statements(in_program)
    assert (statement.period_start, statement.period_end) == (D(2026, 11, 16),
                                                               D(2026, 11, 30))
    assert statement.status == WAITING and statement.total_cents == 10000
    [line] = statements.lines_of(statement)
    assert (line.kind, line.amount_cents, line.claim_id, line.visit_id) == (
        SESSION, 10000, claim.id, claim.visit_id)
    assert line.remittance.trace_number in line.description
    assert line.pay_rate.cents == 10000 and line.invoice_id == claim.visit.invoice_id
    email = OutboundEmail.get(OutboundEmail.template == "payout_statement")
    assert email.to_address == in_program.email
    assert f"/practice/payouts/{statement.id}" in email.text_body
    assert run_on(D(2026, 12, 2)) == 0  # the job again: nothing new
    assert statements.set_payout_account(in_program, "acct_1TestProvider") == 1
    assert run_on(D(2026, 12, 2)) == 1
    statement = PayoutStatement.get_by_id(statement.id)
    assert statement.status == PAID and statement.transfer_reference.startswith("tr_local_")
    transfer = LocalTransfer.get()
    assert (transfer.idempotency_key, transfer.destination, transfer.amount_cents) == (
        statement.idempotency_key, "acct_1TestProvider", 10000)
    assert run_on(D(2026, 12, 16)) == 0 and run_on(D(2027, 1, 1)) == 0
    assert LocalTransfer.select().count() == 1 and len(_statements(in_program)) == 1
    assert OutboundEmail.select().where(OutboundEmail.template == "payout_statement").count() == 1


def test_a_denied_or_rejected_claim_is_never_paid_out(app, in_program, sandbox):
    paid_claim(app, in_program, f"{COPAY}-DENIED")
    paid_claim(app, in_program, f"{COPAY}-REJECTED")
    assert run_on(D(2026, 12, 1)) == 0
    assert PayoutLine.select().count() == 0


def test_a_reversal_is_taken_back_and_a_negative_total_carries(app, in_program, sandbox):
    in_program.payout_account_id = "acct_1TestProvider"
    in_program.save()
    claim = paid_claim(app, in_program, f"{COPAY}-REVERSED")
    run_on(D(2026, 12, 1))
    with on(D(2026, 12, 3)):
        jobs.poll_reports()  # the reversal
    run_on(D(2026, 12, 16))
    first, second = _statements(in_program)
    assert (first.status, first.total_cents) == (PAID, 10000)
    assert _lines(second) == [(RECOUPMENT, -10000)]
    assert (second.status, second.total_cents, second.carried_out_cents) == (
        CARRIED, -10000, -10000)
    assert statements.lines_of(second)[0].claim_id == claim.id
    assert LocalTransfer.select().count() == 1
    # The next session pays the balance back first: nothing is sent until it is positive.
    paid_claim(app, in_program, paid_on=D(2026, 12, 20), n=1,
               program_client=claim.visit.program_client)
    run_on(D(2027, 1, 1))
    third = _statements(in_program)[-1]
    assert (third.carried_in_cents, third.lines_cents, third.total_cents, third.status) == (
        -10000, 10000, 0, CARRIED)
    assert LocalTransfer.select().count() == 1


def test_a_balance_unpaid_60_days_is_deducted_then_recovered(app, in_program, sandbox):
    claim = paid_claim(app, in_program)
    invoice = claim.visit.invoice
    assert invoice.total_cents == 2500 and invoice.due_on == D(2026, 12, 7)
    run_on(D(2026, 12, 1))
    run_on(D(2027, 2, 1))  # 56 days after the due date: not yet
    assert len(_statements(in_program)) == 1
    run_on(D(2027, 2, 16))  # Feb 5 was 60 days
    deducted = _statements(in_program)[-1]
    assert _lines(deducted) == [(UNPAID, -2500)]
    assert statements.lines_of(deducted)[0].invoice_id == invoice.id
    run_on(D(2027, 3, 1))
    assert len(_statements(in_program)) == 2  # deducted once
    with on(D(2027, 3, 5)):
        billing.record_payment(invoice, 2500, "local", "local_ref_1")
    run_on(D(2027, 3, 16))
    recovered = _statements(in_program)[-1]
    assert _lines(recovered) == [(RECOVERY, 2500)]
    assert statements.lines_of(recovered)[0].payment_id == Payment.get().id
    assert sum(s.lines_cents for s in _statements(in_program)) == 10000


def test_a_raised_share_unpaid_60_days_is_deducted_like_the_first_invoice(app, in_program,
                                                                        sandbox):
    claim = paid_claim(app, in_program, member_id=f"{COPAY}-COINSURANCE")  # owes $37.50
    with on(D(2026, 11, 26)):
        billing.record_payment(claim.visit.invoice, 2500, "local", "local_ref_copay")
        row = reconcile.approve(ShareReconciliation.get().id, User.create(
            email="bea@alma.example", name="Bea", roles="billing"))
    raised = row.additional_invoice
    assert (raised.total_cents, raised.due_on) == (1250, D(2026, 12, 10))
    run_on(D(2026, 12, 1))
    run_on(D(2027, 2, 1))  # 53 days after its due date: not yet
    run_on(D(2027, 2, 16))  # Feb 8 was 60 days
    assert [_lines(s) for s in _statements(in_program)] == [[(SESSION, 10000)],
                                                            [(UNPAID, -1250)]]
    deducted = statements.lines_of(_statements(in_program)[-1])[0]
    assert (deducted.invoice_id, deducted.visit_id) == (raised.id, claim.visit_id)
    assert raised.number in deducted.description
    with on(D(2027, 3, 5)):
        billing.record_payment(raised, 1250, "local", "local_ref_raised")
    run_on(D(2027, 3, 16))
    assert _lines(_statements(in_program)[-1]) == [(RECOVERY, 1250)]


def test_a_balance_the_provider_collected_directly_is_no_recovery(app, in_program, sandbox):
    from alma.billing import overdue

    claim = paid_claim(app, in_program)
    run_on(D(2026, 12, 1))
    run_on(D(2027, 2, 16))
    with on(D(2027, 2, 20)):
        overdue.record_paid_directly(claim.visit.invoice, in_program)
    run_on(D(2027, 3, 1))
    assert [s.lines_cents for s in _statements(in_program)] == [10000, -2500]


def test_a_rate_for_the_licence_type_and_the_sessions_day(app, in_program, sandbox):
    PayRate.create(cpt_code="90834", license_type="LCSW", cents=10500,
                   starts_on=D(2026, 11, 1))
    PayRate.create(cpt_code="90834", license_type=None, cents=11000,
                   starts_on=D(2026, 12, 1))  # after the session: not its rate
    PayRate.create(cpt_code="90834", license_type="LMFT", cents=99900,
                   starts_on=D(2026, 1, 1))  # not her licence
    paid_claim(app, in_program)
    run_on(D(2026, 12, 1))
    assert _lines(_statements(in_program)[0]) == [(SESSION, 10500)]


def test_a_transfer_that_fails_is_tried_again_with_the_same_key(app, in_program, sandbox,
                                                                monkeypatch):
    in_program.payout_account_id = "acct_1TestProvider"
    in_program.save()
    paid_claim(app, in_program)
    real = LocalTransfers.transfer
    calls = []

    def flaky(self, *args):
        calls.append(args)
        if len(calls) == 1:
            raise TransferFailed("the bank is down")
        return real(self, *args)
    monkeypatch.setattr(LocalTransfers, "transfer", flaky)
    run_on(D(2026, 12, 1))
    [statement] = _statements(in_program)
    assert statement.status == "to_pay" and LocalTransfer.select().count() == 0
    assert (statement.transfer_problem, statement.transfer_attempts) == ("the bank is down", 1)
    assert run_on(D(2026, 12, 1)) == 0  # not again at once: in an hour
    with on(D(2026, 12, 1), hour=4):
        assert statements.pay_statements() == 1
    statement = PayoutStatement.get_by_id(statement.id)
    assert statement.status == PAID and statement.transfer_problem == ""
    assert [c[2] for c in calls] == [statement.idempotency_key] * 2
    assert LocalTransfer.select().count() == 1


def test_a_worker_killed_after_the_transfer_never_pays_twice(app, in_program, sandbox):
    """The bank said yes, then the process died before its transaction committed: the
    statement is still to pay, and paying it again finds the same transfer."""
    in_program.payout_account_id = "acct_1TestProvider"
    in_program.save()
    paid_claim(app, in_program)
    with on(D(2026, 12, 1)):
        statements.open_statements()
        statements.make_statements()
    [statement] = _statements(in_program)
    first = LocalTransfers().transfer("acct_1TestProvider", 10000, statement.idempotency_key,
                                      "the dead worker's")
    run_on(D(2026, 12, 1))
    assert PayoutStatement.get_by_id(statement.id).transfer_reference == first
    assert LocalTransfer.select().count() == 1


def _replacement(original):
    return Claim.create(
        visit=original.visit, payer=original.payer, charge_cents=12500, allowed_cents=12500,
        deductible_cents=0, coinsurance_cents=0, copay_cents=2500, patient_share_cents=2500,
        place_of_service="10", x12="", frequency_code="7", replaces=original, status="paid")


def test_a_session_is_paid_once_whatever_claims_are_made_for_it(app, in_program, sandbox):
    """A replacement claim (frequency 7) paid while the first is still paid out waits for
    the first's reversal; then both are on one statement, and net."""
    original = paid_claim(app, in_program)
    run_on(D(2026, 12, 1))
    replacement = _replacement(original)
    _pay(replacement, "1", "T-R1", datetime.datetime(2026, 12, 3, 12))
    run_on(D(2026, 12, 16))
    assert len(_statements(in_program)) == 1
    _pay(original, "22", "T-R2", datetime.datetime(2026, 12, 20, 12))
    run_on(D(2027, 1, 1))
    last = _statements(in_program)[-1]
    assert _lines(last) == [(SESSION, 10000), (RECOUPMENT, -10000)]
    session, recoupment = statements.lines_of(last)
    assert (session.claim_id, recoupment.claim_id) == (replacement.id, original.id)
    assert last.total_cents == 0 and last.status == CARRIED
    run_on(D(2027, 1, 16))
    assert sum(s.lines_cents for s in _statements(in_program)) == 10000
    assert PayoutLine.select().where(PayoutLine.kind == SESSION).count() == 2


def test_a_replacement_paid_with_the_reversal_is_one_session(app, in_program, sandbox):
    """Paid and replaced before any statement: the original's payment, taken back, is no
    line at all; the replacement's is the session's one line."""
    original = paid_claim(app, in_program)
    replacement = _replacement(original)
    _pay(original, "22", "T-R2", datetime.datetime(2026, 11, 27, 12))
    _pay(replacement, "1", "T-R1", datetime.datetime(2026, 11, 27, 12))
    run_on(D(2026, 12, 1))
    [statement] = _statements(in_program)
    assert _lines(statement) == [(SESSION, 10000)]
    assert statements.lines_of(statement)[0].claim_id == replacement.id


def test_a_claim_reversed_and_paid_again_is_paid_out_again(app, in_program, sandbox):
    """A payer's reversal and correction of one claim (CLP02 22, then 1 with a new CLP07):
    taken back, then paid again, each line once."""
    claim = paid_claim(app, in_program)
    run_on(D(2026, 12, 1))
    _pay(claim, "22", "T-R2", datetime.datetime(2026, 12, 3, 12))
    run_on(D(2026, 12, 16))
    _pay(claim, "1", "T-R3", datetime.datetime(2026, 12, 20, 12), number="SB1-B")
    run_on(D(2027, 1, 1))
    run_on(D(2027, 1, 16))
    assert [_lines(s) for s in _statements(in_program)] == [
        [(SESSION, 10000)], [(RECOUPMENT, -10000)], [(SESSION, 10000)]]
    assert sorted(line.source_key for line in PayoutLine.select()) == [
        f"recoupment:claim:{claim.id}", f"session:claim:{claim.id}",
        f"session:claim:{claim.id}:2"]


def test_a_voided_session_is_taken_back_and_its_balance_never_deducted(app, in_program,
                                                                       sandbox):
    """The session's claim is voided (frequency 8) and its payment taken back: the client's
    invoice left unpaid is no longer the provider's loss."""
    original = paid_claim(app, in_program)
    run_on(D(2026, 12, 1))
    Claim.create(visit=original.visit, payer=original.payer, charge_cents=12500,
                 allowed_cents=12500, deductible_cents=0, coinsurance_cents=0, copay_cents=0,
                 patient_share_cents=0, place_of_service="10", x12="", frequency_code="8",
                 replaces=original, status="reversed")
    _pay(original, "22", "T-R2", datetime.datetime(2026, 12, 3, 12))
    for day in (D(2026, 12, 16), D(2027, 2, 16), D(2027, 3, 1)):
        run_on(day)
    assert [_lines(s) for s in _statements(in_program)] == [
        [(SESSION, 10000)], [(RECOUPMENT, -10000)]]


def _pay(claim, status, trace, when, number=None):
    """A claim payment; a reversal names the payment it takes back (its CLP07)."""
    sign = -1 if status == "22" else 1
    if number is None:
        number = claim.payer_claim_number or "SB1"
    remittance = Remittance.create(payer_identifier="87726", trace_number=trace,
                                   paid_cents=0, method="NON", posted_at=when)
    ClaimPayment.create(remittance=remittance, claim=claim,
                        patient_control_number=claim.patient_control_number,
                        status_code=status, charge_cents=sign * 12500,
                        paid_cents=sign * 10000, patient_cents=sign * 2500,
                        payer_claim_number=number, segment="CLP*…")
