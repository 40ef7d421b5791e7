"""The claims' jobs: sending ready claims in batches, and reading what comes back.

Sending: a worker claims up to BATCH_SIZE ready claims one row at a time (a conditional
UPDATE, as alma.jobs.claim_each does), stamping each with its batch, the time and, the
first time only, its idempotency key, and commits; then it sends them and records each
answer. Every retry of a claim reuses its stored key, so a worker killed after sending and
before recording can't make a second claim: after SENDING_LEASE another worker sends it
again with the same key and the clearinghouse answers as it did the first time.

Reading: one page per run from the stored cursor, each report stored and applied once
(reports.receive), so reading a report twice changes nothing.
"""
import datetime
import logging
import uuid

from peewee import fn

from alma.claims import claim_json, reports
from alma.claims.clearinghouse import ClearinghouseUnavailable, Outgoing, gateway
from alma.claims.models import READY, REJECTED, SUBMITTED, Claim, SubmissionBatch
from alma.claims.remittance_models import ClaimEvent, ClearinghouseCursor
from alma.clock import utcnow
from alma.db import db
from alma.jobs import stop_requested

log = logging.getLogger("alma.claims")

BATCH_SIZE = 25
SENDING_LEASE = datetime.timedelta(minutes=10)


def _due(now):
    return (Claim.status == READY) & (Claim.sending_since.is_null()
                                      | (Claim.sending_since < now - SENDING_LEASE))


def claim_batch(gateway_name, size=BATCH_SIZE):
    """Up to `size` ready claims, each won by this worker alone: (batch, claims)."""
    now = utcnow()
    candidates = [c.id for c in Claim.select(Claim.id).where(_due(now))
                  .order_by(Claim.id).limit(size * 2)]
    if not candidates:
        return None, []
    batch = SubmissionBatch.create(gateway=gateway_name, started_at=now)
    won = []
    for claim_id in candidates:
        if len(won) == size:
            break
        with db.atomic():
            taken = (Claim.update({Claim.batch: batch.id, Claim.sending_since: now,
                                   Claim.submission_key: fn.COALESCE(Claim.submission_key,
                                                                     uuid.uuid4().hex)})
                     .where((Claim.id == claim_id) & _due(now)).execute())
        if taken == 1:
            won.append(Claim.get_by_id(claim_id))
    if not won:
        batch.delete_instance()
    return batch, won


def _control_number(value):
    value = str(value or "").strip()
    return str(int(value)) if value.isdigit() else value


def _record(batch, claim, sent):
    """One claim's answer, in its own transaction; only while this batch still holds it."""
    with db.atomic():
        claim = Claim.get_by_id(claim.id)
        if claim.status != READY or claim.batch_id != batch.id:
            return False
        if sent.unavailable:
            claim.sending_since = None  # the next run sends it again, with the same key
            claim.save()
            return False
        payer = claim.payer.name
        if sent.accepted:
            claim.status, claim.submitted_at = SUBMITTED, utcnow()
            claim.clearinghouse_reference = sent.reference
            claim.control_number = _control_number(sent.control_number or claim.id)
            claim.status_note = f"Sent to {payer}; waiting for the insurer to accept it."
            kind, code = "submitted", "sent"
        else:
            claim.status = REJECTED
            claim.status_note = ("The clearinghouse refused the claim before it reached "
                                 f"{payer}: {'; '.join(sent.errors)}. Correct it and send a "
                                 "new claim.")
            kind, code = "submitted", "refused"
        claim.save()
        ClaimEvent.create(claim=claim, kind=kind, code=code, words=claim.status_note)
        return True


def submit_claims(limit=1000):
    """Send ready claims in batches until none is left (or `limit`): how many were sent."""
    clearinghouse = gateway()
    if clearinghouse is None:
        return 0
    done = 0
    while done < limit and not stop_requested():
        batch, claims = claim_batch(clearinghouse.name)
        if not claims:
            break
        outgoing = [Outgoing(c.id, c.submission_key, claim_json.from_837p(c.x12))
                    for c in claims]
        results = {sent.claim_id: sent for sent in clearinghouse.submit(outgoing)}
        recorded = [_record(batch, claim, results[claim.id]) for claim in claims]
        batch.finished_at = utcnow()
        batch.save()
        done += sum(recorded)
        if any(results[c.id].unavailable for c in claims):
            log.warning("clearinghouse unavailable: the rest waits for the next run")
            break
    return done


def poll_reports():
    """Fetch one page of what the clearinghouse has for us (the next run goes on from the
    stored cursor) and apply each report once: how many were new."""
    clearinghouse = gateway()
    if clearinghouse is None:
        return 0
    cursor, _ = ClearinghouseCursor.get_or_create(name=clearinghouse.name)
    try:
        found, token = clearinghouse.poll(cursor.value)
    except ClearinghouseUnavailable as problem:
        log.warning("clearinghouse unavailable for polling: %s", problem)
        return 0
    received = 0
    for report in found:
        if stop_requested():
            return received  # the cursor stays: the next run reads the rest again
        received += reports.receive(report) is not None
    if token != cursor.value:
        cursor.value = token
        cursor.save()
    return received
