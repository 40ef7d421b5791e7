"""A provider's sessions and income month by month, the last 12 months, for the charts on
/practice/payouts. Counted by the database, a row per day at most.

Income is what is the provider's, by the month it became theirs:
- what Alma pays them: their payout lines (sessions paid, balances taken off or added back,
  payments taken back), by the day each became due, on a statement paid or still to pay;
- what is due on their next statement (the running period's items, not on a statement
  yet), by the day each became due, apart: a payout the page says is coming is never a
  chart that says "nothing yet";
- the fees they collect themselves (late cancellations, missed sessions) that they marked
  paid, by the day of the payment, less any refund of it.
"""
import datetime

from peewee import fn

from alma import charts
from alma.billing.models import Invoice, Payment, Refund
from alma.charts import as_date, month_of, months_back
from alma.claims.models import ATTENDANCE, Visit
from alma.clock import today
from alma.payouts.models import PayoutLine, PayoutStatement
from alma.templating import money

INCOME_SERIES = (("alma", "Paid by Alma (payout lines)"),
                 ("coming", "Due on your next statement"),
                 ("direct", "Fees you collected yourself"))


def _window(on, months):
    firsts = months_back(on, months)
    last = firsts[-1]
    end = datetime.date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return firsts, firsts[0], end


def _fold(firsts, rows):
    """[(day, count or cents)] into one number per month."""
    index = {first: i for i, first in enumerate(firsts)}
    totals = [0] * len(firsts)
    for when, value in rows:
        totals[index[month_of(as_date(when))]] += value or 0
    return totals


def sessions(provider_id, on=None, months=12):
    """Returns (1sts of months, [(attendance label, [sessions per month])])."""
    firsts, start, end = _window(on or today(), months)
    rows = (Visit.select(Visit.held_on, Visit.attendance, fn.COUNT(Visit.id))
            .where((Visit.provider == provider_id) & (Visit.held_on >= start)
                   & (Visit.held_on < end))
            .group_by(Visit.held_on, Visit.attendance).tuples())
    by_kind = {kind: [] for kind in ATTENDANCE}
    for held_on, kind, count in rows:
        by_kind.setdefault(kind, []).append((held_on, count))
    return firsts, [(ATTENDANCE.get(kind, kind), _fold(firsts, found))
                    for kind, found in by_kind.items()]


def income(provider_id, on=None, months=12, due=()):
    """Returns (1sts of months, {"alma": [cents per month], "coming": [...], "direct": [...]}).
    `due`: the items of the provider's next statement (statements.coming)."""
    firsts, start, end = _window(on or today(), months)
    low = datetime.datetime.combine(start, datetime.time())
    high = datetime.datetime.combine(end, datetime.time())
    line_day = fn.DATE(PayoutLine.happened_at)
    lines = (PayoutLine.select(line_day, fn.SUM(PayoutLine.amount_cents)).join(PayoutStatement)
             .where((PayoutStatement.provider == provider_id)
                    & (PayoutLine.happened_at >= low) & (PayoutLine.happened_at < high))
             .group_by(line_day).tuples())
    own = ((Invoice.collected_by == "provider") & (Invoice.collecting_provider == provider_id))
    paid_day = fn.DATE(Payment.created_at)
    paid = (Payment.select(paid_day, fn.SUM(Payment.amount_cents)).join(Invoice)
            .where(own & (Payment.created_at >= low) & (Payment.created_at < high))
            .group_by(paid_day).tuples())
    refund_day = fn.DATE(Refund.created_at)
    refunded = (Refund.select(refund_day, fn.SUM(Refund.amount_cents) * -1).join(Payment)
                .join(Invoice)
                .where(own & (Refund.created_at >= low) & (Refund.created_at < high))
                .group_by(refund_day).tuples())
    coming = [(item.happened_at, item.amount_cents) for item in due
              if low <= item.happened_at < high]
    return firsts, {"alma": _fold(firsts, lines), "coming": _fold(firsts, coming),
                    "direct": _fold(firsts, list(paid) + list(refunded))}


def pictures(provider_id, on=None, months=12, due=()):
    """The two charts of a provider's payouts page; `due` as for income."""
    on = on or today()
    firsts, counted = sessions(provider_id, on, months)
    short = [f"{first:%b}" for first in firsts]
    full = [f"{first:%b %Y}" for first in firsts]
    logged = charts.bars(
        "Sessions you logged, by month",
        f"Sessions you logged for program clients, by the month they were held, the last "
        f"{months} months, by attendance. Sessions a month:", short, counted,
        table_labels=full, axis="Month", chart_id="chart-sessions")
    firsts, cents = income(provider_id, on, months, due)
    earned = charts.bars(
        "Your income through Alma, by month",
        f"The last {months} months: what Alma pays you (your payout lines, by the day each "
        "became due, paid or still to be paid, and what is due on your next statement) and "
        "the cancellation and missed-session fees "
        "you collect yourself and marked paid (less refunds). In all a month:",
        short, [(name, cents[key]) for key, name in INCOME_SERIES], fmt=money,
        short=charts.short_money,
        table_labels=full, axis="Month", chart_id="chart-income",
        caption="Payout lines count in the month they became due, whenever their statement "
                "is paid; a payment an insurer takes back counts against its month. Money "
                "your clients pay you outside Alma is not here.")
    return {"sessions": logged, "income": earned}
