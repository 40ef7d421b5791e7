"""How close our estimates came to the final bill, measured.

Claims (above benefits) write one EstimateOutcome per reconciled claim: what the client was
estimated to owe and what the plan finally said. Benefits reads them to say, beside an
estimate, "our estimates were within $5 of the final bill for N% of sessions last
quarter": only over the last full calendar quarter, and only once enough claims were
reconciled in it for the figure to mean something.
"""
import datetime
from dataclasses import dataclass

from peewee import DateField, DateTimeField, ForeignKeyField, IntegerField

from alma.clock import today, utcnow
from alma.db import BaseModel
from alma.network.models import Payer

# Fewer reconciled sessions than this in the quarter: no figure is shown.
MIN_RECONCILED = 20
WITHIN_CENTS = 500


class EstimateOutcome(BaseModel):
    # The claim's id, not a key to it: benefits is below claims and never reads claims.
    claim_id = IntegerField(unique=True)
    payer = ForeignKeyField(Payer, on_delete="RESTRICT")
    estimated_cents = IntegerField()
    final_cents = IntegerField()
    reconciled_on = DateField(index=True)
    updated_at = DateTimeField(default=utcnow)


def record(claim_id, payer_id, estimated_cents, final_cents, on=None):
    """The claim's latest outcome (a later correction replaces the earlier one)."""
    on = on or today()
    updated = (EstimateOutcome.update(estimated_cents=estimated_cents, final_cents=final_cents,
                                      reconciled_on=on, payer=payer_id, updated_at=utcnow())
               .where(EstimateOutcome.claim_id == claim_id).execute())
    if not updated:
        EstimateOutcome.create(claim_id=claim_id, payer=payer_id,
                               estimated_cents=estimated_cents, final_cents=final_cents,
                               reconciled_on=on)


def last_full_quarter(on=None):
    """(first day, day after the last) of the last calendar quarter that has ended."""
    on = on or today()
    this_quarter = datetime.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
    start = (datetime.date(this_quarter.year - 1, 10, 1) if this_quarter.month == 1
             else datetime.date(this_quarter.year, this_quarter.month - 3, 1))
    return start, this_quarter


@dataclass
class Accuracy:
    percent: int
    sessions: int
    quarter: str  # "Q3 2026"


def accuracy(on=None):
    """The measured accuracy of last quarter's estimates, or None if too few to say."""
    start, end = last_full_quarter(on)
    rows = list(EstimateOutcome.select(EstimateOutcome.estimated_cents,
                                       EstimateOutcome.final_cents)
                .where((EstimateOutcome.reconciled_on >= start)
                       & (EstimateOutcome.reconciled_on < end)).tuples())
    if len(rows) < MIN_RECONCILED:
        return None
    within = sum(abs(estimated - final) <= WITHIN_CENTS for estimated, final in rows)
    return Accuracy(percent=within * 100 // len(rows), sessions=len(rows),
                    quarter=f"Q{(start.month - 1) // 3 + 1} {start.year}")


MODELS = [EstimateOutcome]
