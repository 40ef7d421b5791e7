"""Matches proposed within the team's target, week by week, for the team dashboard's chart.

A match request's `due_at` is its target (MATCH_TARGET_BUSINESS_DAYS business days after it
came in); the first proposal made for it is on target when made by then.
"""
import datetime

from peewee import JOIN, SQL, Case, fn

from alma.charts import as_date, week_of, weeks_back
from alma.clock import utcnow
from alma.matching.models import OPEN, MatchProposal, MatchRequest

SERIES = (("within", "Proposed within target"), ("late", "Proposed late"),
          ("overdue", "No proposal, past target"), ("waiting", "No proposal, not yet due"))


def by_week(now=None, weeks=12):
    """Match requests that came in each week (Monday to Sunday, UTC), the last `weeks` weeks,
    by when their first proposal came. Those withdrawn or closed before any proposal are
    not counted (nobody could be proposed to them); `closed` says how many there were.

    Returns (Mondays, {series key: [count per week]}, closed), counted by the database by day.
    """
    now = now or utcnow()
    mondays = weeks_back(now.date(), weeks)
    start = datetime.datetime.combine(mondays[0], datetime.time())
    first = (MatchProposal.select(MatchProposal.match, fn.MIN(MatchProposal.created_at)
                                  .alias("first_at"))
             .group_by(MatchProposal.match).alias("first"))
    first_at = first.c.first_at
    kind = Case(None, [
        (first_at.is_null(False) & (first_at <= MatchRequest.due_at), "within"),
        (first_at.is_null(False), "late"),
        (MatchRequest.status != OPEN, "closed"),
        (MatchRequest.due_at < now, "overdue"),
    ], "waiting")
    day = fn.DATE(MatchRequest.created_at)
    rows = (MatchRequest.select(day, kind, fn.COUNT(MatchRequest.id))
            .join(first, JOIN.LEFT_OUTER, on=(first.c.match_id == MatchRequest.id))
            .where((MatchRequest.created_at >= start) & (MatchRequest.created_at <= now))
            .group_by(day, SQL("2")).tuples())
    counts = {key: [0] * weeks for key, _ in SERIES}
    counts["closed"] = [0] * weeks
    index = {monday: i for i, monday in enumerate(mondays)}
    for when, key, count in rows:
        counts[key][index[week_of(as_date(when))]] += count
    closed = counts.pop("closed")
    return mondays, counts, sum(closed)
