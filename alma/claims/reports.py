"""What the clearinghouse sends back, read once each: stored whole (by its transaction id),
checked with pyx12, then applied: a 999 or a 277CA to the claims it acknowledges, an 835
posted (posting.py).

Acknowledgements move a claim forward only: submitted -> accepted or rejected. A claim
already remitted keeps its remittance's state whatever acknowledgement arrives late.
"""
import logging

from peewee import IntegrityError

from alma.claims import acks, codes, posting
from alma.claims.models import ACCEPTED, REJECTED, SUBMITTED, Claim, claim_id_of
from alma.claims.remittance_models import ClaimEvent, ClearinghouseReport
from alma.claims.x12_validation import validate
from alma.claims.x12read import X12Problem
from alma.clock import utcnow
from alma.db import db

log = logging.getLogger("alma.claims")


def receive(report):
    """Store and apply one Report; None if it was received before."""
    with db.atomic():
        try:
            with db.atomic():
                stored = ClearinghouseReport.create(transaction_id=report.transaction_id,
                                                    kind=report.kind, x12=report.x12)
        except IntegrityError:
            return None
        problems = validate(report.x12)
        if problems:
            stored.outcome, stored.problems = "invalid", "\n".join(problems)
            log.error("clearinghouse report invalid", extra={"fields": {
                "transaction": report.transaction_id, "kind": report.kind}})
        else:
            try:
                apply(stored)
                stored.outcome = "applied"
            except X12Problem as problem:
                stored.outcome, stored.problems = "failed", str(problem)
        stored.save()
        return stored


def apply(stored):
    if stored.kind == "835":
        posting.post(stored.x12, report=stored)
    elif stored.kind == "277":
        for ack in acks.read_277ca(stored.x12):
            _acknowledged(ack, stored)
    elif stored.kind == "999":
        for ack in acks.read_999(stored.x12):
            _batch_acknowledged(ack, stored)


def _batch_acknowledged(ack, stored):
    found = Claim.get_or_none((Claim.control_number == ack.group_control_number)
                              & Claim.status.in_((SUBMITTED, ACCEPTED)))
    claim = found and posting.locked_claim(found.id)
    if claim is None:
        return
    if ack.accepted:
        words = "The clearinghouse checked the claim's format: accepted."
    else:
        words = ("The clearinghouse refused the claim's format (999 code "
                 f"{ack.code}): it was never sent to the insurer.")
        _move(claim, REJECTED, words)
    ClaimEvent.create(claim=claim, kind="999", code=ack.code, words=words, report=stored)


def _acknowledged(ack, stored):
    claim = posting.locked_claim(claim_id_of(ack.patient_control_number))
    if claim is None:
        log.warning("277CA for an unknown claim", extra={"fields": {
            "pcn": ack.patient_control_number, "transaction": stored.transaction_id}})
        return
    status = next((s for s in ack.statuses if s.category in acks.REJECTED_CATEGORIES),
                  ack.statuses[-1] if ack.statuses else None)
    if status is None:
        return
    said = codes.acknowledgement_words(status.category, status.status, status.entity)
    if ack.rejected:
        words = (f"Rejected by the insurer before review ({status.category}:{status.status}"
                 f"): {said}. Check the client's details, then send a corrected claim.")
        _move(claim, REJECTED, words)
    else:
        words = f"The insurer accepted the claim for review ({status.category}): {said}."
        if ack.payer_claim_number and not claim.payer_claim_number:
            claim.payer_claim_number = ack.payer_claim_number
        _move(claim, ACCEPTED, words)
    ClaimEvent.create(claim=claim, kind="277CA", code=f"{status.category}:{status.status}",
                      words=words, report=stored)


def _move(claim, status, words):
    """Forward only: an acknowledgement never undoes a remittance or a rejection."""
    allowed = {ACCEPTED: (SUBMITTED,), REJECTED: (SUBMITTED, ACCEPTED)}[status]
    if claim.status in allowed:
        claim.status, claim.status_note = status, words
        claim.acknowledged_at = utcnow()
    claim.save()
