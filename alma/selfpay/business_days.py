"""Business days as the good-faith estimate rule counts them (45 CFR 149.610): Monday to
Friday, but not the US federal holidays (5 U.S.C. 6103; one on a Saturday is observed the
Friday before, one on a Sunday the Monday after)."""
import datetime

DAY = datetime.timedelta(days=1)


def _nth(year, month, weekday, n):
    """The nth `weekday` (0 Monday) of the month; n = -1 for the last."""
    if n > 0:
        first = datetime.date(year, month, 1)
        return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = datetime.date(year + month // 12, month % 12 + 1, 1) - DAY
    return last - datetime.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day):
    if day.weekday() == 5:
        return day - DAY
    if day.weekday() == 6:
        return day + DAY
    return day


def federal_holidays(year):
    """The days federal offices close in `year` (as observed)."""
    fixed = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)]
    days = {_observed(datetime.date(year, month, day)) for month, day in fixed}
    days |= {_nth(year, 1, 0, 3), _nth(year, 2, 0, 3), _nth(year, 5, 0, -1),
             _nth(year, 9, 0, 1), _nth(year, 10, 0, 2), _nth(year, 11, 3, 4)}
    # New Year's Day of the next year, on a Saturday, is observed on December 31.
    days.add(_observed(datetime.date(year + 1, 1, 1)))
    return {day for day in days if day.year == year}


def is_business_day(day):
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def add_business_days(day, count):
    """The `count`th business day after `day` (count 0: `day` itself if a business day, else
    the next one)."""
    while count == 0 and not is_business_day(day):
        day += DAY
    while count > 0:
        day += DAY
        if is_business_day(day):
            count -= 1
    return day


def previous_business_day(day):
    day -= DAY
    while not is_business_day(day):
        day -= DAY
    return day


def business_days_between(start, end):
    """Business days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += DAY
        count += is_business_day(day)
    return count


# The rule's three cases: scheduled 10+ business days ahead, 3+ ahead, or asked for.
REQUESTED, SCHEDULED = "requested", "scheduled"


def gfe_deadline(arose_on, reason, first_session_on=None):
    """The last day a good-faith estimate may be given, or None when the rule sets none.

    - asked for by the client (or the client is self-pay and no session is set yet):
      within 3 business days of `arose_on`;
    - scheduled at least 10 business days ahead: within 3 business days of scheduling;
    - scheduled at least 3 business days ahead: within 1 business day;
    - scheduled sooner: the rule sets no deadline (None).
    """
    if reason == REQUESTED or first_session_on is None:
        return add_business_days(arose_on, 3)
    ahead = business_days_between(arose_on, first_session_on)
    if ahead >= 10:
        return add_business_days(arose_on, 3)
    if ahead >= 3:
        return add_business_days(arose_on, 1)
    return None


def reminder_day(arose_on, due_on):
    """When to remind the provider: the business day before the deadline, not before the
    estimate was due to start."""
    return max(arose_on, previous_business_day(due_on))
