"""Payout periods: the 1st to the 15th and the 16th to the month's end, each paid the day
after it ends."""
import calendar
import datetime


def period_of(day):
    """(first day, last day) of the half-month holding `day`."""
    if day.day <= 15:
        return day.replace(day=1), day.replace(day=15)
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=16), day.replace(day=last)


def last_ended_period(on):
    """The period that ended most recently before `on`."""
    start, _ = period_of(on)
    return period_of(start - datetime.timedelta(days=1))


def pay_day(period_end):
    """When a period's statement is made and sent: the day after it ends."""
    return period_end + datetime.timedelta(days=1)


def end_moment(period_end):
    """The first moment after the period: what was posted before it belongs to it."""
    return datetime.datetime.combine(period_end + datetime.timedelta(days=1), datetime.time())
