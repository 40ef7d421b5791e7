"""The measured accuracy of our estimates: last full calendar quarter's reconciled claims,
shown beside estimates only when there are enough of them."""
import datetime
import re

import pytest

from alma.benefits import outcomes
from alma.benefits.outcomes import MIN_RECONCILED, EstimateOutcome
from alma.clock import today
from tests import factories
from tests.benefits.test_pages import check_form, post, text

D = datetime.date
SAID = "Our estimates were within $5 of the final bill for"


def outcome(n, on, estimated=2500, final=2500):
    payer = factories.payer("unitedhealthcare")
    return EstimateOutcome.create(claim_id=n, payer=payer, estimated_cents=estimated,
                                  final_cents=final, reconciled_on=on)


@pytest.mark.parametrize("on,quarter", [
    (D(2027, 1, 1), (D(2026, 10, 1), D(2027, 1, 1))),
    (D(2026, 12, 31), (D(2026, 7, 1), D(2026, 10, 1))),
    (D(2026, 4, 1), (D(2026, 1, 1), D(2026, 4, 1))),
    (D(2026, 3, 31), (D(2025, 10, 1), D(2026, 1, 1))),
])
def test_the_last_full_quarter(on, quarter):
    assert outcomes.last_full_quarter(on) == quarter


def test_the_figure_counts_within_five_dollars_and_needs_enough_sessions(db):
    on = D(2027, 1, 1)
    for n in range(MIN_RECONCILED - 1):  # 15 exact, 4 more than $5 off
        outcome(n, D(2026, 10, 1) + datetime.timedelta(days=n),
                final=2500 if n < 15 else 2500 + 501)
    outcome(100, D(2027, 1, 1), final=90000)  # this quarter: not counted yet
    outcome(101, D(2026, 9, 30), final=90000)  # the quarter before: not counted
    assert outcomes.accuracy(on) is None  # 19 sessions: too few to say
    outcome(19, D(2026, 12, 31), final=2500 - 500)  # exactly $5 off counts as within
    measured = outcomes.accuracy(on)
    assert (measured.percent, measured.sessions, measured.quarter) == (80, 20, "Q4 2026")


def test_a_later_correction_replaces_the_claims_outcome(db):
    payer = factories.payer("unitedhealthcare")
    outcomes.record(7, payer.id, 2500, 2500, on=D(2026, 11, 2))
    outcomes.record(7, payer.id, 2500, 9000, on=D(2026, 11, 20))
    row = EstimateOutcome.get()
    assert (row.final_cents, row.reconciled_on) == (9000, D(2026, 11, 20))


def test_it_follows_the_clock_across_a_quarter_boundary(db):
    """Run with --clock=2027-01-01 too: whatever today is, last quarter is the one that
    ended before it."""
    start, end = outcomes.last_full_quarter()
    assert end <= today() and (today() - end).days < 92 and end.day == 1
    for n in range(MIN_RECONCILED):
        outcome(n, end - datetime.timedelta(days=1 + n % 28), final=2500 + 600 * (n % 2))
    for n in range(MIN_RECONCILED):  # this quarter so far: not yet counted
        outcome(100 + n, end, final=0)
    assert outcomes.accuracy().percent == 50


def test_the_benefits_page_and_the_directory_show_it_only_with_enough_sessions(client, db):
    factories.operate_in("CA")
    inside = factories.provider(first_name="Grace", payers=("unitedhealthcare",))
    start, _ = outcomes.last_full_quarter()
    for n in range(MIN_RECONCILED - 1):
        outcome(n, start + datetime.timedelta(days=n), final=2500 + 1000 * (n < 3))
    post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    assert SAID not in text(client.get("/benefits/result"))
    outcome(99, start)
    quarter = outcomes.accuracy().quarter
    said = f"{SAID} 85% of sessions last quarter ({quarter}, 20 sessions"
    for path in ("/benefits/result", "/providers?state=CA&payment=unitedhealthcare",
                 f"/providers/{inside.slug}"):
        assert said in re.sub(r"<[^>]+>", "", text(client.get(path))), path
    post(client, "/benefits/forget", {}, "/benefits")
    assert SAID not in text(client.get(f"/providers/{inside.slug}"))
