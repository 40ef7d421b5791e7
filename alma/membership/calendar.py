"""iCalendar invitations for onboarding calls (RFC 5545, through the icalendar package).

One call keeps one UID; every change raises SEQUENCE, so calendars move or
cancel the event they already hold instead of adding another.
"""
import datetime

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from alma.membership import zones


def _calendar(method, application, slot, sequence, status):
    cal = Calendar()
    cal.add("prodid", "-//Alma//Onboarding calls//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    domain = current_app.config["BASE_URL"].split("://", 1)[-1].split("/")[0] or "alma"
    event.add("uid", f"onboarding-{application.id}@{domain}")
    event.add("sequence", sequence)
    event.add("dtstamp", datetime.datetime.now(datetime.timezone.utc))
    # In the applicant's zone (with its VTIMEZONE), so the invitation reads as their time
    # even in a calendar that shows it as written; every calendar converts it for the host.
    zone = application.zone
    event.add("dtstart", zones.local(slot.starts_at, zone))
    event.add("dtend", zones.local(slot.ends_at, zone))
    event.add("summary", f"Alma onboarding call: {application.name} and {slot.host.name}")
    event.add("description", f"{zones.stated(slot.starts_at, zone)}, 30 minutes. "
                             "A call with a community growth manager about Alma membership. "
                             "We'll call the phone number you gave, or email you a video link.")
    event.add("status", status)
    organizer = vCalAddress(f"mailto:{slot.host.email}")
    organizer.params["cn"] = vText(slot.host.name)
    event["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{application.email}")
    attendee.params["cn"] = vText(application.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical().decode()


def invitation(application, slot, sequence):
    return _calendar("REQUEST", application, slot, sequence, "CONFIRMED")


def cancellation(application, slot, sequence):
    return _calendar("CANCEL", application, slot, sequence, "CANCELLED")
