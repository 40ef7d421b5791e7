"""The sessions a provider logs for their program clients. An attended one is billed to the
insurer (insurer.py); a late cancellation or a no-show never is: if the provider's policy
has a fee for it, the provider invoices it (collected by the provider, and marked so).
"""
import datetime

from peewee import IntegrityError

from alma import audit
from alma.benefits.models import CPT_CODES
from alma.billing import service as billing
from alma.claims.insurer import CLIENT_INVOICE_DUE_DAYS, bill_insurer
from alma.claims.models import ATTENDED, LATE_CANCEL, NO_SHOW, Claim, Visit
from alma.claims.queue_models import ClaimAction, provider_words
from alma.clock import today, utcnow
from alma.db import db, is_postgres
from alma.network.models import Payer, ProgramClient
from alma.program.problems import ProgramProblem
from alma.templating import money

TIMELY_FILING_DAYS = 90


def loggable_clients(provider):
    """Clients a session may be logged for: those in the program, and those who left it in
    the last 90 days (a session held while they were in may still be billed)."""
    since = utcnow() - datetime.timedelta(days=TIMELY_FILING_DAYS)
    return list(ProgramClient.select(ProgramClient, Payer).join(Payer)
                .where((ProgramClient.provider == provider.id)
                       & (ProgramClient.removed_at.is_null()
                          | (ProgramClient.removed_at >= since)))
                .order_by(ProgramClient.last_name, ProgramClient.first_name))


def log_visit(provider, program_client, held_on, cpt_code, telehealth, attendance,
              charge_fee=True, actor=None, on=None):
    """Log a session. Attended and billable: a claim and the client's share invoiced.

    Returns the visit; `visit.billing_note` says in words what was (or wasn't) billed.
    """
    on = on or today()
    if program_client.provider_id != provider.id:
        raise ProgramProblem("Choose one of your program clients.", "client")
    if cpt_code not in CPT_CODES:
        raise ProgramProblem("Choose a service code from the list.", "cpt_code")
    if attendance not in (ATTENDED, LATE_CANCEL, NO_SHOW):
        raise ProgramProblem("Say whether the client attended.", "attendance")
    if held_on > on:
        raise ProgramProblem("Log a session once it has happened.", "held_on")
    if (on - held_on).days > TIMELY_FILING_DAYS:
        raise ProgramProblem("Insurers refuse claims for sessions more than 90 days ago.",
                             "held_on")
    if program_client.removed_at is not None and held_on >= program_client.removed_at.date():
        raise ProgramProblem(f"{program_client.name} left the program on "
                             f"{program_client.removed_at:%B %-d, %Y}: only sessions before "
                             "then are billed through Alma.", "held_on")
    logged_already = ProgramProblem("This session is logged already.", "held_on")
    with db.atomic():
        # One session at a time per client: each claim counts the deductible and
        # out-of-pocket spending of the claims before it.
        query = ProgramClient.select().where(ProgramClient.id == program_client.id)
        if is_postgres():
            query.for_update().get()
        if Visit.select().where((Visit.program_client == program_client.id)
                                & (Visit.held_on == held_on)
                                & (Visit.cpt_code == cpt_code)).exists():
            raise logged_already
        try:
            with db.atomic():
                visit = Visit.create(provider=provider, program_client=program_client,
                                     held_on=held_on, cpt_code=cpt_code,
                                     telehealth=telehealth, attendance=attendance)
        except IntegrityError:  # the same session, logged twice at once
            raise logged_already from None
        if attendance == ATTENDED:
            bill_insurer(visit, provider, program_client)
        else:
            _provider_fee(visit, provider, program_client, charge_fee)
        visit.save()
        audit.record("created", "visit", visit.id, client=program_client.client_id, actor=actor)
        return visit


def _provider_fee(visit, provider, program_client, charge_fee):
    fee = (provider.late_cancel_fee_cents if visit.attendance == LATE_CANCEL
           else provider.no_show_fee_cents)
    what = "late cancellation" if visit.attendance == LATE_CANCEL else "missed session"
    if not fee or not charge_fee:
        visit.billing_note = f"Not billed: a {what} is never billed to the insurer."
        return
    kind = "cancellation_fee" if visit.attendance == LATE_CANCEL else "missed_visit"
    invoice = billing.issue(
        kind, [(f"Fee for a {what} on {visit.held_on:%B %-d, %Y}, under "
                f"{provider.full_name}'s cancellation policy", 1, fee)],
        due_on=today() + datetime.timedelta(days=CLIENT_INVOICE_DUE_DAYS),
        owed_by_client=program_client.client, collected_by="provider",
        collecting_provider=provider, treating_provider=provider,
        email_to=program_client.client.email,
        memo=f"From {provider.full_name}'s practice, under the cancellation policy you agreed "
             "to. Your insurer is not billed for this.")
    visit.invoice = invoice
    visit.billing_note = (f"Never billed to the insurer. You invoiced your {what} fee of "
                          f"{money(fee)}; you collect it.")


def visits(provider, limit=100):
    """The provider's latest visits, each with `.claim`: its latest claim, or None, and
    `.claim_words`: what the billing team did about it, in words."""
    rows = list(Visit.select(Visit, ProgramClient).join(ProgramClient)
                .where(Visit.provider == provider.id)
                .order_by(Visit.held_on.desc(), Visit.id.desc()).limit(limit))
    latest = {}
    for claim in (Claim.select().where(Claim.visit.in_([v.id for v in rows]))
                  .order_by(Claim.id)):
        latest[claim.visit_id] = claim
    actions = {a.claim_id: a for a in ClaimAction.select().where(
        ClaimAction.claim.in_([c.id for c in latest.values()]))}
    for visit in rows:
        visit.claim = latest.get(visit.id)
        visit.claim_words = visit.claim and provider_words(visit.claim,
                                                           actions.get(visit.claim.id))
    return rows
