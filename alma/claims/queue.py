"""The denials and rejections queue (issue 12, item 4): every claim with its state, age and
timely filing limit, found by state, payer, provider and reason; and what the billing team
does with one the payer refused or decided: correct and send it again, void it, or write
it off.

Each action is done once, whatever is clicked twice or by two people at once: it is a
ClaimAction row, unique per claim and per form key, made in the transaction that locks the
claim (posting.locked_claim) and checks its state. The claims it makes go out with the
next run of the submit job, like any ready claim.
"""
import dataclasses
import math
import re

from peewee import JOIN, IntegrityError

from alma import audit
from alma.benefits.estimates import allowed_cents
from alma.claims import codes, insurer, x12
from alma.claims.events import remittance_posted
from alma.claims.models import (ACCEPTED, DENIED, PAID, PARTLY_PAID, READY, REJECTED, REVERSED,
                                STATUS_LABELS, SUBMITTED, Claim, Visit)
from alma.claims.posting import locked_claim
from alma.claims.queue_models import (DEFAULT_FILING_DAYS, REPLACED, RESUBMITTED, VOIDED,
                                      WRITTEN_OFF, ClaimAction, PayerFilingLimit)
from alma.claims.remittance_models import Adjustment, ClaimEvent, ClaimPayment, ServiceLinePayment
from alma.clock import today
from alma.db import db
from alma.network.models import Payer, ProgramClient, Provider
from alma.templating import money

NEEDS_ACTION = (REJECTED, DENIED, PARTLY_PAID)
NEAR_SHARE = 0.75  # a claim this far into its payer's filing limit is marked "near"
PAGE_SIZE = 50
STATE_FILTERS = {"needs_action": "Needs action (rejected, denied, partly paid)",
                 "all": "Every claim", **STATUS_LABELS, "acted_on": "Acted on already"}
# What each action may be done to: a rejected claim was never adjudicated, so it is sent
# again as a new original; a decided one is replaced (7) or voided (8) by the payer's number.
CORRECTABLE = (REJECTED, DENIED, PARTLY_PAID, PAID)
VOIDABLE = (PAID, PARTLY_PAID)
WRITABLE_OFF = (REJECTED, DENIED, PARTLY_PAID, REVERSED)
_REASON = re.compile(r"^[A-Z0-9]{1,2}(?:[-:][A-Z0-9]{1,5})?$|^[A-Z]{1,2}[0-9]{1,4}$")


class QueueProblem(ValueError):
    """Why an action can't be done, in words for the billing team; `field` names the form
    field it is about, if any."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


@dataclasses.dataclass
class Filters:
    state: str = "needs_action"
    payer: int | None = None
    provider: int | None = None
    reason: str = ""
    page: int = 1


def set_filing_limit(payer, days, actor):
    """A payer's timely filing limit, in days from the session (the default when `days` is
    DEFAULT_FILING_DAYS: no row is kept for it)."""
    with db.atomic():
        PayerFilingLimit.delete().where(PayerFilingLimit.payer == payer.id).execute()
        if days != DEFAULT_FILING_DAYS:
            PayerFilingLimit.create(payer=payer, days=days)
        audit.record("filing limit set", "payer", payer.id, actor=actor)


def filing_limits():
    """Every payer with its filing limit in days, by name."""
    limits = _filing_limits()
    return [(payer, limits.get(payer.id, DEFAULT_FILING_DAYS))
            for payer in Payer.select().order_by(Payer.name)]


def filing_limit_days(payer_id):
    row = PayerFilingLimit.get_or_none(PayerFilingLimit.payer == payer_id)
    return row.days if row else DEFAULT_FILING_DAYS


def _filing_limits():
    return dict(PayerFilingLimit.select(PayerFilingLimit.payer, PayerFilingLimit.days)
                .tuples())


def reason_code(text):
    """A reason filter as typed ("co-16", "16", "A7:164", "MA130"), or None if it isn't one."""
    code = (text or "").strip().upper()
    return code if code.isascii() and _REASON.match(code) else None


def _listed(field, code):
    """`code` is one of a comma-separated list's codes (N16 is not N165)."""
    return ((field == code) | field.startswith(code + ",") | field.endswith("," + code)
            | field.contains("," + code + ","))


def _reason_claims(code):
    """Ids of claims with that CARC (with or without its group), remark or 277CA code."""
    group, _, reason = code.rpartition("-")
    adjustment = (Adjustment.reason_code == reason) & (
        (Adjustment.group_code == group) if group else True)
    by_adjustment = (ClaimPayment.select(ClaimPayment.claim).join(Adjustment)
                     .where(adjustment))
    by_remark = (ClaimPayment.select(ClaimPayment.claim)
                 .join(ServiceLinePayment, JOIN.LEFT_OUTER)
                 .where(_listed(ClaimPayment.remarks, code)
                        | _listed(ServiceLinePayment.remarks, code)))
    by_ack = ClaimEvent.select(ClaimEvent.claim).where(
        (ClaimEvent.kind == "277CA") & ((ClaimEvent.code == code)
                                        | ClaimEvent.code.endswith(":" + code)))
    return by_adjustment | by_remark | by_ack


def _filtered(filters):
    query = (Claim.select(Claim, Visit, ProgramClient, Provider, Payer, ClaimAction)
             .join(Visit).join(ProgramClient).switch(Visit).join(Provider)
             .switch(Claim).join(Payer)
             .switch(Claim).join(ClaimAction, JOIN.LEFT_OUTER,
                                 on=(ClaimAction.claim == Claim.id), attr="action"))
    if filters.state == "needs_action":
        query = query.where(Claim.status.in_(NEEDS_ACTION) & ClaimAction.id.is_null())
    elif filters.state == "acted_on":
        query = query.where(ClaimAction.id.is_null(False))
    elif filters.state != "all":
        query = query.where(Claim.status == filters.state)
    if filters.payer:
        query = query.where(Claim.payer == filters.payer)
    if filters.provider:
        query = query.where(Visit.provider == filters.provider)
    if filters.reason:
        query = query.where(Claim.id.in_(_reason_claims(filters.reason)))
    return query


def search(filters):
    """(rows, total, pages) for one page, oldest session first (the closest to its filing
    limit first); each row a claim with `.action` and `.filing` set."""
    query = _filtered(filters)
    total = query.count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    rows = list(query.order_by(Visit.held_on, Claim.id).paginate(filters.page, PAGE_SIZE))
    limits = _filing_limits()
    on = today()
    for claim in rows:
        if claim.action is not None and claim.action.id is None:  # the outer join's nothing
            claim.action = None
        claim.filing = filing(claim, limits.get(claim.payer_id, DEFAULT_FILING_DAYS), on)
    return rows, total, pages


@dataclasses.dataclass
class Filing:
    age_days: int
    limit_days: int
    mark: str  # "past", "near" or "" (or "" for a claim the payer has decided)

    @property
    def words(self):
        if self.mark == "past":
            return f"past the {self.limit_days}-day filing limit"
        if self.mark == "near":
            return f"{self.limit_days - self.age_days} days left of {self.limit_days}"
        return ""


def filing(claim, limit_days, on):
    """The claim's age against its payer's timely filing limit. It matters while the payer
    hasn't accepted a claim for the session, or a correction is still to be sent."""
    age = (on - claim.visit.held_on).days
    still_open = claim.status in (READY, SUBMITTED, *NEEDS_ACTION) and not getattr(
        claim, "action", None)
    mark = ""
    if still_open and age > limit_days:
        mark = "past"
    elif still_open and age >= NEAR_SHARE * limit_days:
        mark = "near"
    return Filing(age, limit_days, mark)


def action_of(claim):
    return ClaimAction.get_or_none(ClaimAction.claim == claim.id)


def available(claim, action=None):
    """Which actions the billing team may take on the claim now."""
    if action is not None or claim.frequency_code == "8":  # a void is never acted on
        return set()
    found = set()
    if claim.status in CORRECTABLE and (claim.status == REJECTED or claim.payer_claim_number):
        found.add("correct")
    if claim.status in VOIDABLE and claim.payer_claim_number:
        found.add("void")
    if claim.status in WRITABLE_OFF:
        found.add("write_off")
    return found


def history(claim):
    """The claim's events and its payments (lines, adjustments), each code in words."""
    events = list(ClaimEvent.select().where(ClaimEvent.claim == claim.id)
                  .order_by(ClaimEvent.at, ClaimEvent.id))
    payments = list(ClaimPayment.select().where(ClaimPayment.claim == claim.id)
                    .order_by(ClaimPayment.id))
    for payment in payments:
        payment.status_words = codes.status_words(payment.status_code)
        payment.line_rows = list(payment.lines.order_by(ServiceLinePayment.id))
        payment.adjustment_rows = [
            (a, codes.adjustment_words(a.group_code, a.reason_code),
             codes.official_adjustment(a.group_code, a.reason_code))
            for a in payment.adjustments.order_by(Adjustment.id)]
        payment.remark_rows = [codes.remark_words(code) for code in dict.fromkeys(
            [c for c in payment.remarks.split(",") if c]
            + [c for line in payment.line_rows for c in line.remarks.split(",") if c])]
    return events, payments


def chain(claim):
    """Every claim for the claim's session, first to last."""
    return list(Claim.select().where(Claim.visit == claim.visit_id).order_by(Claim.id))


# --- Actions ---------------------------------------------------------------------------------

def _begin(claim_id, form_key, allowed, what):
    """The locked claim, if `form_key` is new and the claim may still have `what` done;
    (claim, None). If this form was sent before: (claim, its action)."""
    done = ClaimAction.get_or_none(ClaimAction.form_key == form_key)
    if done is not None and done.claim_id != claim_id:
        raise QueueProblem("This form belongs to another claim: reload the page.")
    if done is not None:
        return Claim.get_by_id(done.claim_id), done
    claim = locked_claim(claim_id)
    if claim is None:
        raise QueueProblem("There is no such claim.")
    action = action_of(claim)
    if action is not None:
        who = action.made_by.name if action.made_by else "someone"
        raise QueueProblem(f"{who} already acted on this claim ({action.label.lower()}, "
                           f"{action.made_at:%b %-d %H:%M} UTC): nothing was done again.")
    if claim.status not in allowed or claim.frequency_code == "8":
        raise QueueProblem(f"A claim that is {claim.status_label.lower()} can't be {what}"
                           + (" (it is a void)." if claim.frequency_code == "8" else "."))
    return claim, None


def _record(claim, kind, form_key, reason, actor, **values):
    """The action's row: a second one for the same claim or form fails here, and the whole
    transaction with it (nothing half-written)."""
    try:
        with db.atomic():
            return ClaimAction.create(claim=claim, kind=kind, form_key=form_key,
                                      reason=reason, made_by=actor, **values)
    except IntegrityError:
        raise QueueProblem("Someone acted on this claim at the same moment: nothing was "
                           "done twice. Reload the claim to see what was done.") from None


def _audit(claim, what, actor):
    client_id = claim.visit.program_client.client_id
    audit.record(what, "claim", claim.id, client=client_id, actor=actor)


def correct_and_resubmit(claim_id, form_key, reason, corrections, actor):
    """A rejected claim is sent again as a new original; a decided one is replaced
    (frequency 7, REF*F8 the payer's claim number). `corrections`: member_id, cpt_code,
    place_of_service, diagnosis_code as the billing member left them. Returns the action."""
    with db.atomic():
        claim, done = _begin(claim_id, form_key, CORRECTABLE, "corrected and sent again")
        if done is not None:
            return done
        replace = claim.status != REJECTED
        if replace and not claim.payer_claim_number:
            raise QueueProblem("The payer gave no claim number for this claim, so a "
                               "replacement can't name it.")
        first_code = claim.visit.cpt_code
        changed = _apply_corrections(claim, corrections)
        new = _new_claim(claim, "7" if replace else "1", corrections,
                         recharge=corrections["cpt_code"] != first_code)
        action = _record(claim, REPLACED if replace else RESUBMITTED, form_key, reason,
                         actor, new_claim=new, corrections="; ".join(changed))
        what = "replacement (frequency 7)" if replace else "new claim"
        words = (f"Corrected by the billing team ({'; '.join(changed) or 'nothing changed'})"
                 f": a {what} {new.patient_control_number} goes with the next batch.")
        ClaimEvent.create(claim=claim, kind="action", code=action.kind, words=words)
        ClaimEvent.create(claim=new, kind="action", code="made",
                          words=f"Made to {'replace' if replace else 'correct'} claim "
                                f"{claim.patient_control_number}: {reason}")
        _audit(claim, f"claim {action.kind}", actor)
        return action


def _apply_corrections(claim, corrections):
    """Keep each correction where it belongs: the member ID and diagnosis on the client's
    program record, the service code on the session; the place of service goes on the new
    claim. Returns what changed, in words."""
    program_client, visit = claim.visit.program_client, claim.visit
    changed = []
    for label, owner, field, value in (
            ("member ID", program_client, "member_id", corrections["member_id"]),
            ("diagnosis", program_client, "diagnosis_code", corrections["diagnosis_code"]),
            ("service code", visit, "cpt_code", corrections["cpt_code"])):
        old = getattr(owner, field)
        if value != old:
            changed.append(f"{label} {old} → {value}")
            setattr(owner, field, value)
    if corrections["place_of_service"] != claim.place_of_service:
        changed.append(f"place of service {claim.place_of_service} → "
                       f"{corrections['place_of_service']}")
    try:
        with db.atomic():
            program_client.save()
            visit.save()
    except IntegrityError:
        raise QueueProblem("Another record already has that member ID with this payer, or "
                           "this session's client has that service logged that day.",
                           "member_id") from None
    return changed


def _new_claim(claim, frequency, corrections=None, recharge=False):
    """The claim's successor (1 corrected original, 7 replacement, 8 void), its 837P made
    as the first one was: refused whole if the data can't make a valid one."""
    visit = claim.visit
    corrections = corrections or {"cpt_code": visit.cpt_code,
                                  "place_of_service": claim.place_of_service}
    charge = claim.charge_cents
    if recharge:  # another service: the group's rate for it
        charge = allowed_cents(claim.payer, corrections["cpt_code"], visit.held_on)
        if charge is None:
            raise QueueProblem(f"The group has no {claim.payer.name} rate for "
                               f"{corrections['cpt_code']}.", "cpt_code")
    estimate = {} if frequency == "8" else dict(
        deductible_cents=claim.deductible_cents, coinsurance_cents=claim.coinsurance_cents,
        copay_cents=claim.copay_cents, patient_share_cents=claim.patient_share_cents)
    new = Claim.create(visit=visit, payer=claim.payer, charge_cents=charge,
                       allowed_cents=charge, **{"deductible_cents": 0, "coinsurance_cents": 0,
                                                "copay_cents": 0, "patient_share_cents": 0,
                                                **estimate},
                       place_of_service=corrections["place_of_service"],
                       modifiers=claim.modifiers, x12="", frequency_code=frequency,
                       replaces=claim)
    check = visit.eligibility_check
    if check is None:
        raise QueueProblem("The benefit check this session was billed under is gone, so no "
                           "claim can be made for it.")
    data = insurer.claim_data(new, visit, visit.provider, visit.program_client, check)
    data = dataclasses.replace(
        data, cpt_code=corrections["cpt_code"], place_of_service=new.place_of_service,
        modifiers=[m for m in claim.modifiers.split(",") if m], frequency_code=frequency,
        payer_claim_number=claim.payer_claim_number if frequency != "1" else "")
    try:
        new.x12 = x12.claim_837p(data)
    except x12.ClaimDataProblem as problem:
        field = str(problem).split(":", 1)[0]
        raise QueueProblem(f"No claim could be made: {problem}.",
                           field if field in ("member_id", "cpt_code", "place_of_service",
                                              "diagnosis_code") else None) from None
    new.save()
    return new


def void(claim_id, form_key, reason, actor):
    """A void (frequency 8, REF*F8) for a claim that should never have been paid: the payer
    takes its payment back on a later 835."""
    with db.atomic():
        claim, done = _begin(claim_id, form_key, VOIDABLE, "voided")
        if done is not None:
            return done
        if not claim.payer_claim_number:
            raise QueueProblem("The payer gave no claim number for this claim, so a void "
                               "can't name it.")
        new = _new_claim(claim, "8")
        action = _record(claim, VOIDED, form_key, reason, actor, new_claim=new)
        ClaimEvent.create(claim=claim, kind="action", code=VOIDED,
                          words=f"Voided by the billing team: the void "
                                f"{new.patient_control_number} asks the insurer to take its "
                                f"payment back. {reason}")
        ClaimEvent.create(claim=new, kind="action", code="made",
                          words=f"Made to void claim {claim.patient_control_number}: {reason}")
        _audit(claim, "claim voided", actor)
        return action


def write_off_amounts(claim):
    """(written off, charge, insurer paid, client's share): what nobody will pay, worked
    out from the charge less what the insurer paid and what the client owes (the plan's
    share when it said one, else the estimate the client was invoiced)."""
    paid = claim.paid_cents or 0
    share = (claim.patient_responsibility_cents if claim.patient_responsibility_cents
             is not None else claim.patient_share_cents)
    return max(0, claim.charge_cents - paid - share), claim.charge_cents, paid, share


def write_off(claim_id, form_key, reason, actor):
    with db.atomic():
        claim, done = _begin(claim_id, form_key, WRITABLE_OFF, "written off")
        if done is not None:
            return done
        amount, charge, paid, share = write_off_amounts(claim)
        action = _record(claim, WRITTEN_OFF, form_key, reason, actor,
                         written_off_cents=amount, charge_cents=charge,
                         insurer_paid_cents=paid, client_share_cents=share)
        ClaimEvent.create(claim=claim, kind="action", code=WRITTEN_OFF,
                          words=f"Written off by the billing team: {money(amount)} (charge "
                                f"{money(charge)} less {money(paid)} paid by the insurer "
                                f"less the client's {money(share)}). {reason}")
        _audit(claim, "claim written off", actor)
        return action


# --- A void's answer ---------------------------------------------------------------------------

@remittance_posted.connect
def _voided(claim, payment):
    """When the payer takes back a claim's payment, a void sent for it has done its work
    (the payer answers a void with the reversal of the claim it names)."""
    if payment.status_code != "22":
        return
    for each in Claim.select().where((Claim.replaces == claim.id) & (Claim.frequency_code == "8")
                                     & Claim.status.in_((SUBMITTED, ACCEPTED))):
        each.status = REVERSED
        each.status_note = (f"The insurer took back the payment of claim "
                            f"{claim.patient_control_number}, as this void asked.")
        each.remitted_at = payment.remittance.posted_at
        each.save()
        ClaimEvent.create(claim=each, kind="reversal", code="22", words=each.status_note)
