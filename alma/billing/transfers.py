"""The payout gateway: moving money from the group to a provider, behind one small interface.

    transfer(destination, amount_cents, idempotency_key, description) -> reference

The caller gives a key that stays the same for one payment however often it is tried (a
payout statement's id): a retry, a second worker or a process killed after the bank said yes
gets the first transfer's reference back, never a second transfer.

- `StripeTransfers`: Stripe Connect, a transfer to the provider's connected account
  (`acct_…`), sent with Stripe's `Idempotency-Key` (Stripe answers a repeated key with the
  first result for 24 hours; a statement is paid within minutes of being made, and its row
  keeps the reference once it has one).
- `LocalTransfers`: the honest stand-in for development and the tests: no money moves; each
  transfer is a row keyed by its idempotency key, so a retry returns the same reference and
  never makes a second row.
"""
import secrets

from flask import current_app
from peewee import CharField, DateTimeField, IntegerField, IntegrityError

from alma.clock import utcnow
from alma.db import BaseModel, db


class TransferFailed(Exception):
    """The gateway refused or could not be reached: nothing is recorded; try again later
    with the same key."""


class LocalTransfer(BaseModel):
    """A transfer the local gateway "made": one row per idempotency key."""

    idempotency_key = CharField(max_length=100, unique=True)
    destination = CharField(max_length=100)
    amount_cents = IntegerField()
    description = CharField(default="")
    reference = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)


MODELS = [LocalTransfer]


def _checked(destination, amount_cents, idempotency_key):
    if not destination:
        raise TransferFailed("no destination account")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise TransferFailed("a transfer is a positive whole number of cents")
    if not idempotency_key:
        raise TransferFailed("a transfer needs an idempotency key")


class LocalTransfers:
    name = "local"

    def transfer(self, destination, amount_cents, idempotency_key, description):
        _checked(destination, amount_cents, idempotency_key)
        existing = LocalTransfer.get_or_none(LocalTransfer.idempotency_key == idempotency_key)
        if existing is not None:
            return self._same(existing, destination, amount_cents)
        try:
            with db.atomic():
                made = LocalTransfer.create(
                    idempotency_key=idempotency_key, destination=destination,
                    amount_cents=amount_cents, description=description[:255],
                    reference=f"tr_local_{secrets.token_hex(12)}")
        except IntegrityError:  # the same key, at the same moment, from another worker
            made = LocalTransfer.get(LocalTransfer.idempotency_key == idempotency_key)
            return self._same(made, destination, amount_cents)
        return made.reference

    @staticmethod
    def _same(existing, destination, amount_cents):
        # As Stripe does: a key reused with other parameters is an error, not a new transfer.
        if (existing.destination, existing.amount_cents) != (destination, amount_cents):
            raise TransferFailed("this idempotency key was used for another transfer")
        return existing.reference


class StripeTransfers:
    """Stripe Connect transfers (POST /v1/transfers) to connected accounts."""

    name = "stripe"

    def __init__(self, secret_key, api_base=None):
        import stripe

        self.stripe = stripe
        self.client = stripe.StripeClient(
            secret_key, base_addresses={"api": api_base} if api_base else None,
            max_network_retries=2)

    def transfer(self, destination, amount_cents, idempotency_key, description):
        _checked(destination, amount_cents, idempotency_key)
        try:
            made = self.client.v1.transfers.create(params={
                "amount": amount_cents, "currency": "usd", "destination": destination,
                "description": description[:255],
                "metadata": {"idempotency_key": idempotency_key}},
                options={"idempotency_key": idempotency_key})
        except self.stripe.StripeError as problem:
            raise TransferFailed(str(problem)) from problem
        return made.id


def gateway():
    """The payout gateway for this site: Stripe where payments go through Stripe, the local
    one where they go through the local test checkout, else None (statements wait)."""
    config = current_app.config
    if config["PAYMENT_GATEWAY"] == "stripe":
        return StripeTransfers(config["STRIPE_SECRET_KEY"], config["STRIPE_API_BASE"])
    if config["PAYMENT_GATEWAY"] == "local":
        return LocalTransfers()
    return None
