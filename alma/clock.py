"""Time, in one place: stored in UTC (naive datetimes), so tests can move it."""
import datetime


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def today():
    return utcnow().date()
