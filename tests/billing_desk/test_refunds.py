"""Refunding a payment from the billing desk: shown in cents first, made once whatever is
sent twice, audited with who, how much and why, and receipted to whoever paid."""
import html

from alma.audit import AuditEvent
from alma.billing import service
from alma.billing.models import OPEN, PAID, CreditNote, Invoice, Refund
from alma.mail.models import OutboundEmail
from tests.billing_desk.helpers import (confirm_refund, data_without_a_form, nothing_written,
                                        refund_data, review_refund)


def test_a_partial_refund_is_shown_in_cents_then_made_once_audited_and_receipted(
        client, world, biller, mailbox, deliver):
    payment, copay = world["payment"], world["copay"]
    paid_at = Invoice.get_by_id(copay.id).paid_at
    data = refund_data(client, payment, "40", "Session cancelled by the provider")

    review = review_refund(client, payment, data)
    text = html.unescape(review.get_data(as_text=True))
    assert review.status_code == 200
    assert "Nothing has happened yet" in text and "Refund $40" in text
    assert "4,000 cents" in text and "$150 of it not refunded yet, $110 after this" in text
    assert "pat.payer@example.org" in text and "Session cancelled by the provider" in text
    assert nothing_written()

    done = confirm_refund(client, payment, data)
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/team/billing/invoices/{copay.number}")
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Refunded $40 of the local payment" in html.unescape(page)
    assert "Session cancelled by the provider" in page and "Bea Biller" in page
    again = confirm_refund(client, payment, data)  # a double submit, or a retry
    assert again.status_code == 303
    again_page = html.unescape(client.get(again.headers["Location"]).get_data(as_text=True))
    assert "Refunded $40 at " in again_page and "sent again: nothing more was refunded" in again_page

    (refund,) = Refund.select()
    assert (refund.amount_cents, refund.reason, refund.made_by_id, refund.idempotency_key) == (
        4000, "Session cancelled by the provider", biller.id, data["key"])
    assert refund.reference.startswith("local_refund_")
    (note,) = CreditNote.select()  # "they don't owe it" credits the invoice the same
    assert (note.amount_cents, note.made_by_id, note.reason) == (4000, biller.id, refund.reason)
    amounts = service.amounts(copay)
    assert (amounts.paid, amounts.refunded, amounts.credited, amounts.due) == (
        15000, 4000, 4000, 0)
    settled = Invoice.get_by_id(copay.id)
    assert settled.status == PAID and settled.paid_at == paid_at  # it never reopened

    (event,) = AuditEvent.select().where(AuditEvent.action == "refunded")
    assert (event.actor_id, event.subject_type, event.subject_id, event.client_id) == (
        biller.id, "invoice", copay.id, world["client"].id)
    for part in ("$40", "4000 cents", "Bea Biller", "bea@alma.example",
                 "Reason: Session cancelled by the provider", copay.number):
        assert part in event.detail

    deliver()
    (receipt,) = [m for m in mailbox.to("pat.payer@example.org")
                  if m["Subject"].startswith("Refund")]
    assert receipt["Subject"] == f"Refund: $40 on invoice {copay.number}"
    body = receipt.get_body(("plain",)).get_content()
    assert "Why: Session cancelled by the provider" in body
    assert "so you don't owe it again" in body and "Nothing is due" in body
    assert OutboundEmail.select().where(OutboundEmail.template == "refund_receipt").count() == 1


def test_a_refund_left_owing_says_so_before_and_reopens_the_invoice(client, world, biller):
    payment, copay = world["payment"], world["copay"]
    data = refund_data(client, payment, "25.50", "Card charged by mistake: paying by check",
                       after="owe")
    review = html.unescape(review_refund(client, payment, data).get_data(as_text=True))
    assert "They will owe $25.50 again" in review
    assert confirm_refund(client, payment, data).status_code == 303
    assert CreditNote.select().count() == 0
    invoice = Invoice.get_by_id(copay.id)
    assert invoice.status == OPEN and service.amounts(invoice).due == 2550


def test_the_review_can_be_changed_with_what_was_typed_kept(client, world, biller):
    payment = world["payment"]
    data = refund_data(client, payment, "12.5", "Wrong amount")
    back = client.post(f"/team/billing/payments/{payment.id}/refund",
                       data={**data, "amount": "12.50", "edit": "1"})
    text = back.get_data(as_text=True)
    assert back.status_code == 200 and "Review the refund" in text
    assert 'value="12.50"' in text and 'value="Wrong amount"' in text
    assert data["key"] in text  # the same form, so still one refund however it goes on
    assert nothing_written()


def test_a_payment_refunds_at_most_what_was_paid_across_forms(client, world, biller):
    payment = world["payment"]
    first = refund_data(client, payment, "100")
    assert confirm_refund(client, payment, first).status_code == 303
    second = refund_data(client, payment, "60")
    response = confirm_refund(client, payment, second)
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "At most $50 of this payment can be refunded: $150 was paid and $100 refunded " \
           "already." in text
    assert 'value="60"' in text
    assert [r.amount_cents for r in Refund.select()] == [10000]
    rest = refund_data(client, payment, "50")
    assert confirm_refund(client, payment, rest).status_code == 303
    page = html.unescape(client.get(f"/team/billing/payments/{payment.id}/refund")
                         .get_data(as_text=True))
    assert "refunded in full already" in page and "Review the refund" not in page


def test_a_key_already_used_for_another_refund_refunds_nothing_more(client, world, biller):
    payment = world["payment"]
    data = refund_data(client, payment, "10")
    assert confirm_refund(client, payment, data).status_code == 303
    changed = confirm_refund(client, payment, {**data, "amount": "20"})
    assert changed.status_code == 409
    assert "made a different refund already" in html.unescape(changed.get_data(as_text=True))
    assert [r.amount_cents for r in Refund.select()] == [1000]


def test_a_form_without_its_key_refunds_nothing_and_gets_a_new_one(client, world, biller):
    payment = world["payment"]
    for key in ("", "short", "x" * 65, "not a key!" * 3):
        data = {**refund_data(client, payment, "10"), "key": key}
        response = confirm_refund(client, payment, data)
        text = response.get_data(as_text=True)
        assert response.status_code == 422 and "This form has expired" in text
        assert 'value="10"' in text  # what was typed is kept, with a good key to send it
    assert nothing_written()


def test_a_payment_made_to_the_provider_directly_is_not_refunded_here(client, world, biller,
                                                                     pay):
    payment = pay(world["fee"], 12500, "direct", "direct:test")
    page = html.unescape(client.get(f"/team/billing/payments/{payment.id}/refund")
                         .get_data(as_text=True))
    assert "paid to the provider directly" in page and "Review the refund" not in page
    response = review_refund(client, payment, data_without_a_form(client, "10"))
    assert response.status_code == 422
    assert "Alma holds none of it" in html.unescape(response.get_data(as_text=True))
    assert nothing_written()


def test_a_stripe_payment_is_not_refunded_where_stripe_is_not_set_up(client, world, biller,
                                                                     pay):
    payment = pay(world["fee"], 12500, "stripe", "cs_test_elsewhere")
    response = confirm_refund(client, payment, data_without_a_form(client, "10"))
    assert response.status_code == 422
    assert "isn't set up on this server" in html.unescape(response.get_data(as_text=True))
    assert nothing_written()


def test_an_unknown_payment_or_invoice_is_a_404(client, world, biller):
    assert client.get("/team/billing/payments/999999/refund").status_code == 404
    assert client.get("/team/billing/invoices/AL-0000-000000").status_code == 404
    assert client.get("/team/billing/invoices/AL-0000-000000/credit").status_code == 404
