"""Enrolling in the insurance program: who may, and what a complete file is. Enrolling
opens one credentialing case per program payer, under the group's Tax ID (the cases are
worked in credentialing.py; leaving is opting_out.py).
"""
from peewee import IntegrityError

from alma.clock import today, utcnow
from alma.db import db
from alma.mail import service as mail
from alma.network.group import covered_payers, program_payers
from alma.network.models import License, NetworkParticipation
from alma.program.credentialing import expected_days
from alma.program.models import CredentialingCase, InsuranceEnrollment
from alma.program.problems import ProgramProblem
from alma.web import absolute_url

CAQH_ATTESTATION_DAYS = 120


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
                   url=absolute_url("program.page"))
        return enrollment
