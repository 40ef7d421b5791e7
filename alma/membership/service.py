"""Joining: who may, the onboarding call, and approval into a draft listing.

The rules (alma-faq.txt): members must be licensed to practise; licensed
providers practising under supervision are welcome; pre-licensed providers
(accruing supervised hours) are not, yet; the insurance program needs a full
licence, so a limited licence may join without it.
"""
import datetime
from dataclasses import dataclass

from peewee import IntegrityError
from stdnum import luhn

from alma.accounts import links
from alma.accounts import service as accounts
from alma.accounts.models import User
from alma.clock import utcnow
from alma.db import db
from alma.directory import service as directory
from alma.mail import service as mail
from alma.membership import calendar, fees, zones
from alma.membership.models import (APPLIED, APPROVED, CALL_BOOKED, REFUSED, REJECTED,
                                    ApplicationLicense, MembershipApplication, OnboardingSlot)
from alma.network.models import License, Provider
from alma.web import absolute_url

APPLICANT_LINK = "applicant"
APPLICANT_LINK_TTL = datetime.timedelta(days=30)
CALL_MINUTES = 30


class ApplicationProblem(Exception):
    pass


@dataclass
class Eligibility:
    may_join: bool
    may_join_insurance: bool
    explanation: str


def eligibility(licenses):
    """What the rules say for these licences (objects with .level and .under_supervision)."""
    levels = {lic.level for lic in licenses}
    if "full" in levels:
        supervised = all(lic.under_supervision for lic in licenses if lic.level == "full")
        return Eligibility(True, True, (
            "You can join: you're licensed to practise"
            + (", and practising under supervision is welcome (we can't help find a "
               "supervisor yet, and your supervisor doesn't need to join)" if supervised else "")
            + ". The next step is a call with one of our community growth managers."))
    if "limited" in levels:
        return Eligibility(True, False, (
            "You can join with a limited licence. The insurance program needs a full licence, "
            "so it won't be open to you until you hold one; everything else is. The next step "
            "is a call with one of our community growth managers."))
    return Eligibility(False, False, (
        "Thank you for wanting to join. Membership needs a licence to practise, and "
        "pre-licensed providers who are logging supervised hours don't qualify yet. We've kept "
        "your application, and our growth team will reach out once you're licensed. We're "
        "rooting for you."))


def npi_is_valid(npi):
    return len(npi) == 10 and npi.isascii() and npi.isdigit() and npi[0] in "12" and luhn.is_valid("80840" + npi)


@dataclass
class LicenseAnswer:
    state: str
    license_type: str
    number: str
    level: str
    under_supervision: bool
    supervisor_name: str
    supervisor_license: str


def apply(name, email, phone, npi, gender, practice_name, practice_city, practice_state, about,
          wants_insurance, licenses, submission_key):
    """Record an application and answer it at once; returns (application, created)."""
    existing = MembershipApplication.get_or_none(
        MembershipApplication.submission_key == submission_key)
    if existing is not None:
        return existing, False
    verdict = eligibility(licenses)
    try:
        with db.atomic():
            application = MembershipApplication.create(
                name=name, email=email.strip().lower(), phone=phone or None, npi=npi,
                gender=gender,
                practice_name=practice_name or None, practice_city=practice_city or None,
                practice_state=practice_state, about_practice=about or "",
                wants_insurance=wants_insurance, status=APPLIED if verdict.may_join else REFUSED,
                may_join=verdict.may_join, may_join_insurance=verdict.may_join_insurance,
                decision=verdict.explanation, submission_key=submission_key)
            for lic in licenses:
                ApplicationLicense.create(application=application, **lic.__dict__)
            mail.queue("application_received", application.email,
                       dedupe_key=f"application:{application.id}:received",
                       application=application,
                       url=applicant_url(application) if verdict.may_join else None)
            return application, True
    except IntegrityError:
        return MembershipApplication.get(
            MembershipApplication.submission_key == submission_key), False


def applicant_url(application):
    """A fresh single-use link to the application: every email about the call carries one."""
    token = links.create(APPLICANT_LINK, application.id, APPLICANT_LINK_TTL)
    return absolute_url("membership.applicant_link", token=token)


def email_new_link(email):
    """A fresh link, by email, to each application still in progress under `email`; nothing
    (and no sign of it to whoever asked) for an address we don't know."""
    email = email.strip().lower()
    for application in MembershipApplication.select().where(
            (MembershipApplication.email == email)
            & MembershipApplication.status.in_([APPLIED, CALL_BOOKED])):
        mail.queue("applicant_link", email, application=application,
                   url=applicant_url(application), days=APPLICANT_LINK_TTL.days)


# --- Onboarding calls ---------------------------------------------------------------------

def publish_slots(host, starts, minutes=CALL_MINUTES):
    """A growth team member offers times; a time they offer already is left as it is."""
    made = 0
    for start in starts:
        try:
            with db.atomic():
                OnboardingSlot.create(host=host, starts_at=start,
                                      ends_at=start + datetime.timedelta(minutes=minutes))
                made += 1
        except IntegrityError:
            continue
    return made


def open_slots(now=None):
    now = now or utcnow()
    return (OnboardingSlot.select(OnboardingSlot, User).join(User)
            .where(OnboardingSlot.application.is_null() & (OnboardingSlot.starts_at > now))
            .order_by(OnboardingSlot.starts_at))


def booked_slot(application):
    return OnboardingSlot.get_or_none(OnboardingSlot.application == application.id)


def book(application, slot_id, time_zone=None):
    """Take a time (or move to it); both sides get a calendar invitation. `time_zone`: the
    one the applicant chose to see times in (zones.py), kept for every email after."""
    if application.status not in (APPLIED, CALL_BOOKED):
        raise ApplicationProblem("This application isn't waiting for a call.")
    with db.atomic():
        if zones.valid(time_zone) and time_zone != application.time_zone:
            application.time_zone = time_zone
            application.save()
        previous = booked_slot(application)
        if previous is not None and previous.id == slot_id:
            return previous
        if previous is not None:
            # Freed first (one call per application); undone if the new time is taken.
            OnboardingSlot.update(application=None, booked_at=None).where(
                OnboardingSlot.id == previous.id).execute()
        won = (OnboardingSlot.update(application=application.id, booked_at=utcnow())
               .where((OnboardingSlot.id == slot_id) & OnboardingSlot.application.is_null()
                      & (OnboardingSlot.starts_at > utcnow()))
               .execute())
        if won != 1:
            raise ApplicationProblem("Someone just took that time. Please choose another.")
        application.status = CALL_BOOKED
        application.save()
        slot = OnboardingSlot.get_by_id(slot_id)
        sequence = _next_sequence(application)
        if previous is not None and previous.host_id != slot.host_id:
            # The call left this host's calendar for another's.
            mail.queue("call_cancelled_host", previous.host.email, application=application,
                       slot=previous, ics=calendar.cancellation(application, previous, sequence))
        url = applicant_url(application)
        for to, template in ((application.email, "call_booked"),
                             (slot.host.email, "call_booked_host")):
            mail.queue(template, to, application=application, slot=slot,
                       moved=previous is not None, url=url,
                       ics=calendar.invitation(application, slot, sequence))
        return slot


def cancel_call(application):
    with db.atomic():
        slot = booked_slot(application)
        if slot is None:
            raise ApplicationProblem("There's no call to cancel.")
        OnboardingSlot.update(application=None, booked_at=None).where(
            OnboardingSlot.id == slot.id).execute()
        application.status = APPLIED
        application.save()
        sequence = _next_sequence(application)
        url = applicant_url(application)
        for to, template in ((application.email, "call_cancelled"),
                             (slot.host.email, "call_cancelled_host")):
            mail.queue(template, to, application=application, slot=slot, url=url,
                       ics=calendar.cancellation(application, slot, sequence))


def _next_sequence(application):
    # Each change to the invitation needs a higher SEQUENCE for calendars to follow it.
    application.calendar_sequence += 1
    application.save()
    return application.calendar_sequence


# --- The growth team's decision --------------------------------------------------------------

def approve(application, expiries, actor):
    """Make the provider (with a draft, hidden listing) and email them a link to set a password.

    `expiries` maps each ApplicationLicense id to the expiry date the team verified.
    """
    if application.status not in (APPLIED, CALL_BOOKED):
        raise ApplicationProblem("This application was decided already.")
    if not application.may_join:
        raise ApplicationProblem("The rules don't allow this application to join.")
    licenses = list(application.licenses)
    if any(lic.id not in expiries or expiries[lic.id] is None for lic in licenses):
        raise ApplicationProblem("Enter each licence's expiry date, as verified: a date like "
                                 "2027-06-30, within the next ten years.")
    with db.atomic():
        if Provider.select().where((Provider.email == application.email)
                                   | (Provider.npi == application.npi)).exists():
            raise ApplicationProblem("A provider with this email or NPI exists already.")
        first, _, last = application.name.partition(" ")
        provider = Provider.create(
            slug=f"pending-{application.id}", first_name=first, last_name=last or first,
            email=application.email, phone=application.phone, npi=application.npi,
            gender=application.gender, office_state=application.practice_state,
            office_city=application.practice_city, listing_hidden=True,
            accepting_new_clients=False, membership_status="active")
        provider.slug = _slug(provider)
        provider.save()
        for lic in licenses:
            License.create(provider=provider, state=lic.state, license_type=lic.license_type,
                           number=lic.number, level=lic.level,
                           under_supervision=lic.under_supervision,
                           supervisor_name=lic.supervisor_name,
                           supervisor_license=lic.supervisor_license, expires_on=expiries[lic.id])
        user = User.get_or_none(User.email == application.email) or User.create(
            email=application.email, name=application.name)
        user.provider = provider
        user.save()
        application.status, application.provider = APPROVED, provider
        application.decided_at, application.decided_by = utcnow(), actor
        application.save()
        fees.start(provider)
        accounts.send_welcome(user, "welcome_member", application=application)
        directory.reindex([provider.id])
        return provider


def _slug(provider):
    base = "-".join(part for part in f"{provider.first_name} {provider.last_name}".lower()
                    .replace("'", "").split() if part)
    return "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in base) + f"-{provider.id}"


def reject(application, reason, actor):
    if application.status not in (APPLIED, CALL_BOOKED):
        raise ApplicationProblem("This application was decided already.")
    with db.atomic():
        slot = booked_slot(application)
        if slot is not None:
            OnboardingSlot.update(application=None, booked_at=None).where(
                OnboardingSlot.id == slot.id).execute()
        application.status, application.decided_at, application.decided_by = \
            REJECTED, utcnow(), actor
        application.notes = (application.notes + "\n" if application.notes else "") + \
            f"Not approved: {reason}"
        application.save()
        ics = None
        if slot is not None:  # the call is off: take it out of both calendars
            ics = calendar.cancellation(application, slot, _next_sequence(application))
            mail.queue("call_cancelled_host", slot.host.email, application=application,
                       slot=slot, declined=True, ics=ics)
        mail.queue("application_rejected", application.email,
                   dedupe_key=f"application:{application.id}:rejected",
                   application=application, reason=reason, ics=ics)
