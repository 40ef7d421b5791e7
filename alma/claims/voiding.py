"""Taking back a session logged by mistake (a no-show that wasn't, the wrong date or code),
before its claim has gone to the insurer: its invoice is cancelled with a credit note (the
client is sent it, unless the invoice's own email hadn't gone out yet), and the slot is free
to log the real session. The audit trail keeps what was voided and why.
"""
from alma import audit
from alma.billing import adjustments
from alma.billing import service as billing
from alma.claims.models import READY, Claim, Visit
from alma.db import db, is_postgres
from alma.mail import service as mail
from alma.network.models import ProgramClient
from alma.program.problems import ProgramProblem
from alma.templating import money


class NotFound(ProgramProblem):
    pass


def voidable(visit, claims):
    """None if the visit may be voided, else why not (in words for the provider)."""
    if any(claim.status != READY for claim in claims):
        return "Its claim has gone to the insurer: ask the billing team to void the claim."
    if claims and Claim.select().join(Visit).where(
            (Visit.program_client == visit.program_client_id) & (Visit.id != visit.id)
            & (Visit.logged_at > visit.logged_at)).exists():
        return ("A later session's claim counted this one's share of the deductible: ask the "
                "billing team to correct them.")
    return None


def void_visit(provider, visit_id, actor=None, why=None):
    """Void one of the provider's sessions not yet claimed. Returns the words to show.

    `why`, the provider's own words, goes to the audit trail only (never to the client)."""
    with db.atomic():
        visit = Visit.get_or_none((Visit.id == visit_id) & (Visit.provider == provider.id))
        if visit is None:
            raise NotFound("There is no such session among yours.")
        # One change to a client's sessions at a time (as log_visit).
        query = ProgramClient.select().where(ProgramClient.id == visit.program_client_id)
        if is_postgres():
            query.for_update().get()
        claims = list(Claim.select().where(Claim.visit == visit.id))
        problem = voidable(visit, claims)
        if problem:
            raise ProgramProblem(f"This session can't be voided. {problem}")
        what = (f"{visit.attendance_label.lower()} on {visit.held_on:%B %-d, %Y} "
                f"({visit.cpt_code})")
        reason = f"Session logged in error by the provider and voided: {what}."
        cancelled = _cancel_invoice(visit, reason, actor) if visit.invoice_id else ""
        deleted = Claim.delete().where((Claim.visit == visit.id)
                                       & (Claim.status == READY)).execute()
        if deleted != len(claims):  # sent to the insurer a moment ago
            raise ProgramProblem("This session can't be voided: its claim was just sent.")
        visit.delete_instance()
        audit.record("voided", "visit", visit.id, client=visit.program_client.client_id,
                     actor=actor, detail=f"{reason}{cancelled} Claims withdrawn: {deleted}."
                     + (f" The provider said: {why}" if why else ""))
        return f"Session voided: the {what}.{cancelled}"


def _cancel_invoice(visit, reason, actor):
    invoice = billing.locked(visit.invoice_id)
    amounts = billing.amounts(invoice)
    if amounts.net_paid > 0:
        raise ProgramProblem(
            f"This session can't be voided: {money(amounts.net_paid)} has been paid on its "
            f"invoice {invoice.number}. Ask the billing team to refund it first.")
    if amounts.due <= 0:
        return ""
    if mail.withdraw(f"invoice:{invoice.id}:issued"):
        # The client was never sent it: cancelled quietly, still with a credit note.
        billing.credit(invoice, amounts.due, reason)
        return f" Its invoice {invoice.number} was cancelled before it was emailed."
    adjustments.credit(invoice.id, amounts.due, reason, actor, f"void-invoice-{invoice.id:08d}")
    return (f" Its invoice {invoice.number} was cancelled with a credit note of "
            f"{money(amounts.due)}, emailed to the client.")
