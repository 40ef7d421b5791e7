"""Going through the billing desk's two-step forms as a browser would."""
import re

from alma.audit import AuditEvent
from alma.billing.models import CreditNote, Refund
from alma.mail.models import OutboundEmail
from tests.conftest import csrf_token_from


def key_from(response):
    match = re.search(r'name="key"[^>]*value="([^"]*)"', response.get_data(as_text=True))
    assert match, "no idempotency key on the page"
    return match.group(1)


def refund_data(http, payment, amount, reason="Session cancelled by the provider",
                after="credit"):
    """What the refund form posts, with a fresh key from its page."""
    page = http.get(f"/team/billing/payments/{payment.id}/refund")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token_from(page), "key": key_from(page), "amount": amount,
            "reason": reason}
    if after is not None:
        data["after"] = after
    return data


def data_without_a_form(http, amount, reason="Why not", after="credit"):
    """What a refund form would post, for a payment whose page shows no form."""
    return {"csrf_token": csrf_token_from(http.get("/team/billing")), "key": "k" * 32,
            "amount": amount, "reason": reason, "after": after}


def credit_data(http, invoice, amount, reason="Goodwill: a late start"):
    page = http.get(f"/team/billing/invoices/{invoice.number}/credit")
    assert page.status_code == 200
    return {"csrf_token": csrf_token_from(page), "key": key_from(page), "amount": amount,
            "reason": reason}


def review_refund(http, payment, data):
    return http.post(f"/team/billing/payments/{payment.id}/refund", data=data)


def confirm_refund(http, payment, data):
    return http.post(f"/team/billing/payments/{payment.id}/refund/confirm", data=data)


def review_credit(http, invoice, data):
    return http.post(f"/team/billing/invoices/{invoice.number}/credit", data=data)


def confirm_credit(http, invoice, data):
    return http.post(f"/team/billing/invoices/{invoice.number}/credit/confirm", data=data)


def nothing_written():
    """No refund, credit note, receipt or audit of one."""
    return (Refund.select().count(), CreditNote.select().count(),
            OutboundEmail.select().where(OutboundEmail.template.in_(
                ("refund_receipt", "credit_note"))).count(),
            AuditEvent.select().where(AuditEvent.action.in_(("refunded", "credited"))).count()
            ) == (0, 0, 0, 0)
