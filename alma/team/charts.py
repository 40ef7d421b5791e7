"""The pictures on the team dashboard: consultation requests answered on time, matches
proposed within target (both the last 12 weeks), credentialing cases in review by age."""
from flask import current_app

from alma import charts
from alma.clock import utcnow
from alma.consultations import answer_times
from alma.matching import on_target
from alma.program import case_ages

WEEKS = 12


def _week_labels(mondays):
    short = [f"{m:%b} {m.day}" for m in mondays]
    full = [f"{m:%b} {m.day}, {m.year}" for m in mondays]
    return short, full


def answered_on_time(now):
    mondays, counts = answer_times.on_time_by_week(now, WEEKS)
    short, full = _week_labels(mondays)
    series = [(name, counts[key]) for key, name in answer_times.ON_TIME_SERIES]
    return charts.bars(
        "Consultation requests answered on time, by week",
        f"Requests asked each week of the last {WEEKS} (Monday to Sunday, UTC), by whether "
        "the provider answered within the 2 days we ask of them. Totals a week:",
        short, series, table_labels=full, axis="Week of", chart_id="chart-answers",
        caption="Counted in the week the request was sent. Requests for a state Alma "
                "doesn't serve yet, and those the client withdrew, are not counted.")


def matches_on_target(now):
    mondays, counts, closed = on_target.by_week(now, WEEKS)
    short, full = _week_labels(mondays)
    series = [(name, counts[key]) for key, name in on_target.SERIES]
    days = current_app.config["MATCH_TARGET_BUSINESS_DAYS"]
    target = "one business day" if days == 1 else f"{days} business days"
    return charts.bars(
        "Matches proposed within target, by week",
        f"Match requests that came in each week of the last {WEEKS} (UTC), by whether the "
        f"team proposed a provider within its target of {target}. Totals a week:",
        short, series, table_labels=full, axis="Week of", chart_id="chart-matches",
        caption="Counted in the week the request came in. Requests withdrawn or closed "
                f"before any proposal are not counted ({closed} in these weeks).")


def credentialing_ages(now):
    bands, payers = case_ages.by_age(now.date())
    return charts.bars(
        "Credentialing cases in review, by days open",
        "Cases still in review with each payer, by how many days since they were opened. "
        "Cases in each band:", bands, payers, axis="Days open", chart_id="chart-cases",
        caption="Credentialing takes about "
                f"{current_app.config['CREDENTIALING_EXPECTED_DAYS']} days from submission.")


def dashboard(now=None):
    now = now or utcnow()
    return {"answers": answered_on_time(now), "matches": matches_on_target(now),
            "cases": credentialing_ages(now)}
