"""Benefit checks and what they mean in money: for a client checking their own plan (kept
by a random key in their browser session) and for the program's clients (kept with them).

A check that fails (timeout, payer error, unknown member) stores nothing: the person is
told plainly and may try again. Only a whole answer is stored.
"""
import datetime
import json
import secrets
from dataclasses import dataclass

from flask import current_app
from peewee import fn

from alma import audit
from alma.clock import today, utcnow
from alma.db import db
from alma.insurance import eligibility, responsibility
from alma.insurance.models import STANDARD_VISIT, EligibilityCheck, FeeSchedule
from alma.insurance.service import ProgramProblem, network_of
from alma.jobs import stop_requested

# A check is good for billing from the next business day, for this long.
CHECK_GOOD_FOR_DAYS = 30
RECHECK_AFTER_DAYS = 25


class CheckUnavailable(Exception):
    """No check could be made now; str() is a sentence for the person who asked."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def checkable(payer):
    return bool(payer.checkable_via_optum and payer.clearinghouse_payer_id)


def _ask(payer, subscriber):
    gateway = eligibility.gateway()
    if gateway is None:
        raise CheckUnavailable("Automatic benefit checks aren't switched on for this site: "
                               "call the number on the insurance card instead.")
    config = current_app.config
    try:
        return gateway.name, eligibility.check_following_carve_out(
            gateway, payer.clearinghouse_payer_id, payer.name, subscriber,
            config["GROUP_NPI"], config["GROUP_NAME"])
    except eligibility.MemberNotFound as problem:
        raise CheckUnavailable(str(problem), field="member_id") from None
    except eligibility.EligibilityUnavailable as problem:
        raise CheckUnavailable(str(problem)) from None


def _store(gateway_name, payer, benefits, keep_response=True, **owner):
    return EligibilityCheck.create(
        payer=payer, gateway=gateway_name, outcome=benefits.outcome,
        plan_name=benefits.plan_name, network=benefits.network,
        copay_cents=benefits.copay_cents, coinsurance_bp=benefits.coinsurance_bp,
        deductible_cents=benefits.deductible_cents,
        deductible_remaining_cents=benefits.deductible_remaining_cents,
        oop_max_cents=benefits.oop_max_cents, oop_remaining_cents=benefits.oop_remaining_cents,
        service_type=benefits.service_type, carve_out_name=benefits.carve_out_name,
        carve_out_payer_id=benefits.carve_out_payer_id,
        carved_out_from=benefits.carved_out_from, coverage_ends_on=benefits.coverage_ends_on,
        # A visitor is promised their name and date of birth aren't kept: the insurer's
        # answer repeats them, so only the figures read from it are stored.
        response=json.dumps(benefits.raw, default=str)[:100_000] if keep_response else "",
        **owner)


def check_for_visitor(payer, member_id, first_name, last_name, date_of_birth):
    """A client checks their own benefits; returns the stored check (with its browser key)."""
    if not checkable(payer):
        raise CheckUnavailable(f"We can't check {payer.name} plans automatically yet.",
                               field="payer")
    subscriber = eligibility.Subscriber(member_id.strip(), first_name.strip(),
                                        last_name.strip(), date_of_birth)
    gateway_name, benefits = _ask(payer, subscriber)
    with db.atomic():
        check = _store(gateway_name, payer, benefits, keep_response=False,
                       browser_key=secrets.token_urlsafe(32))
        audit.record("checked", "eligibility_check", check.id, actor_label="visitor")
        return check


def note_answers(payer, copay_cents, coinsurance_bp, deductible_remaining_cents,
                 oop_remaining_cents, in_network):
    """A client notes what their insurer told them by phone (for other payers)."""
    if copay_cents is None and coinsurance_bp is None:
        raise CheckUnavailable("Enter the copay or the coinsurance your insurer gave you.",
                               field="copay")
    with db.atomic():
        return EligibilityCheck.create(
            payer=payer, gateway="self_reported", outcome="active",
            network="Y" if in_network else "U", copay_cents=copay_cents,
            coinsurance_bp=coinsurance_bp, deductible_remaining_cents=deductible_remaining_cents,
            oop_remaining_cents=oop_remaining_cents, browser_key=secrets.token_urlsafe(32))


def check_for_program_client(program_client, actor=None):
    """Check a program client's benefits now (the provider asks, or the worker does)."""
    payer = program_client.payer
    if not checkable(payer) and payer.clearinghouse_payer_id is None:
        raise CheckUnavailable(f"{payer.name} has no clearinghouse payer ID set up.")
    subscriber = eligibility.Subscriber(program_client.member_id, program_client.first_name,
                                        program_client.last_name, program_client.date_of_birth)
    gateway_name, benefits = _ask(payer, subscriber)
    with db.atomic():
        check = _store(gateway_name, payer, benefits, program_client=program_client)
        # Fresh now: the worker's next re-check of this client is 25 days away.
        (type(program_client).update(check_claimed_at=check.checked_at)
         .where(type(program_client).id == program_client.id).execute())
        audit.record("checked", "eligibility_check", check.id, client=program_client.client_id,
                     actor=actor, actor_label=None if actor else "worker")
        return check


def for_browser(key):
    if not key:
        return None
    return EligibilityCheck.get_or_none(EligibilityCheck.browser_key == key)


def previous_business_day(day):
    day -= datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def check_for_visit(program_client, held_on):
    """The latest check that lets a visit on `held_on` be billed: made at least one business
    day before it, and not more than 30 days before. None if there is none."""
    latest_day = previous_business_day(held_on)
    earliest = held_on - datetime.timedelta(days=CHECK_GOOD_FOR_DAYS)
    return (EligibilityCheck.select()
            .where((EligibilityCheck.program_client == program_client.id)
                   & (EligibilityCheck.checked_at < datetime.datetime.combine(
                       latest_day + datetime.timedelta(days=1), datetime.time()))
                   & (EligibilityCheck.checked_at >= datetime.datetime.combine(
                       earliest, datetime.time())))
            .order_by(EligibilityCheck.checked_at.desc()).first())


def latest_checks(program_client_ids):
    """{program client id: their latest check}, in two queries whatever the number."""
    if not program_client_ids:
        return {}
    newest = (EligibilityCheck.select(fn.MAX(EligibilityCheck.id))
              .where(EligibilityCheck.program_client.in_(list(program_client_ids)))
              .group_by(EligibilityCheck.program_client))
    return {c.program_client_id: c
            for c in EligibilityCheck.select().where(EligibilityCheck.id.in_(newest))}


def allowed_cents(payer, cpt_code, on=None):
    """The group's rate for a code with the program payer whose network covers `payer`."""
    program_payer = network_of(payer)
    if program_payer is None:
        return None
    row = (FeeSchedule.select().where((FeeSchedule.payer == program_payer.id)
                                      & (FeeSchedule.cpt_code == cpt_code)
                                      & (FeeSchedule.starts_on <= (on or today())))
           .order_by(FeeSchedule.starts_on.desc()).first())
    return row.allowed_cents if row else None


@dataclass
class Estimate:
    allowed_cents: int
    share: responsibility.Share
    certainty: responsibility.Certainty

    @property
    def cents(self):
        return self.share.total_cents


def estimate(check, cpt_code=STANDARD_VISIT, on=None, rates=None):
    """What a standard visit with a group in-network provider will cost this client.

    `rates`, a dict, keeps each payer's rate for the next call (a page of many clients).
    """
    if check is None or check.outcome != "active":
        return None
    rates = {} if rates is None else rates
    if check.payer_id not in rates:
        rates[check.payer_id] = allowed_cents(check.payer, cpt_code, on)
    allowed = rates[check.payer_id]
    if allowed is None:
        return None
    return Estimate(allowed, responsibility.share(allowed, responsibility.Terms.of(check)),
                    responsibility.certainty(check))


def costs_for(check, provider_ids, on=None):
    """{provider id: Estimate} for those in network through the group with the check's payer.

    The group's rate is the same whoever the provider is, so one estimate serves them all.
    """
    from alma.network.models import NetworkParticipation

    found = estimate(check, on=on)
    if found is None or not provider_ids:
        return {}
    on = on or today()
    rows = NetworkParticipation.select(NetworkParticipation.provider).where(
        NetworkParticipation.provider.in_(list(provider_ids))
        & (NetworkParticipation.payer == check.payer_id) & (NetworkParticipation.via == "group")
        & (NetworkParticipation.starts_on <= on)
        & (NetworkParticipation.ends_on.is_null() | (NetworkParticipation.ends_on >= on)))
    return {row.provider_id: found for row in rows}


def recheck_program_clients():
    """The worker: keep every program client's check fresh, so a visit is always billable.

    A client is due when their last re-check was taken more than 25 days ago (or never).
    Each is claimed with a conditional UPDATE, committed before the clearinghouse is asked
    (no transaction is held open over the network), so several workers never pay for the
    same check. A check that fails gives the claim back, to be tried on the next run.
    """
    from alma.insurance.models import ProgramClient

    stale = utcnow() - datetime.timedelta(days=RECHECK_AFTER_DAYS)
    due = (ProgramClient.removed_at.is_null()
           & (ProgramClient.check_claimed_at.is_null()
              | (ProgramClient.check_claimed_at < stale)))
    done = 0
    for program_client_id in [row.id for row in ProgramClient.select(ProgramClient.id)
                              .where(due).order_by(ProgramClient.id)]:
        if stop_requested():
            break
        with db.atomic():
            before = ProgramClient.get_by_id(program_client_id).check_claimed_at
            won = (ProgramClient.update(check_claimed_at=utcnow())
                   .where((ProgramClient.id == program_client_id) & due).execute())
        if won != 1:
            continue
        try:
            check_for_program_client(ProgramClient.get_by_id(program_client_id))
            done += 1
        except (CheckUnavailable, ProgramProblem):
            (ProgramClient.update(check_claimed_at=before)
             .where(ProgramClient.id == program_client_id).execute())
    return done


VISITOR_CHECK_DAYS = 90


def forget_visitor_checks():
    """The worker: a visitor's check (figures only) is deleted 90 days after it was made."""
    old = utcnow() - datetime.timedelta(days=VISITOR_CHECK_DAYS)
    return (EligibilityCheck.delete()
            .where(EligibilityCheck.browser_key.is_null(False)
                   & (EligibilityCheck.checked_at < old)).execute())
