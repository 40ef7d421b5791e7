"""What payouts add to the billing desk's money by day (billing.events.money_moved): each
statement paid to its provider, on the day its transfer went, linking to the statement."""
import datetime

from alma.billing.events import PAYOUT, Movement, money_moved
from alma.network.models import Provider
from alma.payouts.models import PAID, PayoutStatement
from alma.templating import money


def payouts(start, end):
    low = datetime.datetime.combine(start, datetime.time())
    high = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time())
    rows = (PayoutStatement.select(PayoutStatement, Provider).join(Provider)
            .where((PayoutStatement.status == PAID) & (PayoutStatement.total_cents > 0)
                   & (PayoutStatement.paid_at >= low) & (PayoutStatement.paid_at < high))
            .order_by(PayoutStatement.paid_at, PayoutStatement.id))
    return [Movement(PAYOUT, s.paid_at.date(), s.paid_at, s.total_cents,
                     f"{money(s.total_cents)} to {s.provider.full_name} for "
                     f"{s.period_start:%b %-d}–{s.period_end:%b %-d, %Y} "
                     f"({s.gateway} {s.transfer_reference})",
                     ((f"Statement {s.id}", "payouts.team_statement", {"statement_id": s.id}),))
            for s in rows]


@money_moved.connect
def _moved(sender, start, end):
    return payouts(start, end)
