"""Every role's demo data, on top of the demo directory (alma/directory/demo.py).

Made through the features' own services, as people would make it, so every row is
consistent with the rest: the team (one person per role), members with their fees (paid,
open and overdue), applications at each stage and onboarding calls, consultation requests,
match requests, and the insurance program (alma/demo/program.py). Deterministic: the same
directory gives the same people. Dates are relative to the app's day (alma.clock).
"""
import datetime

from dateutil.relativedelta import relativedelta
from peewee import sort_models
from stdnum import luhn

from alma.accounts.models import User
from alma.benefits.models import FeeSchedule
from alma.billing import overdue
from alma.billing import service as billing
from alma.billing.models import Invoice
from alma.clock import today, utcnow
from alma.consultations import service as consultations
from alma.db import db
from alma.demo import program
from alma.demo.people import CLIENT_EMAIL, IN_PROGRAM, MEMBER, PROVIDERS, TEAM
from alma.directory import service as directory
from alma.directory.demo import OPERATING_STATES
from alma.geo import ZipCode
from alma.mail.models import QUEUED, SENT, OutboundEmail
from alma.matching import service as matching
from alma.membership import fees
from alma.membership import service as joining
from alma.membership.models import Membership
from alma.network.models import (Language, License, Modality, Payer, Provider, ServiceState,
                                 Specialty)
from alma.payouts.models import PayRate
from alma.selfpay import service as selfpay
from alma.selfpay.models import SelfPayClient

DAY = datetime.timedelta(days=1)
# What the migrations put in the database: kept when the demo is made again.
REFERENCE = {FeeSchedule, ZipCode, Language, Modality, Payer, ServiceState, Specialty, PayRate}


def clear(models):
    """Delete every row of `models` (alma.models.ALL_MODELS) but the reference data, each
    table after those that refer to it: the demo is made again from nothing."""
    with db.atomic():
        for model in reversed(sort_models(models)):
            if model in REFERENCE:
                continue
            for field in model._meta.refs:
                if field.rel_model is model:  # a row referring to another of its table
                    model.update({field: None}).execute()
            model.delete().execute()


class DemoProblem(Exception):
    pass


def seed(on=None):
    """Add the team, members, applications, requests and the program; returns counts."""
    on = on or today()
    chosen = _pick_providers(8, on)
    if len(chosen) < 8:
        raise DemoProblem("The demo of every role needs 8 listed, accepting providers with a "
                          "full licence; seed a larger directory (--providers 100 or more).")
    team = _team()
    personas = {key: _become(chosen.pop(0), *PROVIDERS[key]) for key in (IN_PROGRAM, MEMBER)}
    with db.atomic():
        _member(personas[IN_PROGRAM], on, months=4, leave_unpaid=0, starts_days_ago=3)
        _member(personas[MEMBER], on, months=3, leave_unpaid=1, starts_days_ago=10)
        for provider in chosen:
            _member(provider, on, months=2, leave_unpaid=1, starts_days_ago=4)
    counts = program.seed(personas[IN_PROGRAM], chosen[:4], team["credentialing"], on)
    with db.atomic():
        counts["applications"] = _applications(team["growth"], on)
        counts["consultations"] = _consultations(personas)
        counts["matches"] = _matches(chosen[4], team["matching"])
        counts["good_faith_estimates"] = _self_pay(personas[MEMBER], on)
    directory.reindex([p.id for p in [*personas.values(), *chosen]], on=on)
    _caught_up(on)
    counts["team"] = len(team)
    counts["members"] = Membership.select().count()
    return counts


def _caught_up(on):
    """`make run` starts the worker as soon as the demo is made: what the demo's day calls
    for (a fee period begun today, a reminder due) is done already, and the emails the
    demo's history wrote count as sent (they are at /dev/mail). So the first start prints
    no backlog of emails and bills nobody before anyone has done anything."""
    with db.atomic():
        fees.invoice_fees(on)
        fees.chase_unpaid(on)
        overdue.run(on)
        OutboundEmail.update(status=SENT, sent_at=OutboundEmail.created_at).where(
            OutboundEmail.status == QUEUED).execute()


# --- The team -----------------------------------------------------------------------------

def _team():
    """One person per role; they sign in from /dev (no password is set)."""
    made = {}
    for persona in TEAM:
        user = User.get_or_none(User.email == persona.email) or User.create(
            email=persona.email, name=persona.name, roles=persona.role)
        made[persona.key] = user
    return made


# --- Members ------------------------------------------------------------------------------

def _pick_providers(count, on):
    """Listed, accepting directory providers with one full licence in an operating state."""
    picked = []
    query = (Provider.select(Provider).join(License)
             .where((Provider.membership_status == "active") & ~Provider.listing_hidden
                    & Provider.accepting_new_clients & Provider.cash_rate_cents.is_null(False)
                    & (License.level == "full") & ~License.under_supervision
                    & (License.expires_on > on + datetime.timedelta(days=365))
                    & License.state.in_(OPERATING_STATES)
                    & (License.state == Provider.office_state))
             .order_by(Provider.id).limit(count * 3))
    for provider in query:
        if provider.id not in {p.id for p in picked}:
            picked.append(provider)
        if len(picked) == count:
            break
    return picked


def _become(provider, first, last, email):
    """A directory provider takes a persona's name and address, so /dev finds them."""
    provider.first_name, provider.last_name, provider.email = first, last, email
    provider.slug = f"{first}-{last}-{provider.id}".lower()
    provider.save()
    return provider


def _member(provider, on, months, leave_unpaid, starts_days_ago):
    """A member with an account, billed monthly for `months`, the last `leave_unpaid` not
    paid: the latest fee began `starts_days_ago` (open, or overdue once 7 days have passed)."""
    User.get_or_none(User.provider == provider.id) or User.create(
        email=provider.email, name=provider.full_name, provider=provider)
    latest = on - datetime.timedelta(days=starts_days_ago)
    first = latest - relativedelta(months=months - 1)
    fees.start(provider, on=first)
    for n in range(months):
        fees.invoice_fees(on=first + relativedelta(months=n))
    invoices = list(Invoice.select().where((Invoice.owed_by_provider == provider.id)
                                           & (Invoice.kind == fees.FEE))
                    .order_by(Invoice.period_start))
    # Issued today, for periods that began in the past: dated as the worker would have
    # issued them, on the day each period began (else "due Dec 2, issued Dec 5").
    Invoice.update(issued_on=Invoice.period_start).where(
        Invoice.id.in_([invoice.id for invoice in invoices])).execute()
    for invoice in invoices[:len(invoices) - leave_unpaid]:
        billing.record_payment(invoice, billing.amounts(invoice).due, "local",
                               f"demo-fee-{invoice.id}")


# --- Applications and onboarding calls ---------------------------------------------------------

def _license(state, kind, level, n):
    return joining.LicenseAnswer(state=state, license_type=kind, number=f"{kind}-{state}-9{n:05d}",
                                 level=level, under_supervision=False, supervisor_name="",
                                 supervisor_license="")


APPLICANTS = [
    # name, state, licence type, level, what happens
    ("Noor Haddad", "CA", "LMFT", "full", "waiting"),
    ("Theo Lindqvist", "NY", "LCSW", "full", "booked"),
    ("Priya Raman", "TX", "LPC-Associate", "pre_licensed", "refused"),
    ("Marcus Bell", "WA", "LMHC", "full", "approved"),
]


def _applications(growth, on):
    # Calls on the next business days at 10:00 and 14:00 Eastern (15:00, 19:00 UTC).
    day, starts = on + DAY, []
    while len(starts) < 6:
        if day.weekday() < 5:
            starts += [datetime.datetime.combine(day, datetime.time(h)) for h in (15, 19)]
        day += DAY
    joining.publish_slots(growth, starts)
    for n, (name, state, kind, level, fate) in enumerate(APPLICANTS):
        email = name.lower().replace(" ", ".") + "@example.com"
        application, _ = joining.apply(
            name, email, "(555) 010-77%02d" % n, _application_npi(n), "woman" if n % 2 == 0
            else "man", f"{name.split()[1]} Counseling", None, state,
            "A small private practice; I'd like help filling my caseload.",
            fate != "refused", [_license(state, kind, level, n)], f"demo-application-{n}")
        if fate == "booked":
            slot = joining.open_slots(utcnow()).first()
            joining.book(application, slot.id)
        elif fate == "approved":
            expiries = {lic.id: on + datetime.timedelta(days=700) for lic in application.licenses}
            joining.approve(application, expiries, growth)
    return len(APPLICANTS)


def _application_npi(n):
    first_nine = f"19{n:07d}"
    return first_nine + luhn.calc_check_digit("80840" + first_nine)


# --- Clients asking ----------------------------------------------------------------------------

REQUESTERS = [
    ("Jamie Chen", "jamie.chen@example.com", "Work stress and trouble sleeping."),
    ("Alex Moreno", "alex.moreno@example.com", "Grief after losing my father this spring."),
    ("Taylor Brooks", "taylor.brooks@example.com", "Panic attacks on my commute."),
]


def _ask(provider, name, email, concerns, key):
    payer = Payer.get_or_none(Payer.slug == "aetna")
    sub = consultations.Submission(
        name=name, email=email, phone="", state=provider.office_state, payer=payer,
        member_id="", self_pay=payer is None, concerns=concerns, preferred_format="telehealth",
        availability="Weekday evenings", submission_key=key)
    request, _ = consultations.submit(provider, sub)
    return request


def _consultations(personas):
    member, in_program = personas[MEMBER], personas[IN_PROGRAM]
    made = [_ask(member, "Sam Rivera", CLIENT_EMAIL,
                 "Anxiety that's getting in the way at work; I'd like weekly sessions.",
                 "demo-consultation-client")]
    for n, (name, email, concerns) in enumerate(REQUESTERS):
        made.append(_ask(member if n < 2 else in_program, name, email, concerns,
                         f"demo-consultation-{n}"))
    consultations.accept(made[1])
    return len(made)


def _self_pay(provider, on):
    """A client who pays the member themselves: accepted, given a good-faith estimate, two
    sessions logged (one paid). The member's practice details are filled in for it."""
    selfpay.save_details(provider, {
        "tax_id": "12-3456789", "street": "200 Main St", "city": provider.office_city or "",
        "state": provider.office_state, "zip": provider.office_zip or "00000",
        "phone": "(555) 010-0200"})
    request = _ask(provider, "Robin Self", "robin.self@example.com",
                   "I'd like to work on burnout; I'll pay myself.", "demo-self-pay")
    request.self_pay, request.payer = True, None
    request.save()
    consultations.accept(request)
    spc = SelfPayClient.get(SelfPayClient.consultation_id == request.id)
    spc.date_of_birth, spc.diagnosis_codes = datetime.date(1988, 5, 14), "F43.8"
    spc.street, spc.city = "9 Oak Ave", provider.office_city or ""
    spc.state, spc.zip = provider.office_state, provider.office_zip or "00000"
    spc.save()
    rate = provider.cash_rate_cents
    selfpay.issue_estimate(spc, {
        "primary_service": "Individual psychotherapy (talk therapy), about weekly",
        "first_code": "90791", "code": "90837", "sessions": 12, "months": 3,
        "period_start": on - 14 * DAY, "rate_cents": rate, "diagnosis_codes": "F43.8"},
        "demo-self-pay-estimate")
    first = selfpay.log_session(spc, {
        "held_on": on - 14 * DAY, "cpt_code": "90791", "place_of_service": "10",
        "fee_cents": rate, "diagnosis_codes": ""}, "demo-self-pay-session-1")
    selfpay.log_session(spc, {
        "held_on": on - 7 * DAY, "cpt_code": "90837", "place_of_service": "10",
        "fee_cents": rate, "diagnosis_codes": ""}, "demo-self-pay-session-2")
    selfpay.record_payment(first, rate, on - 14 * DAY, "card", "demo-self-pay-payment-1")
    return 1


def _matches(provider, team_member):
    specialty = Specialty.select().order_by(Specialty.id).first()
    made = []
    for n, (name, email, state, concerns) in enumerate([
            ("Sam Rivera", CLIENT_EMAIL, provider.office_state,
             "Looking for someone in network who works with anxiety."),
            ("Robin Park", "robin.park@example.com", provider.office_state,
             "Couples counselling, evenings only."),
    ]):
        needs = matching.Needs(
            name=name, email=email, phone="", state=state, payer=None, plan="",
            self_pay=True, budget_cents=15000, concerns=concerns, specialty=specialty,
            gender="", language=None, preferred_format="either", modality=None,
            availability="Evenings", zip_code="", submission_key=f"demo-match-{n}")
        made.append(matching.ask_to_be_matched(needs)[0])
    matching.propose(made[1], provider, "Licensed in your state, has evening times and "
                     "works with couples.", actor=team_member)
    return len(made)
