"""The demo's people: who /dev lets you be, found again by their email addresses.

The seed (alma/demo/seed.py) makes each of them; /dev (alma/demo/views.py) lists them with
a line on what to try. Addresses are on example.com: nobody real is ever emailed.
"""
from dataclasses import dataclass

CLIENT_EMAIL = "sam.rivera@example.com"
IN_PROGRAM = "in_program"
MEMBER = "member"
# Two directory providers take these names, so /dev finds them again.
PROVIDERS = {IN_PROGRAM: ("Riley", "Okafor", "riley.okafor@example.com"),
             MEMBER: ("Dana", "Whitfield", "dana.whitfield@example.com")}


@dataclass(frozen=True)
class TeamPersona:
    key: str
    role: str
    name: str
    email: str
    lands_on: str
    try_this: str


TEAM = [
    TeamPersona("admin", "admin", "Avery Admin", "avery.admin@example.com", "/team",
                "Every team page is yours: the dashboard's numbers, states and waitlists, "
                "members, the audit trail, and inviting a team member."),
    TeamPersona("matching", "matching", "Morgan Match", "morgan.match@example.com",
                "/team/matching", "Open the waiting match request, look at the suggested "
                "therapists and propose one; another request has a proposal already."),
    TeamPersona("growth", "growth", "Gray Growth", "gray.growth@example.com",
                "/team/applications", "Applications at each stage: one waiting to book, one "
                "with a call booked on your calendar, one refused as pre-licensed, one "
                "approved. Approve the booked one, or offer more call times."),
    TeamPersona("credentialing", "credentialing", "Casey Credentials",
                "casey.credentials@example.com", "/team/credentialing",
                "Cases at several stages and ages: tick a new case's checklist, approve the "
                "old one that's past the expected time, read the denied one's reason."),
    TeamPersona("billing", "billing", "Blair Billing", "blair.billing@example.com",
                "/team/billing", "Find an invoice (paid, open or overdue), refund or credit "
                "one; the claims queue at /team/claims has a rejected and a denied claim "
                "to correct and send again, and /team/claims/reviews a client's share the "
                "plan set higher than invoiced, to approve or waive."),
]

PROVIDER_TRIES = {
    IN_PROGRAM: ("A member in the insurance program, credentialed with both payers, with "
                 "program clients: log a session (a claim and the client's share are made), "
                 "see claims paid, partly paid, denied, rejected and waiting, and the invoices."),
    MEMBER: ("A member who isn't in the insurance program: answer the consultation requests "
             "in the inbox, pay the overdue membership fee, edit the listing, or enrol in "
             "the program."),
}
CLIENT_TRY = ("A client who asked a therapist for a consultation and the matching team for "
              "help: their page lists both, with each one's status and next step; open a "
              "request to see who else could help, or withdraw it. The emails with their "
              "links are in /dev/mail.")
