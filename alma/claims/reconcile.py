"""The client's share, reconciled with what the plan decided.

Each claim payment an 835 posts (events.remittance_posted, inside the posting's
transaction, the claim locked) is compared with what the client was invoiced for the
session, against the claim's net patient responsibility (a reversal followed by a new
payment: the net of all of them):
- less: credit notes for the difference, latest invoice first, and a refund of what was
  paid over, through the gateway that took it; the client is emailed why. Automatic.
- more: no bill yet: a review for the billing team, who approve it (an additional invoice,
  emailed with a link to the explanation page) or waive it with a reason.
- a reversal alone changes nothing: the client's bill waits for the payment replacing it.
One reconciliation per claim payment (a unique key), so nothing happens twice. Each
outcome is also written to benefits' EstimateOutcome, for the measured accuracy.
"""
import datetime

from flask import url_for
from peewee import IntegrityError, fn

from alma import audit
from alma.accounts import links
from alma.benefits import outcomes
from alma.benefits.models import CPT_CODES
from alma.billing import events as billing_events
from alma.billing import service as billing
from alma.billing.models import CreditNote, Invoice, Payment
from alma.claims import codes, refunds_owed
from alma.claims.events import remittance_posted
from alma.claims.insurer import CLIENT_INVOICE_DUE_DAYS
from alma.claims.models import DENIED, REVERSED, Claim, Visit
from alma.claims.posting import payer_spelled, standing_payments
from alma.claims.reconcile_models import (APPROVED, CREDITED, EQUAL, HELD, PENDING, REVIEW,
                                          SUPERSEDED, WAIVED, ReconciledMoney, ShareReconciliation)
from alma.claims.remittance_models import Adjustment
from alma.clock import today, utcnow
from alma.db import db
from alma.mail import service as mail
from alma.templating import money
from alma.web import absolute_url

EXPLANATION_LINK = "share-explanation"
EXPLANATION_LINK_TTL = datetime.timedelta(days=90)
# The PR reason code an invoice for a higher share is named after.
KIND_OF_REASON = {"1": "deductible", "2": "coinsurance", "3": "copay"}


class ReviewProblem(Exception):
    pass


@remittance_posted.connect
def _posted(claim, payment):
    reconcile(claim, payment)


def visit_invoices(visit):
    """The session's client invoices, oldest first: the estimate's and any additional ones."""
    extra = (Invoice.select().join(ShareReconciliation,
                                   on=ShareReconciliation.additional_invoice == Invoice.id)
             .join(Claim).where(Claim.visit == visit.id).order_by(Invoice.id))
    invoices = [visit.invoice] if visit.invoice_id else []
    return invoices + [i for i in extra if i.id != visit.invoice_id]


def session_invoices(condition):
    """[(invoice, session)] for many sessions at once, by due date: as visit_invoices, for
    every session and invoice matching `condition` (on Invoice and Visit)."""
    logged = (Invoice.select(Invoice, Visit.id.alias("session_id"))
              .join(Visit, on=(Visit.invoice == Invoice.id)))
    raised = (Invoice.select(Invoice, Visit.id.alias("session_id"))
              .join(ShareReconciliation,
                    on=(ShareReconciliation.additional_invoice == Invoice.id))
              .join(Claim, on=(ShareReconciliation.claim == Claim.id))
              .join(Visit, on=(Claim.visit == Visit.id)))
    invoices = [*logged.where(condition).objects(), *raised.where(condition).objects()]
    sessions = {visit.id: visit for visit in Visit.select().where(
        Visit.id.in_({invoice.session_id for invoice in invoices}))}
    return [(invoice, sessions[invoice.session_id])
            for invoice in sorted(invoices, key=lambda i: (i.due_on, i.id))]


def _waived(visit):
    return (ShareReconciliation.select(fn.COALESCE(fn.SUM(ShareReconciliation.difference_cents),
                                                   0))
            .join(Claim).where((Claim.visit == visit.id)
                               & (ShareReconciliation.review_status == WAIVED)).scalar())


def reconcile(claim, payment):
    """What this claim payment does to the client's bill: its ShareReconciliation (the one
    made before, if this payment was reconciled already)."""
    done = ShareReconciliation.get_or_none(ShareReconciliation.claim_payment == payment.id)
    if done is not None:
        return done
    visit = claim.visit
    bills = billing.amounts_for(visit_invoices(visit))
    invoices = {i.id: i for i in visit_invoices(visit)}
    invoiced = sum(a.total - a.credited for a in bills.values())
    owed = claim.patient_responsibility_cents
    # A later payment decides afresh for the session (whichever claim of its chain it is
    # on): an earlier review still waiting is moot. A reversal only makes moot the reviews
    # of the claim it takes back, never those of the replacement paid before it came.
    (ShareReconciliation.update(review_status=SUPERSEDED)
     .where((ShareReconciliation.review_status == PENDING)
            & ShareReconciliation.claim.in_(
                [claim.id] if claim.status == REVERSED
                else Claim.select(Claim.id).where(Claim.visit == visit.id))).execute())
    above = owed - invoiced - _waived(visit)
    if claim.status == REVERSED:
        outcome, difference = HELD, 0
    elif owed < invoiced:
        outcome, difference = CREDITED, owed - invoiced
    elif above > 0:
        outcome, difference = REVIEW, above
    else:
        outcome, difference = EQUAL, 0
    try:
        with db.atomic():
            row = ShareReconciliation.create(
                claim_payment=payment, claim=claim, outcome=outcome, billed_cents=invoiced,
                owed_cents=owed, difference_cents=difference,
                review_status=PENDING if outcome == REVIEW else "")
    except IntegrityError:  # reconciled by another worker just now
        return ShareReconciliation.get(ShareReconciliation.claim_payment == payment.id)
    if outcome == CREDITED:
        _give_back(row, [(invoices[i], bills[i]) for i in sorted(bills, reverse=True)],
                   invoiced - owed)
    if outcome != HELD and not (claim.status == DENIED and owed == 0):
        # A denial the client owes nothing for is the claim's error, not the estimate's.
        # One outcome per session: under the first claim of its chain, the latest decision.
        outcomes.record(_first_claim(claim).id, claim.payer_id, claim.patient_share_cents,
                        owed)
    return row


def _first_claim(claim):
    """The session's first claim, that `claim` replaces or corrects (claim.replaces)."""
    while claim.replaces_id:
        claim = claim.replaces
    return claim


def _reason(row):
    payment = row.claim_payment
    return (f"Claim {row.claim.patient_control_number} (insurer's claim "
            f"{payment.payer_claim_number or 'number not given'}), remittance "
            f"{payment.remittance.trace_number}: the plan says the client's share is "
            f"{money(row.owed_cents)}, not {money(row.billed_cents)}.")[:255]


def _give_back(row, bills, amount):
    """Lower the invoices by `amount`, latest first; refund what was paid over, each refund
    crediting the invoice by the same (so its receipt says what is left to pay)."""
    reason = _reason(row)
    for invoice, amounts in bills:
        take = min(amount, amounts.total - amounts.credited)
        if take <= 0:
            continue
        over = amounts.net_paid - (amounts.total - amounts.credited - take)
        credited = _refund(row, invoice, over, reason) if over > 0 else 0
        if over > credited:  # left to the billing desk: shown until they settle it
            row.refund_owed_cents += over - credited
            row.refund_owed_reason = refunds_owed.why_not_refunded(invoice)
        rest = min(take - credited, billing.amounts(invoice).due)
        if rest > 0:
            note = billing.credit(invoice, rest, reason)
            ReconciledMoney.create(reconciliation=row, credit_note=note)
            credited += rest
        row.credited_cents += credited
        amount -= take
        if amount == 0:
            break
    row.save()
    client = row.claim.visit.program_client.client
    mail.queue("share_lowered", client.email, dedupe_key=f"share:{row.id}:lowered",
               row=row, what=session_words(row.claim), payer=payer_name(row.claim),
               decided=decision_words(row.claim), url=billing.invoice_link(bills[-1][0]))


def _refund(row, invoice, amount, reason):
    """Give back `amount` of the invoice's payments, latest first, each through the gateway
    that took it, by billing's one refund path (billing.refund: once, audited, the payer
    receipted), crediting the invoice the same. A payment that can't go back from here
    (paid to the provider directly, or through a gateway this server doesn't run) is left
    to the billing desk (the row's refund_owed_cents, by _give_back). Returns what was
    refunded."""
    done = 0
    payments = Payment.select().where(Payment.invoice == invoice.id).order_by(Payment.id.desc())
    for payment in payments:
        take = min(amount - done, billing.refundable(payment))
        if take <= 0 or billing.gateway_problem(payment):
            continue
        refund, _ = billing.refund(payment, take, reason, credit_too=True)
        note = CreditNote.get(CreditNote.idempotency_key == refund.idempotency_key)
        ReconciledMoney.create(reconciliation=row, refund=refund, credit_note=note)
        row.refunded_cents += take
        done += take
        if done == amount:
            break
    return done


# --- The billing team's review of a higher share ----------------------------------------

def pending_reviews():
    return list(ShareReconciliation.select().where(ShareReconciliation.review_status == PENDING)
                .order_by(ShareReconciliation.id))


def recent_decisions(limit=50):
    return list(ShareReconciliation.select()
                .where(ShareReconciliation.review_status.in_((APPROVED, WAIVED)))
                .order_by(ShareReconciliation.decided_at.desc()).limit(limit))


def _decide(row_id, status, user, reason=""):
    """Take a pending review for this decision, once, whoever else decides at the same time."""
    won = (ShareReconciliation.update(review_status=status, decided_by=user,
                                      decided_at=utcnow(), reason=reason)
           .where((ShareReconciliation.id == row_id)
                  & (ShareReconciliation.review_status == PENDING)).execute())
    if won != 1:
        raise ReviewProblem("This review was decided already, or a later remittance "
                            "replaced it.")
    return ShareReconciliation.get_by_id(row_id)


def approve(row_id, user):
    """Issue the additional invoice for the difference and email the client the
    explanation (the invoice's own email is not sent: the explanation leads to it)."""
    with db.atomic():
        row = _decide(row_id, APPROVED, user)
        claim = row.claim
        visit = claim.visit
        kind = invoice_kind(row)
        label = {"deductible": "Deductible", "coinsurance": "Coinsurance",
                 "copay": "Copay"}[kind]
        invoice = billing.issue(
            kind, [(f"{label}, as your plan decided: {session_words(claim)}", 1,
                    row.difference_cents)],
            due_on=today() + datetime.timedelta(days=CLIENT_INVOICE_DUE_DAYS),
            owed_by_client=visit.program_client.client, collected_by="group",
            treating_provider=visit.provider,
            memo=f"Your share as {payer_name(claim)} decided claim "
                 f"{claim.payer_claim_number}, more than we estimated.")
        row.additional_invoice = invoice
        row.save()
        audit.record("approved", "share_review", row.id,
                     client=visit.program_client.client_id, actor=user)
        mail.queue("share_raised", visit.program_client.client.email,
                   dedupe_key=f"share:{row.id}:raised", row=row, invoice=invoice,
                   what=session_words(claim), payer=payer_name(claim),
                   url=explanation_link(row))
        return row


def waive(row_id, user, reason):
    reason = (reason or "").strip()
    if not reason:
        raise ReviewProblem("Say why the difference is waived.")
    if len(reason) > 1000:
        raise ReviewProblem(f"Keep the reason to 1,000 characters; it has {len(reason):,}.")
    with db.atomic():
        row = _decide(row_id, WAIVED, user, reason)
        audit.record("waived", "share_review", row.id,
                     client=row.claim.visit.program_client.client_id, actor=user)
        return row


def invoice_kind(row):
    """Named after the part of the client's share the plan raised most over the estimate."""
    claim = row.claim
    decided = {kind: 0 for kind in KIND_OF_REASON.values()}
    for adjustment in decision(claim):
        if adjustment.group_code == "PR" and adjustment.reason_code in KIND_OF_REASON:
            decided[KIND_OF_REASON[adjustment.reason_code]] += adjustment.amount_cents
    estimated = {"deductible": claim.deductible_cents, "coinsurance": claim.coinsurance_cents,
                 "copay": claim.copay_cents}
    rise = {kind: decided[kind] - estimated[kind] for kind in decided}
    best = max(rise, key=rise.get)
    return best if rise[best] > 0 else "coinsurance"


# --- Saying it in words -----------------------------------------------------------------

def decision(claim):
    """The adjustments of the claim's standing payments (what the plan decided now)."""
    _, standing = standing_payments(claim)
    return list(Adjustment.select().where(Adjustment.claim_payment.in_(
        [p.id for p in standing])).order_by(Adjustment.id)) if standing else []


def plan_paid(claim):
    """What the plan paid for the claim, net of anything it took back (cents)."""
    _, standing = standing_payments(claim)
    return sum(payment.paid_cents for payment in standing)


def decision_words(claim):
    """[(words, cents)]: each adjustment said plainly, e.g. 'PR-1: your plan's deductible:
    you pay this part'."""
    return [(codes.adjustment_words(a.group_code, a.reason_code), a.amount_cents)
            for a in decision(claim)]


def payer_name(claim):
    """Who decided: the payer the remittance names (a behavioural-health administrator may
    decide for the plan), spelled as we spell it when it is the plan itself."""
    _, standing = standing_payments(claim)
    named = standing[-1].remittance.payer_name if standing else ""
    if not named or named.upper() == claim.payer.name.upper():
        return claim.payer.name
    return payer_spelled(named)


def session_words(claim):
    visit = claim.visit
    return (f"{CPT_CODES.get(visit.cpt_code, visit.cpt_code)} on "
            f"{visit.held_on:%B %-d, %Y} with {visit.provider.full_name}")


def estimate_parts(claim):
    return [(label, cents) for label, cents in (
        ("Deductible", claim.deductible_cents), ("Coinsurance", claim.coinsurance_cents),
        ("Copay", claim.copay_cents)) if cents]


def explanation_link(row):
    token = links.create(EXPLANATION_LINK, row.id, EXPLANATION_LINK_TTL)
    return absolute_url("reconcile.explanation_link", token=token)


def explained_by(invoice):
    """The reconciliation an additional invoice was issued for, or None."""
    return ShareReconciliation.get_or_none(ShareReconciliation.additional_invoice == invoice.id)


@billing_events.invoice_explanation.connect
def _explanation_of(invoice):
    row = explained_by(invoice)
    return row and url_for("reconcile.explanation", row_id=row.id)
