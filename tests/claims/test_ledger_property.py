"""The whole ledger, as a property: for any sequence of remittances, reversals, client
payments and refunds, once the claims are decided, the reviews approved and the client has
paid what is due,

    what the client paid + what the insurer paid - refunds = charged - contractual write-offs

for each session and in all; no amount is ever negative, nothing is paid or refunded twice
(the same 835 posted again, a payment reported again, a refund form sent again).

Everything goes through the app's own paths: 835s written by the sandbox clearinghouse's
generator (alma/claims/sandbox_x12.py) and posted (posting.post, which reconciles the
client's share), the billing team's approvals (reconcile.approve), payments (record_payment,
and a gateway's event paying more than is due), refunds from the billing desk
(adjustments.refund). The oracle is the decisions the test wrote into the 835s, nothing
the app worked out."""
import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import fn

from alma.accounts.models import User
from alma.billing import adjustments, gateways
from alma.billing import service as billing
from alma.billing.models import CreditNote, Invoice, Payment, Refund
from alma.claims import jobs, posting, reconcile
from alma.claims.models import Claim
from alma.claims.reconcile_models import PENDING, ShareReconciliation
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.claims.sandbox import _payer_tax_id
from alma.claims.sandbox_x12 import remittance_835
from alma.clock import utcnow
from alma.db import db
from tests.claims.helpers import fresh, logged_claim
from tests.claims.reconcile_helpers import COPAY, sent_claim

CHARGE = 12500
SESSIONS = 2

# A payer's decision: paid with a client share and perhaps a contractual reduction (CO-45),
# denied for missing information (CO-16: nobody pays), or denied with the client owing all
# (PR-27: coverage ended).
decisions = st.one_of(
    st.tuples(st.just("paid"), st.sampled_from([0, 1500]), st.integers(0, CHARGE - 1500)),
    st.tuples(st.sampled_from(["denied", "ended"]), st.just(0), st.just(0)))
steps = st.lists(st.one_of(
    st.tuples(st.just("remit"), st.integers(0, SESSIONS - 1), decisions),
    st.tuples(st.just("reverse"), st.integers(0, SESSIONS - 1), st.none()),
    st.tuples(st.just("repost"), st.integers(0, 20), st.none()),
    st.tuples(st.just("pay"), st.integers(0, SESSIONS - 1), st.sampled_from(
        ["all", "part", "over"])),
    st.tuples(st.just("refund"), st.integers(0, SESSIONS - 1), st.integers(1, 5000)),
    st.tuples(st.just("approve"), st.none(), st.none())), max_size=10)


def decision(kind, reduction, share):
    if kind == "denied":
        return {"status": "4", "paid_cents": 0, "patient_cents": 0,
                "adjustments": [["CO", "16", CHARGE]]}
    if kind == "ended":
        return {"status": "4", "paid_cents": 0, "patient_cents": CHARGE,
                "adjustments": [["PR", "27", CHARGE]]}
    adjustments = [["CO", "45", reduction]] if reduction else []
    adjustments += [["PR", "3", share]] if share else []
    return {"status": "1",
            "paid_cents": CHARGE - reduction - share, "patient_cents": share,
            "adjustments": adjustments}


def contractual(made):
    return sum(cents for group, _, cents in made["adjustments"] if group == "CO")


class World:
    """The sessions' claims as the sandbox took them, and what the test decided for each."""

    def __init__(self, sandbox, claims):
        with sandbox._state() as state:
            facts = {each["claim"]["pcn"]: each["claim"]
                     for each in state["submissions"].values()}
        self.claims = claims
        self.facts = [facts[claim.patient_control_number] for claim in claims]
        first = self.facts[0]
        self.payer = {"payer_id": first["payer_id"], "payer_name": first["payer_name"],
                      "payer_tax_id": _payer_tax_id(first["payer_id"]),
                      "tax_id": first["tax_id"], "npi": first["npi"],
                      "group_name": first["group_name"], "submitter_id": first["submitter_id"]}
        self.standing = [None] * len(claims)  # the decision no reversal took back
        self.texts = []
        self.n = 0

    def post(self, index, made=None, reverse=False):
        """An 835 reversing the standing payment (if asked) and paying `made` (if given)."""
        facts, old = self.facts[index], self.standing[index]
        entries, carried = [], []
        if reverse and old is not None:
            entries.append((facts, old, -1))
            # What a reversal takes back is carried to a later payment, as payers do.
            carried.append(("FB", facts["pcn"], -old["paid_cents"]))
            self.standing[index] = None
        if made is not None:
            made = dict(made, payer_claim_number=f"SB{index:010d}")
            entries.append((facts, made, 1))
            self.standing[index] = made
        if not entries:
            return
        self.n += 1
        text = remittance_835(self.payer, entries, f"PROP{self.n:06d}", 900 + self.n, utcnow(),
                              carried)
        self.texts.append(text)
        _, new = posting.post(text)
        assert new


def invoices_of(claim):
    return reconcile.visit_invoices(Claim.get_by_id(claim.id).visit)


def pay(invoice, how, n):
    due = billing.amounts(invoice).due
    if due <= 0:
        return
    if how == "over":  # a gateway took more than was due: the excess goes back, once
        event = gateways.Event(id=f"evt_prop_{n}", kind="payment_succeeded",
                               invoice_number=invoice.number, amount_cents=due + 700,
                               reference=f"local_prop_{n}")
        assert billing.apply_event(gateways.LocalGateway(), event)
        assert not billing.apply_event(gateways.LocalGateway(), event)  # reported again
        return
    billing.record_payment(invoice, due if how == "all" else (due + 1) // 2, "local",
                           f"local_prop_{n}")


def desk_refund(claim, amount, user):
    """The billing desk refunds part of the latest payment (no credit: the client owes it
    again); the same form sent again refunds nothing more."""
    payment = (Payment.select().where(Payment.invoice.in_([i.id for i in invoices_of(claim)]))
               .order_by(Payment.id.desc()).first())
    if payment is None or billing.refundable(payment) == 0:
        return
    amount = min(amount, billing.refundable(payment))
    key = secrets.token_urlsafe(24)
    made, now = adjustments.refund(payment.id, amount, "Asked for it back", user, key)
    again, again_now = adjustments.refund(payment.id, amount, "Asked for it back", user, key)
    assert now and not again_now and again.id == made.id


def approve_all(user):
    for row in ShareReconciliation.select().where(ShareReconciliation.review_status == PENDING):
        reconcile.approve(row.id, user)


def nothing_negative_nothing_twice(world):
    for claim in world.claims:
        for invoice in invoices_of(claim):
            amounts = billing.amounts(Invoice.get_by_id(invoice.id))
            assert amounts.due >= 0, amounts  # never owing the client money we keep
            assert 0 <= amounts.credited <= amounts.total
            assert 0 <= amounts.refunded <= amounts.paid
    for payment in Payment.select():
        assert 0 < payment.amount_cents and billing.refunded(payment) <= payment.amount_cents
    assert Refund.select().where(Refund.amount_cents <= 0).count() == 0
    assert CreditNote.select().where(CreditNote.amount_cents <= 0).count() == 0
    # One reconciliation per claim payment: no share credited or refunded twice.
    assert ShareReconciliation.select().count() == ClaimPayment.select().count()
    for claim in world.claims:
        assert (fresh(claim).paid_cents or 0) >= 0


def posted_again_changes_nothing(world, k):
    if not world.texts:
        return
    counts = (Remittance.select().count(), ClaimPayment.select().count(),
              Refund.select().count(), CreditNote.select().count(),
              ShareReconciliation.select().count())
    _, new = posting.post(world.texts[k % len(world.texts)])
    assert not new
    assert counts == (Remittance.select().count(), ClaimPayment.select().count(),
                      Refund.select().count(), CreditNote.select().count(),
                      ShareReconciliation.select().count())


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(plan=steps, last=st.lists(decisions, min_size=SESSIONS, max_size=SESSIONS),
       pays_first=st.booleans())
def test_the_client_and_the_insurer_pay_what_was_charged_less_contractual_write_offs(
        sessions, plan, last, pays_first):
    world_claims, sandbox = sessions
    with db.atomic() as attempt:
        user = User.create(email="ledger@alma.example", name="Led Ger", roles="billing")
        world = World(sandbox, world_claims)
        if pays_first:  # the client pays the estimate before anything comes back
            for claim in world.claims:
                pay(invoices_of(claim)[0], "all", f"first-{claim.id}")
        for n, (kind, which, what) in enumerate(plan):
            if kind == "remit":
                world.post(which, decision(*what), reverse=True)
            elif kind == "reverse":
                world.post(which, reverse=True)
            elif kind == "repost":
                posted_again_changes_nothing(world, which)
            elif kind == "pay":
                for invoice in invoices_of(world.claims[which]):
                    pay(invoice, what, f"{n}-{invoice.id}")
            elif kind == "refund":
                desk_refund(world.claims[which], what, user)
            else:
                approve_all(user)
            nothing_negative_nothing_twice(world)

        # Every claim decided, every higher share approved, the client pays what is due.
        for index, made in enumerate(last):
            if world.standing[index] is None:
                world.post(index, decision(*made))
        approve_all(user)
        for claim in world.claims:
            for invoice in invoices_of(claim):
                pay(invoice, "all", f"end-{invoice.id}")
        nothing_negative_nothing_twice(world)

        everyone = 0
        for claim, decided in zip(world.claims, world.standing):
            bills = billing.amounts_for(invoices_of(claim))
            client_paid = sum(a.paid for a in bills.values())
            refunded = sum(a.refunded for a in bills.values())
            insurer_paid = (ClaimPayment.select(fn.SUM(ClaimPayment.paid_cents))
                            .where(ClaimPayment.claim == claim.id).scalar())
            assert client_paid + insurer_paid - refunded == CHARGE - contractual(decided), (
                client_paid, insurer_paid, refunded, decided)
            # Each side pays exactly what the plan decided, and nothing is left due.
            assert (client_paid - refunded, insurer_paid) == (decided["patient_cents"],
                                                             decided["paid_cents"])
            assert all(a.due == 0 for a in bills.values())
            everyone += client_paid + insurer_paid - refunded
        assert everyone == sum(CHARGE - contractual(d) for d in world.standing)
        attempt.rollback()


@pytest.fixture
def sessions(app, in_program, sandbox):
    """Two sessions of one client, their claims sent to the sandbox clearinghouse."""
    first, _ = sent_claim(app, in_program, sandbox, COPAY)
    program_client = first.visit.program_client
    claims = [first]
    for n in range(1, SESSIONS):
        claims.append(logged_claim(app, in_program, COPAY, n=n, program_client=program_client))
    assert jobs.submit_claims() == SESSIONS - 1
    return [fresh(claim) for claim in claims], sandbox
