"""What claims add to the billing desk's money by day (billing.events.money_moved): each
insurer's remittance received (the 835's BPR02, on its payment date, BPR16; the day it was
posted when the 835 gives none), each claim payment an insurer took back (a reversal, CLP02
22: a recoupment), and each claim the billing team wrote off in the /team/claims queue.
Every movement links to what caused it: the remittance, the claim."""
import datetime

from alma.billing.events import RECOUPMENT, REMITTANCE, WRITE_OFF, Movement, money_moved
from alma.claims.models import Claim
from alma.claims.posting import payer_spelled
from alma.claims.queue_models import WRITTEN_OFF, ClaimAction
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.templating import money

REVERSAL = "22"


def _bounds(start, end):
    return (datetime.datetime.combine(start, datetime.time()),
            datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time()))


def _in_days(start, end):
    """Remittances counted on these days: by payment date, or posted then if none."""
    low, high = _bounds(start, end)
    return (Remittance.paid_on.between(start, end)
            | (Remittance.paid_on.is_null() & (Remittance.posted_at >= low)
               & (Remittance.posted_at < high)))


def _day(remittance):
    return remittance.paid_on or remittance.posted_at.date()


def _remittance_link(remittance):
    return (f"Remittance {remittance.trace_number}", "payouts.team_remittance",
            {"remittance_id": remittance.id})


def _claim_link(claim_id, pcn):
    return (f"Claim {pcn}", "claims_queue.claim_page", {"claim_id": claim_id})


def remittances(start, end):
    return [Movement(REMITTANCE, _day(r), r.posted_at, r.paid_cents,
                     f"{payer_spelled(r.payer_name, 'An insurer')} paid {money(r.paid_cents)} "
                     f"({r.method}, trace {r.trace_number})", (_remittance_link(r),))
            for r in Remittance.select().where(_in_days(start, end))
            .order_by(Remittance.posted_at, Remittance.id)]


def recoupments(start, end):
    rows = (ClaimPayment.select(ClaimPayment, Remittance).join(Remittance)
            .where(_in_days(start, end) & (ClaimPayment.status_code == REVERSAL)
                   & (ClaimPayment.paid_cents < 0))
            .order_by(Remittance.posted_at, ClaimPayment.id))
    return [Movement(RECOUPMENT, _day(p.remittance), p.remittance.posted_at, -p.paid_cents,
                     f"{payer_spelled(p.remittance.payer_name)} took back "
                     f"{money(-p.paid_cents)} paid on claim {p.patient_control_number} "
                     f"(insurer's claim {p.payer_claim_number or 'number not given'})",
                     (_claim_link(p.claim_id, p.patient_control_number),
                      _remittance_link(p.remittance)))
            for p in rows]


def write_offs(start, end):
    low, high = _bounds(start, end)
    rows = (ClaimAction.select(ClaimAction, Claim).join(Claim, on=ClaimAction.claim == Claim.id)
            .where((ClaimAction.kind == WRITTEN_OFF) & (ClaimAction.written_off_cents > 0)
                   & (ClaimAction.made_at >= low) & (ClaimAction.made_at < high))
            .order_by(ClaimAction.made_at, ClaimAction.id))
    return [Movement(WRITE_OFF, a.made_at.date(), a.made_at, a.written_off_cents,
                     f"Claim {a.claim.patient_control_number} written off: {a.reason}",
                     (_claim_link(a.claim_id, a.claim.patient_control_number),))
            for a in rows]


@money_moved.connect
def _moved(sender, start, end):
    return remittances(start, end) + recoupments(start, end) + write_offs(start, end)
