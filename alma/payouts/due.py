"""What is due to a provider: the items of their next statement.

A statement for a period collects every item that became due before the period ended and
is on no statement yet (so an item posted late, or a period the worker missed, is never
lost). The unit is the session: every claim made for it (the first, a corrected original,
a replacement, frequency 7, a void, 8) is one chain, and the session is paid out at most
once at a time.

- a session whose claim an 835 paid or partly paid, and no reversal took back since: the
  provider's rate (rates.py), unless the session is paid out already on another claim of
  its chain (a replacement waits for the reversal of the claim it replaces);
- minus a session paid out whose claim the insurer then reversed (CLP02 22): taken back on
  the statement where the replacement's payment, if it came, is paid, so the two net;
- minus a client's balance for a session paid out, on any of the session's invoices the
  group collects (the estimate's and the additional ones after a billing review), still
  unpaid 60 days after its due date (from then the provider may collect it directly:
  billing.overdue), what was due then;
- plus a payment to the group on such a balance afterwards (a recovery), up to what was
  deducted.

Each line's `source_key` is unique, so an item is on one statement once, whatever runs at
once; a claim paid, reversed and paid again gets numbered keys ("session:claim:12:2").
Everything is read in a fixed number of queries, however many lines there are.
"""
import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field

from peewee import fn

from alma.billing import service as billing
from alma.billing.models import OPEN, Invoice, Payment, Refund
from alma.billing.overdue import PROVIDER_MAY_COLLECT_AFTER_DAYS
from alma.claims.models import Claim, Visit
from alma.claims.posting import payer_spelled
from alma.claims.reconcile_models import ShareReconciliation
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.network.models import ProgramClient
from alma.payouts import rates
from alma.payouts.models import RECOUPMENT, RECOVERY, SESSION, UNPAID, PayoutLine, PayoutStatement
from alma.payouts.periods import end_moment
from alma.templating import money

log = logging.getLogger("alma.payouts")

NOT_PAID_STATUS = ("4", "22")  # denied, reversed: a claim payment that pays no session


@dataclass
class Item:
    """A line to be: everything a PayoutLine records."""

    kind: str
    amount_cents: int
    source_key: str
    description: str
    happened_at: datetime.datetime
    links: dict = field(default_factory=dict)


def _held(visit):
    return f"{visit.cpt_code} on {visit.held_on:%b %-d, %Y}"


def _payer(remittance):
    return payer_spelled(remittance.payer_name, "the insurer")


def _numbered(prefix, claim_id, before):
    """The key of a claim's next line of a kind: the first has no number (as ever)."""
    return f"{prefix}:claim:{claim_id}" + (f":{before + 1}" if before else "")


@dataclass
class _Book:
    """What the provider's statements hold: every source key, and per claim its session
    and recoupment lines, oldest first."""

    taken: set
    lines: dict  # claim id -> [PayoutLine]
    deducted: list  # the UNPAID lines, with their statement

    def count(self, claim_id, kind):
        return sum(1 for line in self.lines.get(claim_id, ()) if line.kind == kind)

    def out(self, claim_id):
        """1 while the claim's session is paid out on it, else 0."""
        return self.count(claim_id, SESSION) - self.count(claim_id, RECOUPMENT)


def _book(provider_id):
    lines = list(PayoutLine.select(PayoutLine, PayoutStatement).join(PayoutStatement)
                 .where(PayoutStatement.provider == provider_id).order_by(PayoutLine.id))
    by_claim = {}
    for line in lines:
        if line.kind in (SESSION, RECOUPMENT):
            by_claim.setdefault(line.claim_id, []).append(line)
    return _Book({line.source_key for line in lines}, by_claim,
                 [line for line in lines if line.kind == UNPAID])


def _payments(provider_id, until):
    """{claim id: its payments posted before `until`, oldest first}, each with its claim,
    session, client and remittance."""
    rows = (ClaimPayment.select(ClaimPayment, Claim, Visit, ProgramClient, Remittance)
            .join(Claim).join(Visit).join(ProgramClient).switch(ClaimPayment).join(Remittance)
            .where((Visit.provider == provider_id) & (Remittance.posted_at < until))
            .order_by(Remittance.posted_at, ClaimPayment.id))
    by_claim = {}
    for payment in rows:
        by_claim.setdefault(payment.claim_id, []).append(payment)
    return by_claim


def _paying(payments):
    """The first payment that pays the claim now: one no reversal (a CLP02 22 with the same
    CLP07, as posting.standing_payments) took back, that paid something; or None."""
    taken_back = Counter(p.payer_claim_number for p in payments if p.status_code == "22")
    for payment in payments:
        if payment.status_code == "22":
            continue
        if taken_back[payment.payer_claim_number]:
            taken_back[payment.payer_claim_number] -= 1
            continue
        if (payment.status_code not in NOT_PAID_STATUS
                and payment.paid_cents + payment.patient_cents > 0):
            return payment
    return None


def _insurer_items(payments, book, types):
    """Recoupments of claims paid out and no longer paid, then sessions paid now and not
    paid out on any claim of their chain. Returns (items, {visit id: claim id paid out})."""
    items, out = [], {}
    for claim_id in book.lines:
        if book.out(claim_id) > 0:
            out[book.lines[claim_id][-1].visit_id] = claim_id
    for claim_id, made in payments.items():
        if book.out(claim_id) <= 0 or _paying(made) is not None:
            continue
        reversals = [p for p in made if p.status_code == "22"]
        if not reversals:
            continue
        reversal = reversals[-1]
        claim, remittance = reversal.claim, reversal.remittance
        key = _numbered("recoupment", claim_id, book.count(claim_id, RECOUPMENT))
        items.append(Item(
            RECOUPMENT, -book.lines[claim_id][-1].amount_cents, key,
            f"Taken back: {_payer(remittance)} reversed its payment for the session "
            f"{_held(claim.visit)} (claim {claim.patient_control_number}, 835 trace "
            f"{remittance.trace_number})", remittance.posted_at,
            dict(visit=claim.visit_id, claim=claim_id, claim_payment=reversal.id,
                 remittance=remittance.id, invoice=claim.visit.invoice_id)))
        out.pop(claim.visit_id, None)
    paying = [_paying(made) for claim_id, made in payments.items() if book.out(claim_id) <= 0]
    paying = sorted((payment for payment in paying if payment is not None),
                    key=lambda payment: (payment.remittance.posted_at, payment.id))
    chosen = rates.rates_for([payment.claim.visit for payment in paying], types)
    for payment in paying:
        claim, remittance = payment.claim, payment.remittance
        if claim.visit_id in out:
            continue  # paid out on another claim of the chain, not taken back (yet)
        rate = chosen[claim.visit_id]
        if rate is None:
            log.warning("no pay rate for %s on %s: claim %s waits", claim.visit.cpt_code,
                        claim.visit.held_on, claim.id)
            continue
        key = _numbered("session", claim.id, book.count(claim.id, SESSION))
        if key in book.taken:
            continue
        items.append(Item(
            SESSION, rate.cents, key,
            f"Session {_held(claim.visit)}, {claim.visit.program_client.name}: paid by "
            f"{_payer(remittance)} (835 trace {remittance.trace_number}); your rate "
            f"{money(rate.cents)}", remittance.posted_at,
            dict(visit=claim.visit_id, claim=claim.id, claim_payment=payment.id,
                 remittance=remittance.id, invoice=claim.visit.invoice_id, pay_rate=rate.id)))
        out[claim.visit_id] = claim.id
    return items, out


def _session_invoices(visit_ids):
    """[(invoice, visit id)]: each session's client invoices, the estimate's and the
    additional ones the billing team approved after a higher share."""
    if not visit_ids:
        return []
    own = (Invoice.select(Invoice, Visit.id.alias("visit_id"))
           .join(Visit, on=(Visit.invoice == Invoice.id)).where(Visit.id.in_(visit_ids)))
    extra = (Invoice.select(Invoice, Claim.visit.alias("visit_id"))
             .join(ShareReconciliation, on=(ShareReconciliation.additional_invoice == Invoice.id))
             .join(Claim).where(Claim.visit.in_(visit_ids)))
    found = {}
    for query in (own, extra):
        for invoice in query.objects():
            found[invoice.id] = (invoice, invoice.visit_id)
    return sorted(found.values(), key=lambda pair: (pair[0].due_on, pair[0].id))


def _unpaid(out, visits, on, taken):
    """Balances the group collects on sessions paid out, unpaid 60 days after due on `on`."""
    latest_due = on - datetime.timedelta(days=PROVIDER_MAY_COLLECT_AFTER_DAYS)
    rows = [(invoice, visit_id) for invoice, visit_id in _session_invoices(sorted(out))
            if invoice.status == OPEN and invoice.collected_by == "group"
            and invoice.due_on <= latest_due
            and f"unpaid:invoice:{invoice.id}" not in taken]
    amounts = billing.amounts_for([invoice for invoice, _ in rows])
    items = []
    for invoice, visit_id in rows:
        due = amounts[invoice.id].due
        if due <= 0:
            continue
        since = invoice.due_on + datetime.timedelta(days=PROVIDER_MAY_COLLECT_AFTER_DAYS)
        items.append(Item(
            UNPAID, -due, f"unpaid:invoice:{invoice.id}",
            f"Your client's balance on invoice {invoice.number} ({invoice.kind_label.lower()} "
            f"for the session {_held(visits[visit_id])}) is unpaid "
            f"{PROVIDER_MAY_COLLECT_AFTER_DAYS} days after its due date: you may now collect "
            f"it directly", datetime.datetime.combine(since, datetime.time()),
            dict(visit=visit_id, claim=out[visit_id], invoice=invoice.id)))
    return items


def _recoveries(book, until):
    """Payments to the group on a deducted balance, made after it was deducted."""
    invoice_ids = [line.invoice_id for line in book.deducted]
    if not invoice_ids:
        return []
    recovered = dict(PayoutLine.select(PayoutLine.invoice, fn.SUM(PayoutLine.amount_cents))
                     .where((PayoutLine.kind == RECOVERY)
                            & PayoutLine.invoice.in_(invoice_ids))
                     .group_by(PayoutLine.invoice).tuples())
    payments = list(Payment.select(Payment, Invoice).join(Invoice).where(
        Payment.invoice.in_(invoice_ids) & (Payment.gateway != "direct")
        & (Payment.created_at < until)).order_by(Payment.id))
    refunded = dict(Refund.select(Refund.payment, fn.SUM(Refund.amount_cents))
                    .where(Refund.payment.in_([p.id for p in payments]))
                    .group_by(Refund.payment).tuples()) if payments else {}
    items = []
    for line in book.deducted:
        left = -line.amount_cents - recovered.get(line.invoice_id, 0)
        for payment in payments:
            key = f"recovery:payment:{payment.id}"
            if (payment.invoice_id != line.invoice_id or key in book.taken
                    or payment.created_at < line.statement.made_at):
                continue
            cents = min(payment.amount_cents - refunded.get(payment.id, 0), left)
            if cents <= 0:
                continue
            left -= cents
            items.append(Item(
                RECOVERY, cents, key,
                f"Recovered: your client paid Alma {money(cents)} of the balance on invoice "
                f"{payment.invoice.number}, deducted earlier", payment.created_at,
                dict(visit=line.visit_id, claim=line.claim_id, invoice=line.invoice_id,
                     payment=payment.id)))
    return items


def due_items(provider_id, period_end, now=None):
    """Every item due to a provider up to the end of `period_end` (or up to `now`, for
    the period still running) that is on no statement yet, in order."""
    until = min(end_moment(period_end), now) if now else end_moment(period_end)
    book = _book(provider_id)
    payments = _payments(provider_id, until)
    insurer, out = _insurer_items(payments, book, rates.licence_types(provider_id))
    visits = {made[0].claim.visit_id: made[0].claim.visit for made in payments.values()}
    missing = [visit_id for visit_id in out if visit_id not in visits]
    visits.update({visit.id: visit for visit in Visit.select().where(Visit.id.in_(missing))}
                  if missing else {})
    on = (until - datetime.timedelta(microseconds=1)).date()
    items = insurer + _unpaid(out, visits, on, book.taken) + _recoveries(book, until)
    return sorted(items, key=lambda item: (item.happened_at, item.source_key))
