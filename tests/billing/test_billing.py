"""Invoices, payments, refunds and credit notes; the invoice page; gateways and their webhooks."""
import datetime
import hashlib
import hmac
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alma.billing import gateways, service
from alma.billing.models import PAID, GatewayEvent, Invoice, Payment, Refund
from alma.clock import today
from alma.network.models import Client
from tests.conftest import csrf_token_from, link_in


@pytest.fixture
def client_row(db):
    return Client.create(email="payer@example.org", name="Pat Payer", state="CA")


def issue(client_row, total=15000, email=True):
    return service.issue("self_pay_session", [("Session, Dec 1", 1, total)],
                         due_on=today() + datetime.timedelta(days=7), owed_by_client=client_row,
                         collected_by="provider", email_to=client_row.email if email else None)


# --- The arithmetic always adds up -------------------------------------------------------------

operations = st.lists(st.tuples(st.sampled_from(["pay", "refund", "credit"]),
                                st.integers(min_value=1, max_value=20000)), max_size=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(st.integers(1, 4), st.integers(0, 30000)), min_size=1,
                      max_size=4), steps=operations)
def test_totals_payments_refunds_and_credits_always_add_up(app, client_row, lines, steps):
    with app.app_context():
        invoice = service.issue("copay", [(f"line {i}", q, u) for i, (q, u) in enumerate(lines)],
                                due_on=today(), owed_by_client=client_row)
        assert invoice.total_cents == sum(q * u for q, u in lines)
        for n, (kind, amount) in enumerate(steps):
            before = service.amounts(invoice)
            try:
                if kind == "pay":
                    service.record_payment(invoice, amount, "local", f"ref-{invoice.id}-{n}")
                elif kind == "credit":
                    service.credit(invoice, amount, "goodwill")
                else:
                    payment = Payment.select().where(Payment.invoice == invoice.id).first()
                    if payment is None:
                        continue
                    service.refund(payment, amount, "asked")
            except service.BillingProblem:
                assert service.amounts(invoice) == before  # a refused step changes nothing
                continue
            now = service.amounts(invoice)
            assert now.due == now.total - now.credited - (now.paid - now.refunded)
            assert 0 <= now.due <= now.total
            assert 0 <= now.refunded <= now.paid
            invoice = Invoice.get_by_id(invoice.id)
            assert (invoice.status == PAID) == (now.due == 0)
            # Many invoices' sums at once (pages, digests) agree with one at a time.
            assert service.amounts_for([invoice]) == {invoice.id: now}


def test_an_overpayment_is_refused(app, client_row):
    with app.app_context():
        invoice = issue(client_row, 10000, email=False)
        with pytest.raises(service.BillingProblem):
            service.record_payment(invoice, 10001, "local", "too-much")
    assert Payment.select().count() == 0


# --- The invoice page, paying with the test gateway -----------------------------------------------

def open_invoice(http, mailbox, deliver, to="payer@example.org"):
    deliver()
    link = link_in(mailbox.to(to)[0], "/billing/link/")
    opened = http.post(link, data={"csrf_token": csrf_token_from(http.get(link))})
    return opened.headers["Location"]


def test_the_payer_opens_the_invoice_by_link_and_pays_once(
        app, client, client_row, mailbox, deliver):
    with app.app_context():
        invoice = issue(client_row)
    page_url = open_invoice(client, mailbox, deliver)
    mailbox.clear()
    page = client.get(page_url)
    assert "Pay $150" in page.get_data(as_text=True)
    checkout = client.post(f"/billing/invoices/{invoice.number}/pay",
                           data={"csrf_token": csrf_token_from(page)})
    assert checkout.status_code == 303 and "/billing/test-checkout/" in checkout.headers["Location"]
    form = client.get(checkout.headers["Location"])
    data = {"csrf_token": csrf_token_from(form), "invoice": invoice.number, "amount": "15000",
            "card": "4242 4242 4242 4242"}
    reference = checkout.headers["Location"].split("/test-checkout/")[1].split("?")[0]
    first = client.post(f"/billing/test-checkout/{reference}", data=data)
    again = client.post(f"/billing/test-checkout/{reference}", data=data)  # a double click
    assert first.status_code == 303 and again.status_code in (303, 409)
    assert Payment.select().count() == 1 and Invoice.get_by_id(invoice.id).status == PAID
    deliver()
    assert [m["Subject"] for m in mailbox.to("payer@example.org")] == [
        "Receipt: $150 paid on invoice " + invoice.number]
    receipt = client.get(f"/billing/invoices/{invoice.number}/receipt").get_data(as_text=True)
    assert "Receipt" in receipt and "$150" in receipt


def test_paying_in_two_tabs_pays_once(app, client, client_row, mailbox, deliver):
    with app.app_context():
        invoice = issue(client_row)
    page = client.get(open_invoice(client, mailbox, deliver))
    token = csrf_token_from(page)
    tabs = [client.post(f"/billing/invoices/{invoice.number}/pay", data={"csrf_token": token})
            .headers["Location"].split("/test-checkout/")[1].split("?")[0] for _ in range(2)]
    assert tabs[0] != tabs[1]
    data = {"csrf_token": token, "invoice": invoice.number, "amount": "15000",
            "card": "4242 4242 4242 4242"}
    paid = [client.post(f"/billing/test-checkout/{reference}", data=data) for reference in tabs]
    assert [r.status_code for r in paid] == [303, 303]
    assert paid[1].headers["Location"].endswith(f"/billing/invoices/{invoice.number}")
    assert Payment.select().count() == 1
    with app.app_context(), pytest.raises(service.BillingProblem, match=r"only \$0.00 is due"):
        service.record_payment(Invoice.get_by_id(invoice.id), 15000, "local", "another")


def test_a_declined_card_pays_nothing(app, client, client_row, mailbox, deliver):
    with app.app_context():
        invoice = issue(client_row)
    page = client.get(open_invoice(client, mailbox, deliver))
    checkout = client.post(f"/billing/invoices/{invoice.number}/pay",
                           data={"csrf_token": csrf_token_from(page)})
    reference = checkout.headers["Location"].split("/test-checkout/")[1].split("?")[0]
    declined = client.post(f"/billing/test-checkout/{reference}", data={
        "csrf_token": csrf_token_from(page), "invoice": invoice.number, "amount": "15000",
        "card": "4000 0000 0000 0002"})
    assert declined.status_code == 402 and Payment.select().count() == 0


def test_someone_else_cannot_see_an_invoice(app, client, client_row):
    with app.app_context():
        invoice = issue(client_row, email=False)
    assert client.get(f"/billing/invoices/{invoice.number}").status_code == 404
    assert client.get(f"/billing/invoices/{invoice.number}/receipt").status_code == 404


# --- Webhooks: signed, applied once -----------------------------------------------------------------

def local_event(invoice, amount, reference, secret_app):
    gateway = gateways.LocalGateway()
    with secret_app.app_context():
        payload = gateway.event_for(invoice.number, amount, reference)
        return payload, gateway.sign(payload)


def test_a_forged_or_stale_webhook_changes_nothing(app, client, client_row):
    with app.app_context():
        invoice = issue(client_row, email=False)
    payload, signature = local_event(invoice, 15000, "ref-1", app)
    forged = client.post("/billing/webhooks/local", data=payload,
                         headers={"Alma-Signature": signature.replace("v1=", "v1=0")})
    assert forged.status_code == 400
    with app.app_context():
        stale = gateways.LocalGateway().sign(payload, timestamp=time.time() - 3600)
    assert client.post("/billing/webhooks/local", data=payload,
                       headers={"Alma-Signature": stale}).status_code == 400
    tampered = payload.replace(b"15000", b"1")
    assert client.post("/billing/webhooks/local", data=tampered,
                       headers={"Alma-Signature": signature}).status_code == 400
    assert Payment.select().count() == 0 and GatewayEvent.select().count() == 0


def test_a_replayed_webhook_is_applied_once(app, client, client_row):
    with app.app_context():
        invoice = issue(client_row, email=False)
    payload, signature = local_event(invoice, 15000, "ref-1", app)
    first = client.post("/billing/webhooks/local", data=payload,
                        headers={"Alma-Signature": signature})
    again = client.post("/billing/webhooks/local", data=payload,
                        headers={"Alma-Signature": signature})
    assert first.get_json() == {"applied": True} and again.get_json() == {"applied": False}
    assert Payment.select().count() == 1


def test_money_taken_twice_is_recorded_and_the_excess_goes_back(app, client, client_row,
                                                                  mailbox, deliver):
    """Two checkouts both paid at the gateway: the second is kept on record and refunded."""
    with app.app_context():
        invoice = issue(client_row, email=False)
    for reference in ("ref-a", "ref-b"):
        payload, signature = local_event(invoice, 15000, reference, app)
        response = client.post("/billing/webhooks/local", data=payload,
                               headers={"Alma-Signature": signature})
        assert response.get_json() == {"applied": True}
    assert Payment.select().count() == 2
    (returned,) = Refund.select()
    assert returned.amount_cents == 15000 and returned.payment.reference == "ref-b"
    assert returned.reference.startswith("local_refund_")
    with app.app_context():
        settled = service.amounts(Invoice.get_by_id(invoice.id))
    assert (settled.net_paid, settled.due) == (15000, 0)
    assert Invoice.get_by_id(invoice.id).status == PAID
    deliver()
    receipts = [m.get_body(("plain",)).get_content() for m in mailbox.to("payer@example.org")]
    assert len(receipts) == 2 and sum("refunded $150" in r for r in receipts) == 1


def stripe_signature(payload, secret, timestamp=None):
    timestamp = int(timestamp or time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def test_stripe_webhooks_are_verified_by_the_stripe_sdk_and_applied_once(app, client,
                                                                         client_row):
    with app.app_context():
        invoice = issue(client_row, email=False)
    secret = "whsec_test_secret"
    saved = {k: app.config[k] for k in ("PAYMENT_GATEWAY", "STRIPE_SECRET_KEY",
                                        "STRIPE_WEBHOOK_SECRET")}
    app.config.update(PAYMENT_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_not_used",
                      STRIPE_WEBHOOK_SECRET=secret)
    try:
        payload = json.dumps({
            "id": "evt_123", "object": "event", "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_1", "object": "checkout.session",
                                "payment_status": "paid", "amount_total": 15000,
                                "metadata": {"invoice": invoice.number}}}}).encode()
        bad = client.post("/billing/webhooks/stripe", data=payload,
                          headers={"Stripe-Signature": stripe_signature(payload, "whsec_wrong")})
        assert bad.status_code == 400 and Payment.select().count() == 0
        good = {"Stripe-Signature": stripe_signature(payload, secret)}
        assert client.post("/billing/webhooks/stripe", data=payload, headers=good).get_json() == \
            {"applied": True}
        assert client.post("/billing/webhooks/stripe", data=payload, headers=good).get_json() == \
            {"applied": False}
        assert Payment.get().reference == "cs_test_1" and Invoice.get_by_id(invoice.id).status \
            == PAID
        assert client.post("/billing/webhooks/local", data=b"{}").status_code == 404
    finally:
        app.config.update(saved)


def test_without_a_gateway_invoices_show_how_to_pay_and_nothing_takes_a_payment(
        app, client, client_row, mailbox, deliver):
    with app.app_context():
        invoice = issue(client_row)
    page_url = open_invoice(client, mailbox, deliver)
    saved = app.config["PAYMENT_GATEWAY"]
    app.config["PAYMENT_GATEWAY"] = "none"
    try:
        page = client.get(page_url)
        text = page.get_data(as_text=True)
        assert "isn't set up here yet" in text and "Pay $150" not in text
        token = csrf_token_from(client.get("/sign-in"))
        assert client.post(f"/billing/invoices/{invoice.number}/pay",
                           data={"csrf_token": token}).status_code == 409
        assert client.get(f"/billing/test-checkout/x?invoice={invoice.number}&amount=15000"
                          ).status_code == 404
        payload, signature = local_event(invoice, 15000, "ref-none", app)
        assert client.post("/billing/webhooks/local", data=payload,
                           headers={"Alma-Signature": signature}).status_code == 404
        assert Payment.select().count() == 0
    finally:
        app.config["PAYMENT_GATEWAY"] = saved


def test_stripe_out_of_reach_charges_nothing_and_says_so(app, client, client_row, mailbox,
                                                         deliver):
    with app.app_context():
        invoice = issue(client_row)
    page = client.get(open_invoice(client, mailbox, deliver))
    saved = {k: app.config[k] for k in ("PAYMENT_GATEWAY", "STRIPE_SECRET_KEY",
                                        "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")}
    # Port 9 (discard) on loopback: nothing listens, so the connection is refused.
    app.config.update(PAYMENT_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_unreachable",
                      STRIPE_WEBHOOK_SECRET="whsec_x", STRIPE_API_BASE="http://127.0.0.1:9")
    try:
        response = client.post(f"/billing/invoices/{invoice.number}/pay",
                               data={"csrf_token": csrf_token_from(page)})
        assert response.status_code == 503
        assert "Nothing was charged" in response.get_data(as_text=True)
        assert Payment.select().count() == 0
    finally:
        app.config.update(saved)


@pytest.mark.parametrize("settings,problem", [
    ({"PAYMENT_GATEWAY": "paypal"}, "must be one of"),
    ({"PAYMENT_GATEWAY": "stripe"}, "needs STRIPE_SECRET_KEY"),
    ({"ELIGIBILITY_GATEWAY": "optum-magic"}, "ELIGIBILITY_GATEWAY must be one of"),
    ({"ELIGIBILITY_GATEWAY": "http"}, "needs ALMA_ELIGIBILITY_URL"),
])
def test_payment_settings_that_cannot_work_are_refused(settings, problem):
    from alma.config import ConfigError, check_can_serve

    with pytest.raises(ConfigError, match=problem):
        check_can_serve({"SECRET_KEY": "k", **settings})


def test_production_takes_no_test_payments_unless_told_to():
    from alma.config import from_environment

    production = from_environment(environ={"ALMA_ENV": "production", "SECRET_KEY": "k"},
                                  instance_path="/tmp")
    assert production["PAYMENT_GATEWAY"] == "none"


# --- What a browser or a gateway says is checked, never trusted -------------------------------------

def test_the_test_checkout_charges_what_is_due_whatever_the_browser_says(
        app, client, client_row, mailbox, deliver):
    with app.app_context():
        invoice = issue(client_row)
    page = client.get(open_invoice(client, mailbox, deliver))
    checkout = client.post(f"/billing/invoices/{invoice.number}/pay",
                           data={"csrf_token": csrf_token_from(page)})
    reference = checkout.headers["Location"].split("/test-checkout/")[1].split("?")[0]
    assert "Pay $150" in client.get(checkout.headers["Location"] + "&amount=1").get_data(
        as_text=True)
    paid = client.post(f"/billing/test-checkout/{reference}", data={
        "csrf_token": csrf_token_from(page), "invoice": invoice.number, "amount": "1",
        "card": "4242 4242 4242 4242"})
    assert paid.status_code == 303
    (payment,) = Payment.select()
    assert payment.amount_cents == 15000 and Invoice.get_by_id(invoice.id).status == PAID


def test_the_test_checkout_refuses_a_fee_paid_to_the_provider_directly(
        app, client, client_row, mailbox, deliver):
    with app.app_context():
        invoice = service.issue("cancellation_fee", [("Late cancellation", 1, 7500)],
                                due_on=today() + datetime.timedelta(days=7),
                                owed_by_client=client_row, collected_by="provider",
                                email_to=client_row.email)
    open_invoice(client, mailbox, deliver)
    refused = client.post(f"/billing/test-checkout/local_x?invoice={invoice.number}", data={
        "csrf_token": csrf_token_from(client.get("/sign-in")), "invoice": invoice.number,
        "card": "4242 4242 4242 4242"})
    assert refused.status_code == 409 and "provider directly" in refused.get_data(as_text=True)
    assert Payment.select().count() == 0


@pytest.mark.parametrize("change", [
    {"amount": 2 ** 31}, {"amount": 12.7}, {"amount": "15000"}, {"amount": True},
    {"amount": -5}, {"amount": 0}, {"id": "e" * 256}, {"id": ""}, {"id": "evt\x00"},
    {"reference": None}, {"reference": "r" * 256}, {"invoice": None}, {"invoice": 12},
    {"type": ["payment_succeeded"]},
])
def test_a_signed_but_malformed_webhook_is_refused_and_changes_nothing(app, client,
                                                                        client_row, change):
    with app.app_context():
        invoice = issue(client_row, email=False)
        event = {"id": "evt_ok", "type": "payment_succeeded", "invoice": invoice.number,
                 "amount": 15000, "reference": "ref-ok", **change}
        payload = json.dumps(event).encode()
        signature = gateways.LocalGateway().sign(payload)
    response = client.post("/billing/webhooks/local", data=payload,
                           headers={"Alma-Signature": signature})
    assert response.status_code == 400
    assert Payment.select().count() == 0 and GatewayEvent.select().count() == 0


def test_an_invoice_credited_in_full_and_never_paid_is_called_cancelled_not_paid(
        app, client, client_row, mailbox, deliver):
    """A voided session's invoice has nothing due (status "paid"), but nobody paid it."""
    with app.app_context():
        invoice = issue(client_row)
        service.credit(invoice, 15000, "Session logged in error by the provider and voided.")
    page = client.get(open_invoice(client, mailbox, deliver)).get_data(as_text=True)
    assert Invoice.get_by_id(invoice.id).status == PAID
    assert ">Cancelled</span>" in page and ">Paid</span>" not in page
    assert service.amounts(invoice).cancelled
    with app.app_context():
        part = issue(client_row, total=10000, email=False)
        service.record_payment(part, 4000, "provider", "cash-part")
        service.credit(part, 6000, "goodwill")
    assert not service.amounts(part).cancelled  # paid in part: paid, not cancelled
