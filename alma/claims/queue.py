"""The denials and rejections queue (issue 12, item 4), what it shows: every claim with its
state, age and timely filing limit, found by state, payer, provider and reason; a claim's
history, the claims made for its session, and which actions it may have. What the billing
team does with a claim (correct and send it again, void it, write it off) is in
queue_actions.py.
"""
import dataclasses
import math
import re

from peewee import JOIN

from alma import audit
from alma.claims import codes
from alma.claims.models import (DENIED, PAID, PARTLY_PAID, READY, REJECTED, REVERSED,
                                STATUS_LABELS, SUBMITTED, Claim, Visit)
from alma.claims.queue_models import DEFAULT_FILING_DAYS, ClaimAction, PayerFilingLimit
from alma.claims.remittance_models import Adjustment, ClaimEvent, ClaimPayment, ServiceLinePayment
from alma.clock import today
from alma.db import db
from alma.network.models import Payer, ProgramClient, Provider

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
