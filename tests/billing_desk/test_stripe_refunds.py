"""A refund through Stripe from the billing desk, against a Stripe stand-in on loopback that
keeps Stripe's promise about idempotency keys (the same key is answered with the refund it
made). The desk's form key is the key Stripe gets, so a retry after Stripe's answer was
lost refunds once, there and here."""
import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from alma.billing import gateways
from alma.billing import service as billing
from alma.billing.models import Refund
from tests.billing_desk.helpers import confirm_refund, nothing_written, refund_data


class FakeStripe(BaseHTTPRequestHandler):
    """Checkout sessions and refunds, as much of Stripe's API as a refund needs."""

    refunds = {}  # idempotency key -> the refund made for it
    requests = []  # (idempotency key, amount)
    lose_next_answers = 0

    def _answer(self, status, body, retry=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry is not None:
            self.send_header("Stripe-Should-Retry", retry)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        session = self.path.rsplit("/", 1)[-1].split("?")[0]
        self._answer(200, {"id": session, "object": "checkout.session",
                           "payment_intent": f"pi_for_{session}"})

    def do_POST(self):
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        key = self.headers.get("Idempotency-Key")
        cls = type(self)
        cls.requests.append((key, int(form["amount"][0])))
        if key not in cls.refunds:
            cls.refunds[key] = {"id": f"re_{len(cls.refunds) + 1}", "object": "refund",
                                "amount": int(form["amount"][0]), "status": "succeeded",
                                "payment_intent": form["payment_intent"][0]}
        if cls.lose_next_answers:
            # The refund is made, but its answer never arrives whole.
            cls.lose_next_answers -= 1
            self._answer(500, {"error": {"type": "api_error", "message": "lost"}}, "false")
            return
        self._answer(200, cls.refunds[key])

    def log_message(self, *args):
        pass


@pytest.fixture
def stripe_api(app):
    FakeStripe.refunds, FakeStripe.requests, FakeStripe.lose_next_answers = {}, [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    saved = {k: app.config[k] for k in ("PAYMENT_GATEWAY", "STRIPE_SECRET_KEY",
                                        "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")}
    app.config.update(PAYMENT_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_fake",
                      STRIPE_WEBHOOK_SECRET="whsec_fake",
                      STRIPE_API_BASE=f"http://127.0.0.1:{server.server_port}")
    yield FakeStripe
    app.config.update(saved)
    server.shutdown()
    server.server_close()


def test_a_stripe_refund_goes_through_stripe_with_the_forms_key(client, world, biller, pay,
                                                                stripe_api):
    payment = pay(world["fee"], 12500, "stripe", "cs_test_paid")
    data = refund_data(client, payment, "30.25", "Charged for a paused month")
    assert confirm_refund(client, payment, data).status_code == 303
    assert confirm_refund(client, payment, data).status_code == 303  # double submit
    assert stripe_api.requests == [(f"alma-refund-{data['key']}", 3025)]
    (refund,) = Refund.select()
    assert (refund.reference, refund.amount_cents) == ("re_1", 3025)


def test_a_lost_answer_from_stripe_records_nothing_and_the_retry_refunds_once(
        client, world, biller, pay, stripe_api):
    payment = pay(world["fee"], 12500, "stripe", "cs_test_lost")
    data = refund_data(client, payment, "50", "Duplicate charge")
    stripe_api.lose_next_answers = 1
    lost = confirm_refund(client, payment, data)
    text = html.unescape(lost.get_data(as_text=True))
    assert lost.status_code == 503
    assert "nothing was refunded" in text and "never refunds twice" in text
    assert nothing_written()  # here: Stripe may have refunded, we don't know yet

    retried = confirm_refund(client, payment, data)  # the same form, sent again
    assert retried.status_code == 303
    key = f"alma-refund-{data['key']}"
    assert stripe_api.requests == [(key, 5000), (key, 5000)]
    assert len(stripe_api.refunds) == 1  # Stripe made one refund for the two requests
    (refund,) = Refund.select()
    assert (refund.reference, refund.amount_cents) == ("re_1", 5000)


def test_two_automatic_refunds_of_the_same_amount_are_two_refunds_at_stripe(
        app, world, pay, stripe_api):
    # A corrected remittance may give back $10 twice: a key of payment and amount alone
    # would have Stripe answer the second with the first, and money would stay with us.
    payment = pay(world["fee"], 12500, "stripe", "cs_test_twice")
    with app.test_request_context():
        through = gateways.gateway()
        first, _ = billing.refund(payment, 1000, "Plan paid more", gateway=through)
        second, _ = billing.refund(payment, 1000, "Plan paid more again", gateway=through)
    assert len(stripe_api.refunds) == 2
    assert first.reference != second.reference
    keys = [key for key, _ in stripe_api.requests]
    assert len(set(keys)) == 2
