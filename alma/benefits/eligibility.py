"""What a benefit check asks and what its answer means: the words every part shares.

A check is an X12 270 request and its 271 answer (005010X279A1), carried as JSON the way
Optum/Change Healthcare's eligibility API and Stedi's compatible one carry it (DOMAIN.md,
"Eligibility"). Three modules make one:

- clearinghouse.py sends the 270 (`build_request`) through a gateway: HttpClearinghouse, a
  real clearinghouse at ALMA_ELIGIBILITY_URL, or SandboxClearinghouse, the local one of
  sandbox.py, which answers documented test members and never asks an insurer. It also
  follows a carve-out to the company that holds the mental-health benefits.
- response.py reads the 271 (`parse_response`, `interpret`): a real clearinghouse's answer
  and the sandbox's go through the same reading.
- this module: a Subscriber asked about, the Benefits read, and the ways a check fails.

Anything that keeps the answer from being read (a timeout, a refused connection, an HTTP
5xx, a payer's AAA error, an unreadable body, a request the clearinghouse refused as invalid)
raises EligibilityUnavailable, whose str() is a sentence a client can read; a member the payer
cannot find raises MemberNotFound, a kind of EligibilityUnavailable. Nothing here saves
anything: callers (checks.py) record a check only from the Benefits they get back.
"""
import datetime
from dataclasses import dataclass, field

ACTIVE, INACTIVE, CARVE_OUT, NOT_COVERED = "active", "inactive", "carve_out", "not_covered"

# Where a check is sent, below Stedi's base address https://healthcare.us.stedi.com/2024-04-01
# (DOMAIN.md): its real-time eligibility endpoint, JSON in and out.
ELIGIBILITY_PATH = "/change/medicalnetwork/eligibility/v3"

# What a check asks for: 30, health benefit plan coverage. Payers answer it with the
# mental-health service types below among the others.
REQUESTED_SERVICE_TYPE = "30"

# AAA reject reasons. The payer cannot answer now: try again later.
TRANSIENT_CODES = {"42", "80"}

_AGAIN = "Nothing was saved; try again in a few minutes."


def _sentence(reason, who=None, detail=None, code=None):
    """The plain sentence for a check that could not be answered."""
    subject = who or "The insurance company"
    if reason == "timeout":
        return f"{subject} didn't answer in time. {_AGAIN}"
    if reason == "unreachable":
        return f"We couldn't get through to {who or 'the insurance company'} to check " \
               f"benefits. {_AGAIN}"
    if reason == "member_not_found":
        return (f"{subject} couldn't find this member. Check the member ID and date of birth "
                "against the insurance card, then try again.")
    if reason == "payer_error" and detail and code not in TRANSIENT_CODES:
        return (f"{subject} turned this check down ({detail}). Nothing was saved; please let "
                "us know so we can look into it.")
    if reason == "payer_error":
        return f"{subject} can't answer benefit checks right now. {_AGAIN}"
    if reason == "request_invalid":
        # Our request broke the clearinghouse's rules: the same request fails again, so the
        # client is not sent back to retry; the fault is logged as an error for the team.
        return (f"We couldn't ask {who or 'your insurance company'} about your benefits "
                "because of a mistake in our request. It has been reported to our team; trying "
                "again won't help until we fix it. Nothing was saved. Meanwhile, the number on "
                "your insurance card can tell you your benefits.")
    return f"{subject}'s answer couldn't be read. {_AGAIN}"


@dataclass
class Subscriber:
    member_id: str
    first_name: str
    last_name: str
    date_of_birth: datetime.date


@dataclass
class Benefits:
    # "active", "inactive", "carve_out" (benefits held by another entity), "not_covered"
    # (active plan, no mental-health benefit)
    outcome: str
    plan_name: str | None = None
    network: str | None = None  # inPlanNetworkIndicatorCode of the benefit used: Y, N, W, U
    copay_cents: int | None = None  # per visit, in-network mental-health outpatient
    coinsurance_bp: int | None = None  # basis points: 0.2 -> 2000
    deductible_cents: int | None = None  # calendar year (time qualifier 23)
    deductible_remaining_cents: int | None = None  # remaining (time qualifier 29)
    oop_max_cents: int | None = None
    oop_remaining_cents: int | None = None
    service_type: str | None = None  # where the numbers came from: MH, A6, CF, A4, 22 or 30
    carve_out_name: str | None = None  # the entity holding the benefits (code U, or 1)
    carve_out_payer_id: str | None = None
    # The member's ID with that entity, when the payer gives one: the second check uses it.
    carve_out_member_id: str | None = None
    carved_out_from: str | None = None  # after following a carve-out: the first payer's name
    coverage_ends_on: datetime.date | None = None
    raw: dict = field(default_factory=dict)  # the response, for the record


class EligibilityUnavailable(Exception):
    """The clearinghouse or payer could not answer now (timeout, connection refused, HTTP 5xx,
    a payer error in the response (AAA errors), a malformed response). str(e) is a plain
    sentence a client can read, e.g. "Aetna didn't answer in time. Nothing was saved; try
    again in a few minutes." It carries .reason: "timeout" | "unreachable" | "payer_error" |
    "bad_response" | "request_invalid" (the clearinghouse refused our request as invalid:
    retrying won't help; .fields lists what it named), and .code, the payer's AAA code when
    there was one.

    Raised by check_following_carve_out for the second check, it also carries .carve_out,
    the first answer (whom the client can call)."""

    default_reason = "unreachable"

    def __init__(self, message=None, reason=None, *, payer=None, code=None, detail=None,
                 fields=()):
        self.reason = reason or self.default_reason
        self.payer = payer
        self.code = code
        self.detail = detail
        self.fields = list(fields)
        self.worded = message is not None  # a sentence of its own, kept when re-told
        self.carve_out = None
        super().__init__(message if message is not None else
                         _sentence(self.reason, payer, detail, code))

    def about(self, payer):
        """The same problem, told about another payer (a name)."""
        again = type(self)(str(self) if self.worded else None, self.reason, payer=payer,
                           code=self.code, detail=self.detail, fields=self.fields)
        again.carve_out = self.carve_out
        return again


class MemberNotFound(EligibilityUnavailable):
    """The payer doesn't know this member (AAA 72, 73, 75...): the member ID, name or date of
    birth differs from the payer's records. Not the same as inactive coverage."""

    default_reason = "member_not_found"
