"""Refunds owed to a client that this server could not make.

When a lower share (reconcile.py) finds the client paid over, what was paid through a
gateway this server runs is refunded at once. The rest is owed but not made: paid to the
provider directly, or through a gateway this server doesn't run. The reconciliation keeps
how much (refund_owed_cents) and why, with the next step (refund_owed_reason); the billing
team sees it on /team/claims/reviews until they record how it was settled. Nothing lowers
the credit silently: the invoice stays paid, the client is told a refund is owed.
"""
from alma import audit
from alma.billing import service as billing
from alma.billing.models import Payment
from alma.claims.reconcile_models import ShareReconciliation
from alma.clock import utcnow
from alma.db import db


class SettleProblem(Exception):
    pass


def why_not_refunded(invoice):
    """Why the invoice's paid-over money can't go back from here, and what to do instead."""
    payments = Payment.select().where(Payment.invoice == invoice.id).order_by(Payment.id)
    gateways = list(dict.fromkeys(p.gateway for p in payments if billing.gateway_problem(p)))
    said = []
    if billing.DIRECT in gateways:
        provider = invoice.treating_provider
        who = provider.full_name if provider is not None else "the provider"
        said.append(f"Paid directly to the provider: ask {who} to refund the client, "
                    "then record here how it was settled.")
    others = [g for g in gateways if g != billing.DIRECT]
    if others:
        said.append(f"Paid through {', '.join(others)}, which this server doesn't run: "
                    "refund the client from that gateway's own dashboard, then record here "
                    "how it was settled.")
    return " ".join(said) or ("Could not be refunded from here: refund the client by hand, "
                              "then record here how it was settled.")


def pending():
    """Refunds owed and not settled yet, oldest first."""
    return list(ShareReconciliation.select()
                .where((ShareReconciliation.refund_owed_cents > 0)
                       & ShareReconciliation.refund_settled_at.is_null())
                .order_by(ShareReconciliation.id))


def settle(row_id, user, note):
    """Record how a refund owed was settled (once; audited)."""
    note = (note or "").strip()
    if not note:
        raise SettleProblem("Say how the client got the money back (for example, the "
                            "provider's check number, or the gateway's refund id).")
    if len(note) > 1000:
        raise SettleProblem(f"Keep the note to 1,000 characters; it has {len(note):,}.")
    with db.atomic():
        won = (ShareReconciliation.update(refund_settled_by=user, refund_settled_at=utcnow(),
                                          refund_settled_note=note)
               .where((ShareReconciliation.id == row_id)
                      & (ShareReconciliation.refund_owed_cents > 0)
                      & ShareReconciliation.refund_settled_at.is_null()).execute())
        if won != 1:
            raise SettleProblem("This refund was recorded as settled already.")
        row = ShareReconciliation.get_by_id(row_id)
        audit.record("refund_settled", "share_review", row.id,
                     client=row.claim.visit.program_client.client_id, actor=user,
                     detail=f"Refund owed of {row.refund_owed_cents} cents settled: "
                            f"{note[:500]}")
        return row
