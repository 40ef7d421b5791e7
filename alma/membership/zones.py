"""Onboarding calls in the time people live by: each time shown in a named US zone, stated
("Tuesday 9 Dec, 10:00 Pacific time (PT)"), never in UTC alone.

Times are stored in UTC (naive, as everywhere in Alma). An applicant's zone is the one they
chose when booking, else their practice state's (most of the state's people live in it); a
team member's is the one they set on their availability page, else Eastern.
"""
import datetime
from zoneinfo import ZoneInfo

ZONES = {
    "America/New_York": "Eastern time (ET)",
    "America/Chicago": "Central time (CT)",
    "America/Denver": "Mountain time (MT)",
    "America/Phoenix": "Arizona time (MST)",
    "America/Los_Angeles": "Pacific time (PT)",
    "America/Anchorage": "Alaska time (AKT)",
    "Pacific/Honolulu": "Hawaii time (HT)",
    "America/Puerto_Rico": "Atlantic time (AT)",
}
DEFAULT = "America/New_York"

_BY_ZONE = {
    "America/New_York": "CT DE DC FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC VT VA WV",
    "America/Chicago": "AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI",
    "America/Denver": "CO ID MT NM UT WY",
    "America/Phoenix": "AZ",
    "America/Los_Angeles": "CA NV OR WA",
    "America/Anchorage": "AK",
    "Pacific/Honolulu": "HI",
    "America/Puerto_Rico": "PR VI",
}
STATE_ZONES = {state: zone for zone, states in _BY_ZONE.items() for state in states.split()}


def valid(zone):
    """The zone if it is one we offer, else None (what a form or a query string sent)."""
    return zone if zone in ZONES else None


def for_state(state):
    return STATE_ZONES.get((state or "").upper(), DEFAULT)


def local(moment, zone):
    """A stored (naive UTC) moment in a zone, aware."""
    return moment.replace(tzinfo=datetime.timezone.utc).astimezone(ZoneInfo(valid(zone)
                                                                            or DEFAULT))


def to_utc(wall_clock, zone):
    """A naive wall-clock time in a zone (as typed in a form) as a naive UTC moment."""
    aware = wall_clock.replace(tzinfo=ZoneInfo(valid(zone) or DEFAULT))
    return aware.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def abbreviation(zone):
    """"PT" for Pacific time."""
    return ZONES[valid(zone) or DEFAULT].rsplit("(", 1)[1].rstrip(")")


def stated(moment, zone, day=True, short=False):
    """"Tuesday 9 Dec, 10:00 Pacific time (PT)"; without the day "10:00 Pacific time (PT)";
    short (an email's subject) "Tue 9 Dec, 10:00 PT"."""
    zone = valid(zone) or DEFAULT
    there = local(moment, zone)
    clock = f"{there:%H:%M} {abbreviation(zone) if short else ZONES[zone]}"
    if not day:
        return clock
    weekday = there.strftime("%a" if short else "%A")
    return f"{weekday} {there.day} {there:%b}, {clock}"
