"""Credentialing: the team works each payer's case through a checklist, then approves it
with the payer's effective date or denies it, saying why.

An approved case puts the provider in network through the group for every payer the
program payer's network covers (Optum's covers UnitedHealthcare, Oxford and Oscar).
"""
import datetime

from flask import current_app

from alma import audit
from alma.clock import today, utcnow
from alma.db import db
from alma.directory import service as directory
from alma.mail import service as mail
from alma.network.group import covered_payers
from alma.network.models import NetworkParticipation
from alma.program.models import (ACTIVE, APPROVED, CREDENTIALING, DENIED, SUBMITTED,
                                 CredentialingCase, InsuranceEnrollment)
from alma.program.problems import ProgramProblem
from alma.web import absolute_url

MAX_EFFECTIVE_AHEAD_DAYS = 180
CHECKLIST = {
    "licence_verified": "Licence verified with the state board",
    "npi_verified": "NPI matches the NPPES registry",
    "caqh_verified": "CAQH profile complete and attested within 120 days",
    "malpractice_verified": "Malpractice cover in force",
}


def expected_days():
    """How long credentialing usually takes, as the provider is told (days)."""
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
                   effective_on=effective_on, url=absolute_url("program.page"))
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
                   url=absolute_url("program.page"))
    return CredentialingCase.get_by_id(case.id)
