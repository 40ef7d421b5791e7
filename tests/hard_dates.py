"""The hard days CI runs the date-sensitive tests on: the next Dec 31, the next other 31st
and the next Feb 29, each in the future (a browser drops a cookie that expired, and the
test clock writes expiry dates from the moved day).

    python tests/hard_dates.py      -> 2026-12-31 2027-01-31 2028-02-29
"""
import calendar
import datetime


def hard_dates(after):
    day = after + datetime.timedelta(days=1)
    found = {}
    while len(found) < 3:
        if day.month == 12 and day.day == 31:
            found.setdefault("dec31", day)
        elif day.day == 31:
            found.setdefault("31st", day)
        elif day.month == 2 and day.day == 29 and calendar.isleap(day.year):
            found.setdefault("feb29", day)
        day += datetime.timedelta(days=1)
    return sorted(found.values())


if __name__ == "__main__":
    print(" ".join(day.isoformat() for day in hard_dates(datetime.date.today())))
