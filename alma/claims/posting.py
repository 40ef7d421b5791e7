"""Posting an 835 to its claims, idempotently.

A remittance is the payer's trace number (TRN02) from that payer (TRN03): the same 835
posted twice changes nothing. Each CLP becomes a ClaimPayment on the claim its CLP01 names
(a reversal, CLP02 22, is one too), with its service lines and every CAS adjustment; a
CLP01 that names no claim of ours is queued (UnmatchedClaimPayment). Then the claim's state
and amounts are worked out again from all its payments, whatever order they came in, and
`events.remittance_posted` is sent.
"""
from peewee import IntegrityError

from alma.claims import codes, era
from alma.claims.events import remittance_posted
from alma.claims.models import DENIED, PAID, PARTLY_PAID, REVERSED, Claim, claim_id_of
from alma.claims.remittance_models import (Adjustment, ClaimEvent, ClaimPayment,
                                           ProviderAdjustment, Remittance, ServiceLinePayment,
                                           UnmatchedClaimPayment)
from alma.clock import utcnow
from alma.db import db, is_postgres
from alma.network import vocab
from alma.templating import money


def post(text, report=None):
    """Post an 835's text: (the Remittance, whether this call posted it)."""
    remit = era.read(text)
    key = ((Remittance.payer_identifier == remit.payer_identifier)
           & (Remittance.trace_number == remit.trace_number))
    with db.atomic():
        existing = Remittance.get_or_none(key)
        if existing is not None:
            return existing, False
        try:
            with db.atomic():
                remittance = Remittance.create(
                    report=report, payer_identifier=remit.payer_identifier,
                    trace_number=remit.trace_number, payer_name=remit.payer_name,
                    paid_cents=remit.paid_cents, method=remit.method, paid_on=remit.paid_on,
                    bpr_segment=remit.bpr_segment)
        except IntegrityError:  # another worker posted it just now
            return Remittance.get(key), False
        for claim_remit in remit.claims:
            _post_claim(remittance, claim_remit, report)
        for plb in remit.provider_adjustments:
            ProviderAdjustment.create(remittance=remittance,
                                      provider_identifier=plb.provider_identifier,
                                      reason_code=plb.reason, reference=plb.reference,
                                      amount_cents=plb.amount_cents, segment=plb.segment)
        return remittance, True


def locked_claim(claim_id):
    """The claim, locked until the transaction ends on PostgreSQL (SQLite has one writer at
    a time): two reports about one claim are applied one after the other, each seeing the
    other's payments."""
    query = Claim.select().where(Claim.id == claim_id)
    return (query.for_update() if is_postgres() else query).first()


def _post_claim(remittance, remit, report):
    claim = locked_claim(claim_id_of(remit.patient_control_number))
    values = dict(remittance=remittance, patient_control_number=remit.patient_control_number,
                  status_code=remit.status_code, charge_cents=remit.charge_cents,
                  paid_cents=remit.paid_cents, patient_cents=remit.patient_cents,
                  payer_claim_number=remit.payer_claim_number)
    if claim is None:
        UnmatchedClaimPayment.create(**values, x12="~\n".join(remit.text) + "~")
        return
    payment = ClaimPayment.create(**values, claim=claim, segment=remit.segment,
                                  remarks=",".join(remit.remarks))
    for cas in remit.adjustments:
        _adjustment(payment, None, cas)
    for line in remit.lines:
        row = ServiceLinePayment.create(
            claim_payment=payment, procedure=line.procedure, charge_cents=line.charge_cents,
            paid_cents=line.paid_cents, units=line.units, service_date=line.service_date,
            remarks=",".join(line.remarks), segment=line.segment)
        for cas in line.adjustments:
            _adjustment(payment, row, cas)
    settle(claim)
    ClaimEvent.create(claim=claim, kind="reversal" if remit.status_code == "22" else "835",
                      code=remit.status_code, words=payment_words(payment), report=report)
    remittance_posted.send(claim, payment=payment)


def _adjustment(payment, line, cas):
    Adjustment.create(claim_payment=payment, line=line, group_code=cas.group,
                      reason_code=cas.reason, amount_cents=cas.amount_cents,
                      segment=cas.segment)


def _order(payment):
    remittance = payment.remittance
    return (remittance.paid_on, remittance.trace_number, payment.patient_control_number)


def _amounts(payment):
    return (payment.charge_cents, payment.paid_cents, payment.patient_cents)


def _reversed_by(reversal, candidates):
    """The payment `reversal` takes back: the same payer claim number (CLP07) and the same
    amounts negated, from another remittance (a correction's reversal comes with the new
    payment on the same 835: that one is not what it reverses); failing an exact match,
    the same claim number. The earliest such, so the choice never depends on the order
    the 835s were posted in."""
    same = [p for p in candidates if p.payer_claim_number == reversal.payer_claim_number]
    negated = tuple(-cents for cents in _amounts(reversal))
    for fits in (lambda p: _amounts(p) == negated and p.remittance_id != reversal.remittance_id,
                 lambda p: _amounts(p) == negated,
                 lambda p: p.remittance_id != reversal.remittance_id,
                 lambda p: True):
        found = next((p for p in same if fits(p)), None)
        if found is not None:
            return found
    return None


def standing_payments(claim):
    """(every payment of the claim, the ones no reversal took back), in the remittances'
    order. What stands is decided by what the remittances say, not by when (or in which
    order) they were posted: each reversal (CLP02 22) cancels the payment it reverses
    (_reversed_by), and the standing payments are the others."""
    payments = sorted(ClaimPayment.select().where(ClaimPayment.claim == claim.id)
                      .order_by(ClaimPayment.id), key=_order)
    left = [p for p in payments if p.status_code != "22"]
    for reversal in (p for p in payments if p.status_code == "22"):
        taken = _reversed_by(reversal, left)
        if taken is not None:
            left.remove(taken)
    return payments, left


def settle(claim):
    """The claim's state and amounts from all its payments (independent of their order)."""
    payments, standing = standing_payments(claim)
    claim.paid_cents = sum(p.paid_cents for p in payments)
    claim.patient_responsibility_cents = sum(p.patient_cents for p in payments)
    claim.remitted_at = utcnow()
    if standing:
        latest = standing[-1]
        claim.payer_claim_number = latest.payer_claim_number
        if latest.status_code == "4" or latest.paid_cents + latest.patient_cents == 0:
            claim.status = DENIED
        elif latest.paid_cents + latest.patient_cents < latest.charge_cents:
            claim.status = PARTLY_PAID
        else:
            claim.status = PAID
        claim.status_note = payment_words(latest)
    else:
        last = [p for p in payments if p.status_code == "22"][-1]
        claim.payer_claim_number = last.payer_claim_number
        claim.status = REVERSED
        claim.status_note = payment_words(last)
    claim.save()


def payer_spelled(named, fallback="The insurer"):
    """The payer an 835 names (in capitals), spelled as we spell it when it is one of ours
    ("UNITEDHEALTHCARE" is UnitedHealthcare, not "Unitedhealthcare"); another (an
    administrator deciding for the plan) in title case; `fallback` when it names none."""
    ours = {payer.name.upper(): payer.name for payer in vocab.current().payers.values()}
    return ours.get(named.upper()) or named.title() or fallback


def _payer_said(payment):
    return payer_spelled(payment.remittance.payer_name)


def payment_words(payment):
    """What a claim payment means, in plain words, with every adjustment's code."""
    payer = _payer_said(payment)
    adjustments = list(Adjustment.select().where(Adjustment.claim_payment == payment.id)
                       .order_by(Adjustment.id))
    remarks = [code for code in payment.remarks.split(",") if code] + [
        code for line in payment.lines for code in line.remarks.split(",") if code]
    if payment.status_code == "22":
        text = (f"{payer} took back its payment of {money(-payment.paid_cents)} "
                f"(claim {payment.payer_claim_number}): reversed.")
    elif payment.status_code == "4":
        text = f"{payer} denied the claim."
    else:
        text = (f"{payer} paid {money(payment.paid_cents)}; the client's share is "
                f"{money(payment.patient_cents)}.")
    details = [f"{codes.adjustment_words(a.group_code, a.reason_code)} "
               f"({money(abs(a.amount_cents))})" for a in adjustments]
    details += [codes.remark_words(code) for code in dict.fromkeys(remarks)]
    return " ".join([text, *(f"{d}." for d in details)])
