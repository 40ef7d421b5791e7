"""A credit note from the billing desk: it lowers what an open invoice asks for, shown in
cents first, once per form, audited, and sent to who owes it."""
import html

from alma.audit import AuditEvent
from alma.billing import service
from alma.billing.models import PAID, CreditNote, Invoice
from tests.billing_desk.helpers import confirm_credit, credit_data, review_credit


def test_a_credit_note_is_shown_then_made_once_and_sent_to_who_owes_it(
        client, world, biller, mailbox, deliver):
    fee = world["fee"]
    data = credit_data(client, fee, "25", "Billed for a paused week")
    review = html.unescape(review_credit(client, fee, data).get_data(as_text=True))
    assert "Nothing has happened yet" in review and "Credit $25" in review
    assert "2,500 cents" in review and "maya@example.com" in review
    assert CreditNote.select().count() == 0

    assert confirm_credit(client, fee, data).status_code == 303
    assert confirm_credit(client, fee, data).status_code == 303  # sent twice
    (note,) = CreditNote.select()
    assert (note.amount_cents, note.reason, note.made_by_id, note.idempotency_key) == (
        2500, "Billed for a paused week", biller.id, data["key"])
    assert service.amounts(fee).due == 10000
    (event,) = AuditEvent.select().where(AuditEvent.action == "credited")
    assert event.actor_id == biller.id and event.subject_id == fee.id
    assert "$25 (2500 cents)" in event.detail and "Billed for a paused week" in event.detail

    page = html.unescape(client.get(f"/team/billing/invoices/{fee.number}")
                         .get_data(as_text=True))
    assert "Billed for a paused week" in page and "Bea Biller" in page
    assert "Credited $25 on invoice" in page

    deliver()
    (sent,) = [m for m in mailbox.to("maya@example.com") if "Credit note" in m["Subject"]]
    assert sent["Subject"] == f"Credit note: invoice {fee.number} lowered by $25"
    body = sent.get_body(("plain",)).get_content()
    assert "Why: Billed for a paused week" in body and "Still due on this invoice: $100." in body


def test_crediting_all_that_is_due_settles_the_invoice(client, world, biller):
    fee = world["fee"]
    assert confirm_credit(client, fee, credit_data(client, fee, "125.00")).status_code == 303
    assert Invoice.get_by_id(fee.id).status == PAID
    page = html.unescape(client.get(f"/team/billing/invoices/{fee.number}/credit")
                         .get_data(as_text=True))
    assert "Nothing is due on this invoice" in page and "Review the credit note" not in page


def test_a_paid_invoice_is_not_credited_but_pointed_to_a_refund(client, world, biller):
    copay = world["copay"]
    page = html.unescape(client.get(f"/team/billing/invoices/{copay.number}/credit")
                         .get_data(as_text=True))
    assert "refund a payment" in page
    response = confirm_credit(client, copay, {**credit_data(client, world["fee"], "5")})
    assert response.status_code == 422
    assert "Nothing is due on this invoice" in html.unescape(response.get_data(as_text=True))
    assert CreditNote.select().count() == 0


def test_a_key_already_used_for_another_credit_note_credits_nothing_more(client, world,
                                                                        biller):
    fee = world["fee"]
    data = credit_data(client, fee, "10")
    assert confirm_credit(client, fee, data).status_code == 303
    assert confirm_credit(client, fee, {**data, "amount": "11"}).status_code == 409
    assert [n.amount_cents for n in CreditNote.select()] == [1000]
