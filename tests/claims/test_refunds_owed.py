"""A lower share paid over in a way this server can't refund (to the provider directly, or
through a gateway it doesn't run): the reconciliation says a refund is owed, not made, with
the amount and the next step, on the billing team's reviews page until they record how it
was settled; the client is told; nothing is credited or refunded silently."""
import pytest

from alma.audit import AuditEvent
from alma.billing import service as billing
from alma.billing.models import CreditNote, Invoice, Refund
from alma.claims.reconcile_models import CREDITED, ShareReconciliation
from alma.mail.models import OutboundEmail
from tests.claims.reconcile_helpers import COPAY, post_all, sent_claim, with_share
from tests.claims.test_reconcile_pages import ALLOWED, PERSONAS, become, form_post, text


def lowered_after_paying(app, provider, sandbox, gateway, reference):
    claim, texts = sent_claim(app, provider, sandbox, COPAY)
    invoice = Invoice.get_by_id(claim.visit.invoice_id)
    billing.record_payment(invoice, 2500, gateway, reference)
    post_all([with_share(texts[0], claim, 1000)])
    return ShareReconciliation.get(), invoice


@pytest.fixture
def owed(app, in_program, sandbox):
    return lowered_after_paying(app, in_program, sandbox, billing.DIRECT, "direct-check-1")[0]


def test_paid_to_the_provider_directly_the_refund_is_owed_and_said(owed, in_program):
    assert (owed.outcome, owed.owed_cents, owed.refund_owed_cents) == (CREDITED, 1000, 1500)
    assert (owed.refunded_cents, owed.credited_cents) == (0, 0)
    assert Refund.select().count() == 0 and CreditNote.select().count() == 0
    assert owed.refund_owed_reason == (
        f"Paid directly to the provider: ask {in_program.full_name} to refund the client, "
        "then record here how it was settled.")
    (told,) = OutboundEmail.select().where(OutboundEmail.template == "share_lowered")
    assert "You also paid $15 more than your share" in told.text_body


def test_paid_through_a_gateway_this_server_does_not_run(app, in_program, sandbox):
    row, _ = lowered_after_paying(app, in_program, sandbox, "stripe", "pi_elsewhere_1")
    assert (row.refund_owed_cents, row.refunded_cents) == (1500, 0)
    assert row.refund_owed_reason.startswith(
        "Paid through stripe, which this server doesn't run: refund the client from")


def test_refunded_from_here_nothing_is_owed(app, in_program, sandbox):
    row, _ = lowered_after_paying(app, in_program, sandbox, "local", "local_paid_1")
    assert (row.refund_owed_cents, row.refunded_cents, row.refund_owed_reason) == (
        0, 1500, "")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_and_settles_a_refund_owed(client, in_program, owed, persona):
    become(client, persona, in_program)
    page = client.get("/team/claims/reviews")
    response = form_post(client, f"/team/claims/reviews/{owed.id}/refund-settled",
                         {"note": "Provider mailed check 1042 on Dec 4"})
    settled = ShareReconciliation.get_by_id(owed.id).refund_settled_at
    if persona in ("anonymous", "client"):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        assert settled is None
    elif persona not in ALLOWED:
        assert (page.status_code, response.status_code, settled) == (403, 403, None)
    else:
        shown = text(page)
        assert "Refund owed, not made:" in shown and "$15 (1500 cents)" in shown
        assert ("Next step:</strong> Paid directly to the provider: ask "
                f"{in_program.full_name} to refund the client") in shown
        assert response.status_code == 303 and settled is not None
        assert "Refund owed, not made" not in text(client.get("/team/claims/reviews"))
        event = AuditEvent.get(AuditEvent.action == "refund_settled")
        assert "1500 cents" in event.detail and "check 1042" in event.detail


def test_settling_needs_a_note_and_happens_once(client, in_program, owed):
    become(client, "billing", in_program)
    path = f"/team/claims/reviews/{owed.id}/refund-settled"
    response = form_post(client, path, {"note": "   "})
    assert response.status_code == 422
    assert "Say how the client got the money back" in text(response)
    assert ShareReconciliation.get_by_id(owed.id).refund_settled_at is None
    typed = "Check 1042, " + "x" * 1200  # refused and kept, never cut to fit
    response = form_post(client, path, {"note": typed})
    assert response.status_code == 422 and "1,000 characters" in text(response)
    assert f'value="{typed}"' in text(response)
    assert ShareReconciliation.get_by_id(owed.id).refund_settled_at is None
    assert form_post(client, path, {"note": "Check 1042"}).status_code == 303
    again = form_post(client, path, {"note": "Check 1043"})
    assert again.status_code == 303
    assert "settled already" in text(client.get("/team/claims/reviews"))
    assert ShareReconciliation.get_by_id(owed.id).refund_settled_note == "Check 1042"
    assert form_post(client, "/team/claims/reviews/999999/refund-settled",
                     {"note": "x"}).status_code == 404
