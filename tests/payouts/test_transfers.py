"""The payout gateway: the local one keyed by idempotency key, and the Stripe Connect one
against a stand-in of Stripe's transfers API on loopback (it answers a repeated
Idempotency-Key with its first answer, as Stripe does)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from alma.billing.transfers import (LocalTransfer, LocalTransfers, StripeTransfers, TransferFailed,
                                    gateway)


class FakeStripe(BaseHTTPRequestHandler):
    seen = []
    answers = {}
    refuse = False

    def do_POST(self):
        body = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        key = self.headers.get("Idempotency-Key")
        type(self).seen.append((self.path, key, self.headers.get("Authorization"), body))
        if type(self).refuse:
            return self._answer(400, {"error": {"type": "invalid_request_error",
                                                "message": "No such destination"}})
        if key not in self.answers:
            self.answers[key] = {"id": f"tr_{len(self.answers) + 1:04d}", "object": "transfer",
                                 "amount": int(body["amount"][0]),
                                 "destination": body["destination"][0]}
        self._answer(200, self.answers[key])

    def _answer(self, status, data):
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def stripe_api():
    FakeStripe.seen, FakeStripe.answers, FakeStripe.refuse = [], {}, False
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_stripe_transfers_carry_the_key_and_a_retry_gets_the_same_transfer(stripe_api):
    stripe = StripeTransfers("sk_test_123", api_base=stripe_api)
    first = stripe.transfer("acct_1Provider", 10000, "payout-statement-7", "Alma payout")
    again = stripe.transfer("acct_1Provider", 10000, "payout-statement-7", "Alma payout")
    assert first == again == "tr_0001"
    (path, key, auth, body), second = FakeStripe.seen
    assert path == "/v1/transfers" and key == "payout-statement-7"
    assert auth == "Bearer sk_test_123" and second[1] == key
    assert (body["amount"], body["currency"], body["destination"]) == (
        ["10000"], ["usd"], ["acct_1Provider"])


def test_a_refused_stripe_transfer_is_a_failure_to_try_again(stripe_api):
    FakeStripe.refuse = True
    with pytest.raises(TransferFailed, match="No such destination"):
        StripeTransfers("sk_test_123", api_base=stripe_api).transfer(
            "acct_1Gone", 500, "payout-statement-8", "Alma payout")


def test_the_local_gateway_makes_one_row_per_key(app_ctx):
    local = LocalTransfers()
    first = local.transfer("acct_1A", 2500, "payout-statement-1", "x")
    assert local.transfer("acct_1A", 2500, "payout-statement-1", "x") == first
    assert LocalTransfer.select().count() == 1
    with pytest.raises(TransferFailed):  # the same key for another transfer
        local.transfer("acct_1B", 2500, "payout-statement-1", "x")
    for bad in (0, -5, 1.5, True):
        with pytest.raises(TransferFailed):
            local.transfer("acct_1A", bad, "payout-statement-2", "x")
    with pytest.raises(TransferFailed):
        local.transfer("", 100, "payout-statement-3", "x")


def test_the_sites_gateway_follows_its_payment_gateway(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY", "local")
    assert isinstance(gateway(), LocalTransfers)
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY", "none")
    assert gateway() is None
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY", "stripe")
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_1")
    assert isinstance(gateway(), StripeTransfers)

