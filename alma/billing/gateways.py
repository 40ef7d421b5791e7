"""Payment gateways behind one small interface: Stripe in production, a local one otherwise.

A gateway starts a hosted checkout for an amount, turns its webhooks into
events (checking their signature), and refunds. The local gateway is an
honest stand-in: its checkout is a page of this app where a test card pays,
and it signs its events with the app's secret exactly as a webhook would be
signed, so payments take the same path (service.apply_event) either way.
"""
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

from flask import current_app, url_for


class InvalidEvent(Exception):
    """A webhook whose signature, age or shape is wrong: nothing is applied."""


class GatewayUnavailable(Exception):
    """The gateway could not be reached or refused the request: try again later."""


@dataclass
class Checkout:
    url: str
    reference: str


@dataclass
class Event:
    id: str
    kind: str  # "payment_succeeded", or anything else (ignored but recorded)
    invoice_number: str = None
    amount_cents: int = 0
    reference: str = None


MAX_CENTS = 100_000_000  # a million dollars: no invoice here comes near it
_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{1,255}")


def checked_event(id, kind, invoice_number=None, amount_cents=0, reference=None):
    """An Event from what a gateway sent, or InvalidEvent if any part isn't what it must be.

    A signed event is still checked: its ids must fit our columns, its amount must be a
    whole number of cents (12.7 is refused, not truncated), and a payment names its
    invoice, its amount and its reference.
    """
    for name, value in (("id", id), ("type", kind)):
        if not (isinstance(value, str) and _TOKEN.fullmatch(value)):
            raise InvalidEvent(f"malformed event: {name}")
    if kind != "payment_succeeded":
        return Event(id=id, kind=kind)
    for name, value in (("invoice", invoice_number), ("reference", reference)):
        if not (isinstance(value, str) and _TOKEN.fullmatch(value)):
            raise InvalidEvent(f"malformed event: {name}")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) \
            or not 0 < amount_cents <= MAX_CENTS:
        raise InvalidEvent("malformed event: amount")
    return Event(id=id, kind=kind, invoice_number=invoice_number, amount_cents=amount_cents,
                 reference=reference)


class LocalGateway:
    """Pays with a test card on a page of this app. For development and the tests."""

    name = "local"
    TEST_CARD = "4242 4242 4242 4242"
    TOLERANCE_SECONDS = 300

    def start_checkout(self, invoice, amount_cents, success_url, cancel_url):
        # The page charges what is due when the card is given, never an amount from the
        # browser (as a real checkout session fixes its amount on the gateway's side).
        reference = f"local_{secrets.token_urlsafe(12)}"
        url = url_for("billing.test_checkout", reference=reference, invoice=invoice.number)
        return Checkout(url=url, reference=reference)

    def _signature(self, timestamp, payload):
        key = current_app.config["SECRET_KEY"].encode()
        return hmac.new(key, f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()

    def sign(self, payload, timestamp=None):
        timestamp = int(timestamp or time.time())
        return f"t={timestamp},v1={self._signature(timestamp, payload)}"

    def event_for(self, invoice_number, amount_cents, reference):
        """The event the test card's success sends (one per checkout)."""
        return json.dumps({"id": f"evt_{reference}", "type": "payment_succeeded",
                           "invoice": invoice_number, "amount": amount_cents,
                           "reference": reference}).encode()

    def parse_event(self, payload, headers):
        header = headers.get("Alma-Signature", "")
        try:
            parts = dict(part.split("=", 1) for part in header.split(","))
            timestamp, signature = int(parts["t"]), parts["v1"]
        except (KeyError, ValueError):
            raise InvalidEvent("missing or malformed signature")
        if abs(time.time() - timestamp) > self.TOLERANCE_SECONDS:
            raise InvalidEvent("too old")
        if not hmac.compare_digest(signature, self._signature(timestamp, payload)):
            raise InvalidEvent("bad signature")
        try:
            data = json.loads(payload)
            return checked_event(data["id"], data["type"], data.get("invoice"),
                                 data.get("amount"), data.get("reference"))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InvalidEvent("malformed event")

    def refund(self, payment, amount_cents, key=None):
        """No money moved, so none goes back: a reference for the refund row."""
        return f"local_refund_{secrets.token_urlsafe(8)}"


class StripeGateway:
    """Stripe Checkout, and Stripe's signed webhooks (the stripe SDK checks signatures)."""

    name = "stripe"

    def __init__(self, secret_key, webhook_secret, api_base=None):
        import stripe

        self.stripe = stripe
        self.client = stripe.StripeClient(
            secret_key, base_addresses={"api": api_base} if api_base else None,
            max_network_retries=1)
        self.webhook_secret = webhook_secret

    def start_checkout(self, invoice, amount_cents, success_url, cancel_url):
        try:
            return self._start_checkout(invoice, amount_cents, success_url, cancel_url)
        except self.stripe.StripeError as problem:
            raise GatewayUnavailable(str(problem)) from problem

    def _start_checkout(self, invoice, amount_cents, success_url, cancel_url):
        session = self.client.v1.checkout.sessions.create(params={
            "mode": "payment",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": "usd", "unit_amount": amount_cents,
                "product_data": {"name": f"{invoice.kind_label}, invoice {invoice.number}"}}}],
            "client_reference_id": invoice.number,
            "metadata": {"invoice": invoice.number},
            "success_url": success_url, "cancel_url": cancel_url,
        }, options={"idempotency_key": f"checkout-{invoice.number}-{amount_cents}"})
        return Checkout(url=session.url, reference=session.id)

    def parse_event(self, payload, headers):
        try:
            event = self.stripe.Webhook.construct_event(
                payload, headers.get("Stripe-Signature", ""), self.webhook_secret).to_dict()
        except (ValueError, self.stripe.SignatureVerificationError) as problem:
            raise InvalidEvent(str(problem))
        try:
            if event["type"] != "checkout.session.completed":
                return checked_event(event["id"], event["type"])
            session = event["data"]["object"]
            if session.get("payment_status") != "paid":
                return checked_event(event["id"], "checkout_unpaid")
            return checked_event(event["id"], "payment_succeeded", session["metadata"]["invoice"],
                                 session["amount_total"], session["id"])
        except (KeyError, TypeError, ValueError, AttributeError) as problem:
            raise InvalidEvent(f"malformed event: {problem}")

    def refund(self, payment, amount_cents, key=None):
        """Refund through Stripe, once per `key` (the refund form's key, or the refunds made
        before: Stripe answers a retry with the refund it already made)."""
        try:
            session = self.client.v1.checkout.sessions.retrieve(payment.reference)
            made = self.client.v1.refunds.create(params={
                "payment_intent": session.payment_intent, "amount": amount_cents}, options={
                "idempotency_key": f"alma-refund-{key or payment.reference}"})
        except self.stripe.StripeError as problem:
            raise GatewayUnavailable(str(problem)) from problem
        return made.id


def available():
    """Whether invoices can be paid online here (ALMA_PAYMENT_GATEWAY is not "none")."""
    return current_app.config["PAYMENT_GATEWAY"] in ("stripe", "local")


def gateway():
    config = current_app.config
    if config["PAYMENT_GATEWAY"] == "stripe":
        return StripeGateway(config["STRIPE_SECRET_KEY"], config["STRIPE_WEBHOOK_SECRET"],
                             config["STRIPE_API_BASE"])
    if config["PAYMENT_GATEWAY"] == "local":
        return LocalGateway()
    return None
