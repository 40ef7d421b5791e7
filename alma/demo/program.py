"""The insurance program's demo: a credentialed member with clients, sessions and claims in
every state, and other members' credentialing cases at several stages and ages.

Claims go the real way: a session logged (alma/claims/sessions.py) makes the claim and the
client's share, the submit job sends it to the sandbox clearinghouse, and polling reads its
999, 277CA and 835 back (alma/claims/jobs.py). The sandbox answers by member ID
(alma/benefits/sandbox.py), so each client's ID chooses their claims' fate.
"""
import datetime

from flask import current_app

from alma.benefits import checks
from alma.benefits.models import EligibilityCheck
from alma.billing import service as billing
from alma.claims import jobs, sessions
from alma.claims.clearinghouse import local_sandbox
from alma.claims.models import Claim
from alma.network.models import NetworkParticipation, Payer, ProgramClient
from alma.program import clients, credentialing, enrolment

DAY = datetime.timedelta(days=1)
COPAY = "ALMA-ACTIVE-COPAY"
# first name, last name, member ID (the sandbox's scenario), diagnosis
CLIENTS = [
    ("Jordan", "Ellison", COPAY, "F41.1"),
    # The plan decides 30% coinsurance, not the copay: a higher share for the billing team
    # to review (approve or waive) at /team/claims/reviews.
    ("Casey", "Nguyen", f"{COPAY}-COINSURANCE", "F32.1"),
    ("Morgan", "Patel", f"{COPAY}-PARTLY", "F43.10"),
    ("Drew", "Okonkwo", f"{COPAY}-DENIED", "F41.1"),
    ("Quinn", "Alvarez", f"{COPAY}-REJECTED", "F33.0"),
]
# Sessions held this many days ago; claims older than SENT_BEFORE are sent and answered in
# full, those older than ACKNOWLEDGED_BEFORE only acknowledged; the newest wait to be sent.
HELD_DAYS_AGO = (38, 17, 4)
SENT_BEFORE = 30
ACKNOWLEDGED_BEFORE = 10


def seed(member, others, credentialing_user, on):
    """`member` credentialed with every program payer and seeing clients; `others` (four)
    at other stages of credentialing. Returns counts."""
    _credentialed(member, credentialing_user, on)
    _credentialing_stages(others, credentialing_user, on)
    clients.set_fees(member, 7500, 10000)
    program_clients = [_move_in(member, row, n, on) for n, row in enumerate(CLIENTS)]
    box = local_sandbox(current_app)
    box.reset()  # ids start again with a new seed: the sandbox mustn't answer old claims
    # (older than, at most, sent, polls): answered in full, acknowledged, waiting to be sent.
    for low, high, send, polls in ((SENT_BEFORE, None, True, 2),
                                   (ACKNOWLEDGED_BEFORE, SENT_BEFORE, True, 1),
                                   (0, ACKNOWLEDGED_BEFORE, False, 0)):
        for client in program_clients:
            for days in HELD_DAYS_AGO:
                if low < days and (high is None or days <= high):
                    _session(member, client, on - datetime.timedelta(days=days), on)
        if send:
            jobs.submit_claims()
        for _ in range(polls):
            jobs.poll_reports()
    # A no-show, billed by the provider under their cancellation policy.
    sessions.log_visit(member, program_clients[0], on - 2 * DAY, "90834", True, "no_show",
                       on=on)
    _pay_some_shares(member)
    return {"program_clients": len(program_clients),
            "claims": Claim.select().count()}


def _enrol(provider, on):
    # The directory's made-up network memberships give way to the group's contracts.
    NetworkParticipation.delete().where(NetworkParticipation.provider == provider.id).execute()
    return enrolment.enroll(provider, caqh_id=f"{14000000 + provider.id}",
                            caqh_attested_on=on - 20 * DAY, malpractice_carrier="CPH & Associates",
                            malpractice_expires_on=on + 300 * DAY, attested=True, on=on)


def _tick(case, actor, fields, notes=""):
    return credentialing.update_checklist(case, set(fields), notes, actor)


def _credentialed(member, actor, on):
    opened = on - 85 * DAY
    for case in _enrol(member, opened).cases:
        credentialing.approve(_tick(case, actor, credentialing.CHECKLIST), opened + 5 * DAY,
                              actor, on=opened + 5 * DAY)


def _credentialing_stages(providers, actor, on):
    new, half, old, denied = providers
    _enrol(new, on - 2 * DAY)
    for case in _enrol(half, on - 21 * DAY).cases:
        _tick(case, actor, ["licence_verified", "npi_verified"],
              "CAQH attestation pending: asked the provider to re-attest.")
    first, *rest = _enrol(old, on - 60 * DAY).cases
    credentialing.approve(_tick(first, actor, credentialing.CHECKLIST), on - 14 * DAY, actor,
                          on=on)
    for case in rest:
        _tick(case, actor, ["licence_verified", "npi_verified", "caqh_verified"],
              "Waiting on the payer's answer; followed up by phone.")
    first, *rest = _enrol(denied, on - 35 * DAY).cases
    credentialing.deny(first, "The payer's panel is closed in this county for this licence "
                       "type; we'll apply again when it reopens.", actor)


def _move_in(member, row, n, on):
    first, last, member_id, diagnosis = row
    values = dict(first_name=first, last_name=last,
                  email=f"{first}.{last}@example.com".lower(),
                  date_of_birth=datetime.date(1980 + 3 * n, 1 + n, 10 + n), gender="U",
                  member_id=member_id, payer=Payer.get(Payer.slug == "unitedhealthcare"),
                  address=f"{12 + n} Elm St", city=member.office_city or "Springfield",
                  state=member.office_state, zip=member.office_zip or "10001",
                  diagnosis_code=diagnosis)
    return clients.move_in(member, values, False, on=on - 70 * DAY)


def _session(member, program_client, held_on, on):
    """Check benefits as the worker would have, five days before the session, then log it."""
    check = checks.check_for_program_client(program_client)
    checked_at = datetime.datetime.combine(held_on - 5 * DAY, datetime.time(14))
    EligibilityCheck.update(checked_at=checked_at).where(
        EligibilityCheck.id == check.id).execute()
    ProgramClient.update(check_claimed_at=checked_at).where(
        ProgramClient.id == program_client.id).execute()
    return sessions.log_visit(member, program_client, held_on, "90834", held_on.day % 3 != 0,
                              "attended", on=on)


def _pay_some_shares(member):
    """Clients paid the shares of the oldest sessions; the newer ones are still open."""
    shares = [claim.visit.invoice for claim in Claim.select().order_by(Claim.id)
              if claim.visit.invoice_id and claim.visit.provider_id == member.id]
    for invoice in shares[: len(shares) // 2]:
        due = billing.amounts(invoice).due
        if due > 0:
            billing.record_payment(invoice, due, "local", f"demo-share-{invoice.id}")
