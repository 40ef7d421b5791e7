"""The client's share reconciled with each remittance: less is credited (and paid-over money
refunded through the gateway that took it), equal changes nothing, more waits for the
billing team; nothing happens twice; reversals reconcile against the net."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.benefits.outcomes import EstimateOutcome
from alma.billing import gateways
from alma.billing import service as billing
from alma.billing.models import CreditNote, Invoice, Refund
from alma.claims import posting, reconcile, reports
from alma.claims.clearinghouse import Report
from alma.claims.models import Claim
from alma.claims.reconcile_models import (APPROVED, CREDITED, EQUAL, HELD, PENDING, REVIEW,
                                          SUPERSEDED, WAIVED, ReconciledMoney, ShareReconciliation)
from alma.claims.remittance_models import Adjustment, ClaimPayment, ClearinghouseReport, Remittance
from alma.db import db
from alma.mail.models import OutboundEmail
from tests.claims.reconcile_helpers import COPAY, post_all, sent_claim, with_share


def emails(template):
    return list(OutboundEmail.select().where(OutboundEmail.template == template))


def billing_user():
    return User.create(email="bill@alma.example", name="Bill Ing", roles="billing")


def test_an_equal_share_changes_nothing(app, in_program, sandbox):
    claim, texts = sent_claim(app, in_program, sandbox, COPAY)
    post_all(texts)
    row = ShareReconciliation.get()
    assert (row.outcome, row.billed_cents, row.owed_cents) == (EQUAL, 2500, 2500)
    assert CreditNote.select().count() == 0 and not emails("share_lowered")
    outcome = EstimateOutcome.get()
    assert (outcome.claim_id, outcome.estimated_cents, outcome.final_cents) == (
        claim.id, 2500, 2500)


def test_a_lower_share_unpaid_is_credited_and_the_client_told(app, in_program, sandbox):
    claim, texts = sent_claim(app, in_program, sandbox, f"{COPAY}-DENIED")
    post_all(texts)
    row = ShareReconciliation.get()
    assert (row.outcome, row.difference_cents, row.credited_cents, row.refunded_cents) == (
        CREDITED, -2500, 2500, 0)
    invoice = Invoice.get_by_id(claim.visit.invoice_id)
    note = CreditNote.get()
    assert note.invoice_id == invoice.id and note.amount_cents == 2500
    assert claim.patient_control_number in note.reason and "remittance" in note.reason
    assert billing.amounts(invoice).due == 0 and invoice.status == "paid"
    assert ReconciledMoney.get().credit_note_id == note.id
    (told,) = emails("share_lowered")
    assert told.to_address == f"client-{COPAY.lower()}-denied@example.com"
    assert "$0" in told.text_body and "lowered your bill by $25" in told.text_body
    assert "CO-16: the claim was missing information, so it wasn't paid" in told.text_body
    # A denial the client owes nothing for is the claim's error, not the estimate's.
    assert EstimateOutcome.select().count() == 0


def test_a_lower_share_paid_already_is_refunded_through_the_gateway_that_took_it(
        app, in_program, sandbox):
    claim, texts = sent_claim(app, in_program, sandbox, COPAY)
    invoice = Invoice.get_by_id(claim.visit.invoice_id)
    payment, _ = billing.record_payment(invoice, 2500, "local", "local_paid_1")
    post_all([with_share(texts[0], claim, 1000)])
    row = ShareReconciliation.get()
    assert (row.outcome, row.owed_cents, row.credited_cents, row.refunded_cents) == (
        CREDITED, 1000, 1500, 1500)
    refund = Refund.get()
    assert refund.payment_id == payment.id and refund.amount_cents == 1500
    assert refund.reference.startswith("local_refund_")  # through the local gateway
    amounts = billing.amounts(invoice)
    assert (amounts.due, amounts.net_paid, amounts.credited) == (0, 1000, 1500)
    (told,) = emails("share_lowered")
    assert "$15 is refunded to the card" in told.text_body


def test_a_higher_share_waits_for_review_and_bills_nothing(app, in_program, sandbox):
    claim, texts = sent_claim(app, in_program, sandbox, f"{COPAY}-DEDUCTIBLE")
    invoices = Invoice.select().count()
    post_all(texts)
    row = ShareReconciliation.get()
    assert (row.outcome, row.review_status, row.difference_cents) == (REVIEW, PENDING, 10000)
    assert Invoice.select().count() == invoices and not emails("share_raised")
    assert reconcile.decision_words(claim) == [
        ("PR-1: your plan's deductible: you pay this part", 12500)]
    assert reconcile.pending_reviews() == [row]


def test_approving_issues_the_difference_and_emails_the_explanation(app, in_program, sandbox):
    claim, texts = sent_claim(app, in_program, sandbox, f"{COPAY}-DEDUCTIBLE")
    post_all(texts)
    row = reconcile.approve(ShareReconciliation.get().id, billing_user())
    invoice = row.additional_invoice
    assert (invoice.kind, invoice.total_cents, invoice.treating_provider_id) == (
        "deductible", 10000, in_program.id)
    assert reconcile.visit_invoices(claim.visit)[-1] == invoice
    assert not emails("invoice_issued") or all(
        e.dedupe_key != f"invoice:{invoice.id}:issued" for e in emails("invoice_issued"))
    (told,) = emails("share_raised")
    assert "/claims/explanations/link/" in told.text_body and "SB" in told.text_body
    assert AuditEvent.select().where((AuditEvent.action == "approved")
                             & (AuditEvent.subject_type == "share_review")).count() == 1
    with pytest.raises(reconcile.ReviewProblem):  # decided once, whoever clicks again
        reconcile.approve(row.id, row.decided_by)
    assert Invoice.select().where(Invoice.kind == "deductible").count() == 1


def test_waiving_needs_a_reason_and_is_audited(app, in_program, sandbox):
    claim, texts = sent_claim(app, in_program, sandbox, f"{COPAY}-COINSURANCE")
    post_all(texts)
    row = ShareReconciliation.get()
    assert row.difference_cents == 1250
    user = billing_user()
    with pytest.raises(reconcile.ReviewProblem):
        reconcile.waive(row.id, user, "  ")
    waived = reconcile.waive(row.id, user, "Goodwill: our estimate missed the plan change")
    assert (waived.review_status, waived.decided_by_id) == (WAIVED, user.id)
    assert AuditEvent.select().where((AuditEvent.action == "waived")
                             & (AuditEvent.subject_type == "share_review")).count() == 1
    assert not emails("share_raised") and waived.additional_invoice_id is None


def test_the_invoice_kind_follows_what_the_plan_raised(app, in_program, sandbox):
    claim, texts = sent_claim(app, in_program, sandbox, f"{COPAY}-COINSURANCE")
    post_all(texts)
    assert reconcile.invoice_kind(ShareReconciliation.get()) == "coinsurance"


def test_the_same_835_twice_reconciles_once(app, in_program, sandbox):
    claim, texts = sent_claim(app, in_program, sandbox, f"{COPAY}-DENIED")
    for _ in range(2):
        post_all(texts)
    assert ShareReconciliation.select().count() == 1 and CreditNote.select().count() == 1
    assert len(emails("share_lowered")) == 1
    # And asked again for the same claim payment, it answers with what it did.
    payment = ShareReconciliation.get().claim_payment
    assert reconcile.reconcile(claim, payment) == ShareReconciliation.get()
    assert CreditNote.select().count() == 1


def test_a_reversal_waits_and_then_reconciles_against_the_net(app, in_program, sandbox):
    claim, (paid, reversal) = sent_claim(app, in_program, sandbox, f"{COPAY}-REVERSED")
    posting.post(paid)
    posting.post(reversal)
    rows = list(ShareReconciliation.select().order_by(ShareReconciliation.id))
    assert [r.outcome for r in rows] == [EQUAL, HELD]
    assert CreditNote.select().count() == 0  # a reversal alone changes nothing for the client
    # The payer pays again, now with a deductible: $40 for the client (net of the reversal).
    again = (with_share(paid, claim, 4000).replace("TRN*1*", "TRN*1*R")
             .replace("*SB0000000001~", "*SB0000000001B~"))
    posting.post(again)
    latest = ShareReconciliation.select().order_by(ShareReconciliation.id.desc()).get()
    assert (latest.outcome, latest.owed_cents, latest.difference_cents) == (REVIEW, 4000, 1500)


def test_a_later_correction_supersedes_a_pending_review(app, in_program, sandbox):
    claim, (text,) = sent_claim(app, in_program, sandbox, COPAY)
    posting.post(with_share(text, claim, 6000))
    first = ShareReconciliation.get()
    assert first.review_status == PENDING
    corrected = with_share(text, claim, 2500).replace("TRN*1*", "TRN*1*C").replace(
        "CLP*" + claim.patient_control_number + "*1*", "CLP*" + claim.patient_control_number
        + "*22*")
    assert corrected != text
    posting.post(corrected)
    assert ShareReconciliation.get_by_id(first.id).review_status == SUPERSEDED
    assert APPROVED not in [r.review_status for r in ShareReconciliation.select()]


# --- Any sequence of remittances, reversals and payments --------------------------------

def _posted(claim, status, paid, share, number, trace):
    """A claim payment posted as posting.post does, without the 835's text."""
    remittance = Remittance.create(payer_identifier="187726", trace_number=trace,
                                   payer_name="UNITEDHEALTHCARE", paid_cents=max(paid, 0),
                                   method="CHK")
    payment = ClaimPayment.create(remittance=remittance, claim=claim, status_code=status,
                                  patient_control_number=claim.patient_control_number,
                                  charge_cents=12500, paid_cents=paid, patient_cents=share,
                                  payer_claim_number=number, segment="CLP")
    if share:
        Adjustment.create(claim_payment=payment, group_code="PR", reason_code="1",
                          amount_cents=share, segment="CAS")
    posting.settle(claim)
    return reconcile.reconcile(Claim.get_by_id(claim.id), payment)


def _pay_everything(visit, n):
    for invoice in reconcile.visit_invoices(visit):
        due = billing.amounts(invoice).due
        if due > 0:
            billing.record_payment(invoice, due, "local", f"local_p_{invoice.id}_{n}")


@pytest.fixture
def one_claim(app, in_program, sandbox):
    return sent_claim(app, in_program, sandbox, COPAY)[0]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_whatever_happens_the_client_ends_up_paying_what_the_plan_says(one_claim, data):
    claim = one_claim
    shares = data.draw(st.lists(st.integers(0, 12500), min_size=1, max_size=4), "shares")
    paying = data.draw(st.lists(st.booleans(), min_size=len(shares), max_size=len(shares)),
                       "pays before each")
    with db.atomic() as attempt:
        user = billing_user()
        previous = None
        for n, (share, pays) in enumerate(zip(shares, paying)):
            if pays:
                _pay_everything(claim.visit, n)
            if previous is not None:  # a correction: the last payment reversed first
                _posted(claim, "22", -(12500 - previous), -previous, f"SB{n - 1}", f"R{n}")
            row = _posted(claim, "1", 12500 - share, share, f"SB{n}", f"T{n}")
            if row.review_status == PENDING:
                reconcile.approve(row.id, user)
            previous = share
        _pay_everything(claim.visit, "end")
        bills = billing.amounts_for(reconcile.visit_invoices(claim.visit)).values()
        billed = sum(a.total - a.credited for a in bills)
        paid = sum(a.net_paid for a in bills)
        assert billed == paid == shares[-1], (billed, paid, shares)
        assert all(a.due == 0 for a in bills)
        attempt.rollback()


def test_a_refund_the_gateway_cannot_make_now_leaves_the_835_to_the_next_poll(
        app, in_program, sandbox, monkeypatch):
    claim, texts = sent_claim(app, in_program, sandbox, f"{COPAY}-DENIED")
    invoice = Invoice.get_by_id(claim.visit.invoice_id)
    billing.record_payment(invoice, 2500, "local", "local_paid_1")

    def unreachable(self, payment, amount_cents, key=None):
        raise gateways.GatewayUnavailable("the card network is down")
    monkeypatch.setattr(gateways.LocalGateway, "refund", unreachable)
    report = Report(transaction_id="835-once", kind="835", x12=texts[0])
    with pytest.raises(gateways.GatewayUnavailable):
        reports.receive(report)
    assert ClearinghouseReport.select().count() == 0  # nothing kept: read again next time
    assert Remittance.select().count() == 0 and Refund.select().count() == 0
    monkeypatch.undo()
    assert reports.receive(report).outcome == "applied"
    assert Refund.get().amount_cents == 2500 and CreditNote.get().amount_cents == 2500


def test_a_refund_for_a_lower_share_takes_billings_one_refund_path(app, in_program, sandbox):
    """Keyed by what was refunded before (a retry is the same refund), audited as the app's,
    the payer receipted, the invoice credited with it."""
    claim, texts = sent_claim(app, in_program, sandbox, COPAY)
    invoice = Invoice.get_by_id(claim.visit.invoice_id)
    payment, _ = billing.record_payment(invoice, 2500, "local", "local_paid_1")
    post_all([with_share(texts[0], claim, 1000)])
    refund = Refund.get()
    assert refund.idempotency_key == f"payment-{payment.id}-after-0-1500"
    assert refund.made_by_id is None
    note = CreditNote.get()
    assert (note.idempotency_key, note.amount_cents) == (refund.idempotency_key, 1500)
    money = ReconciledMoney.get()
    assert (money.refund_id, money.credit_note_id) == (refund.id, note.id)
    (event,) = AuditEvent.select().where(AuditEvent.action == "refunded")
    assert event.subject_id == invoice.id and "by the app" in event.detail
    assert claim.patient_control_number in event.detail
    (receipt,) = emails("refund_receipt")
    assert receipt.to_address == invoice.owed_by_client.email
    assert "Nothing is due on this invoice" in receipt.text_body
