"""The insurance program's rules: who may enrol, credentialing with each program payer,
approval into the group's networks, and opting out with 30 days' notice.

Under the group contract, in-network status belongs to the group's Tax ID: an approved
case creates a group `NetworkParticipation` for every payer the program payer's network
covers (Optum's covers UnitedHealthcare, Oxford and Oscar), and opting out ends them.
"""
import datetime

from flask import current_app
from peewee import IntegrityError

from alma import audit
from alma.clock import today, utcnow
from alma.db import db
from alma.directory import service as directory
from alma.insurance.models import (ACTIVE, APPROVED, CREDENTIALING, DENIED, ENDED, LEAVING,
                                   SUBMITTED, WITHDRAWN, CredentialingCase, InsuranceEnrollment,
                                   ProgramClient)
from alma.mail import service as mail
from alma.network.models import License, NetworkParticipation, Payer, Provider
from alma.web import absolute_url

NOTICE_DAYS = 30
MAX_EFFECTIVE_AHEAD_DAYS = 180
CAQH_ATTESTATION_DAYS = 120
# The payers whose members a program payer's network covers (slugs).
NETWORKS = {"optum": ("optum", "unitedhealthcare", "oxford", "oscar"), "aetna": ("aetna",)}
CHECKLIST = {
    "licence_verified": "Licence verified with the state board",
    "npi_verified": "NPI matches the NPPES registry",
    "caqh_verified": "CAQH profile complete and attested within 120 days",
    "malpractice_verified": "Malpractice cover in force",
}


class ProgramProblem(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def program_payers():
    slugs = current_app.config["PROGRAM_PAYERS"]
    found = {p.slug: p for p in Payer.select().where(Payer.slug.in_(slugs))}
    return [found[s] for s in slugs if s in found]


def network_of(payer):
    """The program payer whose network covers `payer` (Optum for Oxford), or None."""
    for program_payer in program_payers():
        if payer.slug in NETWORKS.get(program_payer.slug, (program_payer.slug,)):
            return program_payer
    return None


def covered_payers(program_payer):
    return list(Payer.select().where(
        Payer.slug.in_(NETWORKS.get(program_payer.slug, (program_payer.slug,)))))


def open_enrollment(provider):
    return InsuranceEnrollment.get_or_none(InsuranceEnrollment.open_for == provider.id)


def full_licences(provider, on=None):
    on = on or today()
    return [lic for lic in License.select().where(License.provider == provider.id)
            if lic.level == "full" and lic.expires_on >= on]


def eligibility(provider, on=None):
    """(may enrol, why not) in words the provider reads."""
    if provider.membership_status == "left":
        return False, "The insurance program is for members of the network."
    if full_licences(provider, on):
        return True, ""
    levels = {lic.level for lic in License.select().where(License.provider == provider.id)}
    if "limited" in levels:
        return False, ("The insurance program needs a full licence. A limited licence "
                       "can't be credentialed under the group's contracts; you can enrol "
                       "as soon as you hold a full one.")
    return False, ("The insurance program needs a full, current licence. Yours is "
                   "pre-licensed or expired; update your licence and enrol then.")


def enroll(provider, caqh_id, caqh_attested_on, malpractice_carrier, malpractice_expires_on,
           attested, individually_with=(), on=None):
    """Enrol: one credentialing case per program payer, under the group's Tax ID."""
    on = on or today()
    may, why = eligibility(provider, on)
    if not may:
        raise ProgramProblem(why)
    if open_enrollment(provider) is not None:
        raise ProgramProblem("You're already enrolled in the insurance program.")
    caqh_id = (caqh_id or "").strip()
    if not (caqh_id.isascii() and caqh_id.isdigit() and 5 <= len(caqh_id) <= 10):
        raise ProgramProblem("Enter your CAQH ProView ID: 5 to 10 digits.", "caqh_id")
    if caqh_attested_on > on:
        raise ProgramProblem("The attestation date can't be in the future.", "caqh_attested_on")
    if (on - caqh_attested_on).days > CAQH_ATTESTATION_DAYS:
        raise ProgramProblem("CAQH asks you to re-attest every 120 days; yours is older. "
                             "Re-attest in ProView, then enter the new date.",
                             "caqh_attested_on")
    if not (malpractice_carrier or "").strip():
        raise ProgramProblem("Enter your malpractice insurance carrier.", "malpractice_carrier")
    if malpractice_expires_on <= on:
        raise ProgramProblem("Your malpractice cover must be in force: enter a date after "
                             "today.", "malpractice_expires_on")
    if not attested:
        raise ProgramProblem("Please confirm the attestation to enrol.", "attest")
    try:
        return _enroll(provider, caqh_id, caqh_attested_on, malpractice_carrier,
                       malpractice_expires_on, individually_with, on)
    except IntegrityError:  # enrolled twice at once: one open enrolment is kept
        raise ProgramProblem("You're already enrolled in the insurance program.") from None


def _enroll(provider, caqh_id, caqh_attested_on, malpractice_carrier, malpractice_expires_on,
            individually_with, on):
    payers = program_payers()
    individually = set(individually_with)
    with db.atomic():
        enrollment = InsuranceEnrollment.create(
            provider=provider, open_for=provider.id, caqh_id=caqh_id,
            caqh_attested_on=caqh_attested_on, malpractice_carrier=malpractice_carrier.strip(),
            malpractice_expires_on=malpractice_expires_on, attestation_signed_at=utcnow())
        for payer in payers:
            already = NetworkParticipation.select().where(
                (NetworkParticipation.provider == provider.id)
                & (NetworkParticipation.via == "individual")
                & NetworkParticipation.payer.in_([p.id for p in covered_payers(payer)])
                & ((NetworkParticipation.ends_on.is_null())
                   | (NetworkParticipation.ends_on >= on))).exists()
            CredentialingCase.create(enrollment=enrollment, payer=payer, opened_on=on,
                                     previously_individual=already or payer.slug in individually)
        mail.queue("program_enrolled", provider.email,
                   dedupe_key=f"enrollment:{enrollment.id}:enrolled", provider=provider,
                   payers=[p.name for p in payers], expected_days=expected_days(),
                   url=absolute_url("insurance.program"))
        return enrollment


def expected_days():
    return current_app.config["CREDENTIALING_EXPECTED_DAYS"]


def case_age(case, on=None):
    return ((on or today()) - case.opened_on).days


def update_checklist(case, ticked, notes, actor):
    if case.status != SUBMITTED:
        raise ProgramProblem("This case is decided already.")
    with db.atomic():
        for field in CHECKLIST:
            setattr(case, field, field in ticked)
        case.notes = notes.strip()
        case.save()
        audit.record("updated", "credentialing_case", case.id, actor=actor)
    return case


def approve(case, effective_on, actor, on=None):
    """The payer accepted the provider under the group's Tax ID from `effective_on`."""
    on = on or today()
    if case.status != SUBMITTED:
        raise ProgramProblem("Only a case in review can be approved.")
    missing = [label for field, label in CHECKLIST.items() if not getattr(case, field)]
    if missing:
        raise ProgramProblem("Before approving, check: " + "; ".join(missing) + ".")
    enrollment = case.enrollment
    if enrollment.status not in (CREDENTIALING, ACTIVE):
        raise ProgramProblem("The provider has given notice; this case can't be approved.")
    if effective_on < on - datetime.timedelta(days=90):
        raise ProgramProblem("The effective date is more than 90 days ago.", "effective_on")
    if effective_on > on + datetime.timedelta(days=MAX_EFFECTIVE_AHEAD_DAYS):
        raise ProgramProblem("Payers make an approval effective within months, not years: "
                             "check the date in the payer's letter.", "effective_on")
    with db.atomic():
        won = (CredentialingCase.update(status=APPROVED, effective_on=effective_on,
                                        decided_at=utcnow(), decided_by=actor)
               .where((CredentialingCase.id == case.id)
                      & (CredentialingCase.status == SUBMITTED)).execute())
        if won != 1:
            raise ProgramProblem("Someone else decided this case a moment ago.")
        provider = enrollment.provider
        for payer in covered_payers(case.payer):
            NetworkParticipation.create(provider=provider, payer=payer, via="group",
                                        starts_on=effective_on)
        InsuranceEnrollment.update(status=ACTIVE).where(
            (InsuranceEnrollment.id == enrollment.id)
            & (InsuranceEnrollment.status == CREDENTIALING)).execute()
        directory.reindex([provider.id], on=on)
        audit.record("approved", "credentialing_case", case.id, actor=actor)
        mail.queue("credentialing_approved", provider.email,
                   dedupe_key=f"case:{case.id}:approved", provider=provider, payer=case.payer,
                   covered=[p.name for p in covered_payers(case.payer)],
                   effective_on=effective_on, url=absolute_url("insurance.program"))
    return CredentialingCase.get_by_id(case.id)


def deny(case, reason, actor):
    if case.status != SUBMITTED:
        raise ProgramProblem("Only a case in review can be denied.")
    if not reason.strip():
        raise ProgramProblem("Say why, in words the provider will read.", "reason")
    with db.atomic():
        won = (CredentialingCase.update(status=DENIED, decided_at=utcnow(), decided_by=actor,
                                        notes=reason.strip())
               .where((CredentialingCase.id == case.id)
                      & (CredentialingCase.status == SUBMITTED)).execute())
        if won != 1:
            raise ProgramProblem("Someone else decided this case a moment ago.")
        audit.record("denied", "credentialing_case", case.id, actor=actor)
        provider = case.enrollment.provider
        mail.queue("credentialing_denied", provider.email, dedupe_key=f"case:{case.id}:denied",
                   provider=provider, payer=case.payer, reason=reason.strip(),
                   url=absolute_url("insurance.program"))
    return CredentialingCase.get_by_id(case.id)


def notice_takes_effect(on=None):
    """Notice given today takes effect 30 days later: out of network from that day."""
    return (on or today()) + datetime.timedelta(days=NOTICE_DAYS)


def give_notice(provider, on=None):
    """Opt out with 30 days' notice. Nothing changes until the date it takes effect."""
    on = on or today()
    enrollment = open_enrollment(provider)
    if enrollment is None:
        raise ProgramProblem("You aren't in the insurance program.")
    if enrollment.status == LEAVING:
        raise ProgramProblem(f"You've given notice already: you leave the program on "
                             f"{enrollment.ends_on:%B %-d, %Y}.")
    ends_on = notice_takes_effect(on)
    with db.atomic():
        won = (InsuranceEnrollment.update(status=LEAVING, notice_given_at=utcnow(),
                                          ends_on=ends_on)
               .where((InsuranceEnrollment.id == enrollment.id)
                      & (InsuranceEnrollment.status.in_([CREDENTIALING, ACTIVE])))
               .execute())
        if won != 1:
            raise ProgramProblem("You've given notice already.")
        # Payers still reviewing are told to stop: nothing new starts in the notice period.
        (CredentialingCase.update(status=WITHDRAWN, decided_at=utcnow())
         .where((CredentialingCase.enrollment == enrollment.id)
                & (CredentialingCase.status == SUBMITTED)).execute())
        mail.queue("program_notice", provider.email,
                   dedupe_key=f"enrollment:{enrollment.id}:notice", provider=provider,
                   ends_on=ends_on, url=absolute_url("insurance.program"))
    return InsuranceEnrollment.get_by_id(enrollment.id)


def end_opted_out(on=None):
    """The worker: on the day notice takes effect, group networks end, everyone is told."""
    from alma.jobs import claim_each

    on = on or today()
    due = ((InsuranceEnrollment.status == LEAVING) & (InsuranceEnrollment.ends_on <= on))

    def end(enrollment):
        _end(enrollment, enrollment.ends_on, on, reason="notice")

    return claim_each(InsuranceEnrollment, due,
                      {InsuranceEnrollment.status: ENDED, InsuranceEnrollment.open_for: None,
                       InsuranceEnrollment.ended_at: utcnow()}, end)


def _end(enrollment, out_from, on, reason):
    """Group participations end the day before `out_from`; provider and clients are told."""
    provider = Provider.get_by_id(enrollment.provider_id)
    last_day = out_from - datetime.timedelta(days=1)
    (NetworkParticipation.update(ends_on=last_day)
     .where((NetworkParticipation.provider == provider.id)
            & (NetworkParticipation.via == "group")
            & ((NetworkParticipation.ends_on.is_null())
               | (NetworkParticipation.ends_on > last_day))).execute())
    (CredentialingCase.update(status=WITHDRAWN, decided_at=utcnow())
     .where((CredentialingCase.enrollment == enrollment.id)
            & (CredentialingCase.status == SUBMITTED)).execute())
    directory.reindex([provider.id], on=on)
    # Each payer the provider had their own contract with, and every payer it covers.
    kept = sorted({payer.name for case in enrollment.cases if case.previously_individual
                   for payer in covered_payers(case.payer)})
    if reason == "notice":
        mail.queue("program_ended", provider.email,
                   dedupe_key=f"enrollment:{enrollment.id}:ended", provider=provider,
                   out_from=out_from, kept=kept, url=absolute_url("insurance.program"))
    clients = ProgramClient.select().where((ProgramClient.provider == provider.id)
                                           & ProgramClient.removed_at.is_null())
    for program_client in clients:
        mail.queue("program_ended_client", program_client.client.email,
                   dedupe_key=f"enrollment:{enrollment.id}:client:{program_client.id}",
                   program_client=program_client, provider=provider, out_from=out_from,
                   keeps_network=program_client.payer.name in kept
                   or _individually_in_network(provider, program_client.payer, out_from))
    (ProgramClient.update(removed_at=utcnow())
     .where((ProgramClient.provider == provider.id) & ProgramClient.removed_at.is_null())
     .execute())


def _individually_in_network(provider, payer, on):
    return NetworkParticipation.select().where(
        (NetworkParticipation.provider == provider.id) & (NetworkParticipation.payer == payer.id)
        & (NetworkParticipation.via == "individual") & (NetworkParticipation.starts_on <= on)
        & ((NetworkParticipation.ends_on.is_null())
           | (NetworkParticipation.ends_on >= on))).exists()


def end_on_leaving_network(provider, on):
    """A member who leaves the network leaves the program the same day (no notice needed)."""
    enrollment = open_enrollment(provider)
    if enrollment is None:
        return
    won = (InsuranceEnrollment.update(status=ENDED, open_for=None, ended_at=utcnow(),
                                      ends_on=on)
           .where(InsuranceEnrollment.id == enrollment.id).execute())
    if won == 1:  # in network through the day they leave, as leaving.leave has it
        _end(enrollment, on + datetime.timedelta(days=1), on, reason="left_network")


def in_network_via_group(provider, payer, on=None):
    on = on or today()
    return NetworkParticipation.select().where(
        (NetworkParticipation.provider == provider.id) & (NetworkParticipation.payer == payer.id)
        & (NetworkParticipation.via == "group") & (NetworkParticipation.starts_on <= on)
        & ((NetworkParticipation.ends_on.is_null())
           | (NetworkParticipation.ends_on >= on))).exists()


def approved_payers(provider, on=None):
    """The payers whose members this provider may see in the program today."""
    on = on or today()
    rows = (Payer.select().join(NetworkParticipation, on=(NetworkParticipation.payer == Payer.id))
            .where((NetworkParticipation.provider == provider.id)
                   & (NetworkParticipation.via == "group")
                   & (NetworkParticipation.starts_on <= on)
                   & ((NetworkParticipation.ends_on.is_null())
                      | (NetworkParticipation.ends_on >= on)))
            .order_by(Payer.name).distinct())
    return list(rows)
