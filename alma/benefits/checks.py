"""Benefit checks, asked and kept: for a client checking their own plan (kept by a random
key in their browser session) and for the program's clients (kept with them).

A check that fails (timeout, payer error, unknown member) stores nothing: the person is
told plainly and may try again. Only a whole answer is stored.
"""
import datetime
import json
import secrets

from flask import current_app, session
from peewee import fn

from alma import audit
from alma.benefits import clearinghouse
from alma.benefits.eligibility import EligibilityUnavailable, MemberNotFound, Subscriber
from alma.benefits.models import EligibilityCheck
from alma.clock import utcnow
from alma.db import db
from alma.network.models import ProgramClient

# Where a visitor's own check is found again: its random key, in their browser session.
BROWSER_KEY = "benefit_check"
VISITOR_CHECK_DAYS = 90


class CheckUnavailable(Exception):
    """No check could be made now; str() is a sentence for the person who asked."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def checkable(payer):
    return bool(payer.checkable_via_optum and payer.clearinghouse_payer_id)


def _ask(payer, subscriber):
    gateway = clearinghouse.gateway()
    if gateway is None:
        raise CheckUnavailable("Automatic benefit checks aren't switched on for this site: "
                               "call the number on the insurance card instead.")
    config = current_app.config
    try:
        return gateway.name, clearinghouse.check_following_carve_out(
            gateway, payer.clearinghouse_payer_id, payer.name, subscriber,
            config["GROUP_NPI"], config["GROUP_NAME"])
    except MemberNotFound as problem:
        raise CheckUnavailable(str(problem), field="member_id") from None
    except EligibilityUnavailable as problem:
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
    subscriber = Subscriber(member_id.strip(), first_name.strip(), last_name.strip(),
                            date_of_birth)
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
    subscriber = Subscriber(program_client.member_id, program_client.first_name,
                            program_client.last_name, program_client.date_of_birth)
    gateway_name, benefits = _ask(payer, subscriber)
    with db.atomic():
        check = _store(gateway_name, payer, benefits, program_client=program_client)
        # Fresh now: the worker's next re-check of this client is 25 days away.
        (ProgramClient.update(check_claimed_at=check.checked_at)
         .where(ProgramClient.id == program_client.id).execute())
        audit.record("checked", "eligibility_check", check.id, client=program_client.client_id,
                     actor=actor, actor_label=None if actor else "worker")
        return check


def for_browser(key):
    if not key:
        return None
    return EligibilityCheck.get_or_none(EligibilityCheck.browser_key == key)


def for_this_browser():
    """The check this visitor made (kept in their session), or None."""
    return for_browser(session.get(BROWSER_KEY))


def latest_checks(program_client_ids):
    """{program client id: their latest check}, in two queries whatever the number."""
    if not program_client_ids:
        return {}
    newest = (EligibilityCheck.select(fn.MAX(EligibilityCheck.id))
              .where(EligibilityCheck.program_client.in_(list(program_client_ids)))
              .group_by(EligibilityCheck.program_client))
    return {c.program_client_id: c
            for c in EligibilityCheck.select().where(EligibilityCheck.id.in_(newest))}


def forget_visitor_checks():
    """The worker: a visitor's check (figures only) is deleted 90 days after it was made."""
    old = utcnow() - datetime.timedelta(days=VISITOR_CHECK_DAYS)
    return (EligibilityCheck.delete()
            .where(EligibilityCheck.browser_key.is_null(False)
                   & (EligibilityCheck.checked_at < old)).execute())
