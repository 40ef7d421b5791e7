"""Benefit checks: ask a client's insurer, through a clearinghouse, what therapy will cost.

A check is an X12 270 request and its 271 answer (005010X279A1), carried as JSON the way
Optum/Change Healthcare's eligibility API and Stedi's compatible one carry it (DOMAIN.md,
"Eligibility"). Two gateways send it, behind one small interface (`check`):

- HttpClearinghouse: a real clearinghouse at ALMA_ELIGIBILITY_URL.
- SandboxClearinghouse: the local clearinghouse of sandbox.py, which answers documented test
  members and never asks an insurer. It is called in-process, but its answers go through
  the same reading (`_interpret`, `parse_response`) as a real clearinghouse's.

What the answer says becomes Benefits. Anything that keeps it from being read (a timeout,
a refused connection, an HTTP 5xx, a payer's AAA error, an unreadable body) raises
EligibilityUnavailable, whose str() is a sentence a client can read; a member the payer
cannot find raises MemberNotFound, a kind of EligibilityUnavailable. Nothing here saves
anything: callers record a check only from the Benefits they get back.
"""
import datetime
import json
import logging
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app

from alma.insurance import sandbox

log = logging.getLogger("alma.insurance")

ACTIVE, INACTIVE, CARVE_OUT, NOT_COVERED = "active", "inactive", "carve_out", "not_covered"

# What a check asks for: 30, health benefit plan coverage. Payers answer it with the
# mental-health service types below among the others.
REQUESTED_SERVICE_TYPE = "30"
# Mental-health service types, best first: mental health, psychotherapy, mental health
# provider outpatient, psychiatric, social work.
MENTAL_HEALTH_TYPES = ("MH", "A6", "CF", "A4", "22")

# Payers by clearinghouse payer id, only to name them in messages (DOMAIN.md; Oxford's and
# UnitedHealthcare's ids are unconfirmed).
KNOWN_PAYERS = {"60054": "Aetna", "OSCAR": "Oscar", "06111": "Oxford", "87726": "UnitedHealthcare"}

# AAA reject reasons. The payer cannot answer now: try again later.
TRANSIENT_CODES = {"42", "80"}
# The payer cannot find the person: the card's member ID, name or date of birth is wrong
# (58 date of birth, 64 patient id, 65 patient name, 67 patient not found, 71 birth date
# doesn't match, 72 member id, 73 subscriber name, 75 subscriber not found).
MEMBER_NOT_FOUND_CODES = {"58", "64", "65", "67", "71", "72", "73", "75"}

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
    carve_out_name: str | None = None  # the entity holding the benefits (code U)
    carve_out_payer_id: str | None = None
    carved_out_from: str | None = None  # after following a carve-out: the first payer's name
    coverage_ends_on: datetime.date | None = None
    raw: dict = field(default_factory=dict)  # the response, for the record


class EligibilityUnavailable(Exception):
    """The clearinghouse or payer could not answer now (timeout, connection refused, HTTP 5xx,
    a payer error in the response (AAA errors), a malformed response). str(e) is a plain
    sentence a client can read, e.g. "Aetna didn't answer in time. Nothing was saved; try
    again in a few minutes." It carries .reason: "timeout" | "unreachable" | "payer_error" |
    "bad_response", and .code, the payer's AAA code when there was one.

    Raised by check_following_carve_out for the second check, it also carries .carve_out,
    the first answer (whom the client can call)."""

    default_reason = "unreachable"

    def __init__(self, message=None, reason=None, *, payer=None, code=None, detail=None):
        self.reason = reason or self.default_reason
        self.payer = payer
        self.code = code
        self.detail = detail
        self.worded = message is not None  # a sentence of its own, kept when re-told
        self.carve_out = None
        super().__init__(message if message is not None else
                         _sentence(self.reason, payer, detail, code))

    def about(self, payer):
        """The same problem, told about another payer (a name)."""
        again = type(self)(str(self) if self.worded else None, self.reason, payer=payer,
                           code=self.code, detail=self.detail)
        again.carve_out = self.carve_out
        return again


class MemberNotFound(EligibilityUnavailable):
    """The payer doesn't know this member (AAA 72, 73, 75...): the member ID, name or date of
    birth differs from the payer's records. Not the same as inactive coverage."""

    default_reason = "member_not_found"


class _Malformed(ValueError):
    """Part of a response that cannot be read."""


def new_control_number():
    """A 270's control number: nine digits."""
    return f"{secrets.randbelow(10 ** 9):09d}"


def build_request(payer_id, subscriber, provider_npi, organization_name, control_number):
    """The JSON 270 for one subscriber, asking for service type 30."""
    if isinstance(control_number, int):
        control_number = f"{control_number:09d}"
    if not (len(control_number) == 9 and control_number.isascii()
            and control_number.isdigit()):
        raise ValueError("controlNumber must be nine digits")
    return {
        "controlNumber": control_number,
        "tradingPartnerServiceId": payer_id,
        "provider": {"organizationName": organization_name, "npi": provider_npi},
        "subscriber": {
            "memberId": subscriber.member_id.strip(),
            "firstName": subscriber.first_name.strip(),
            "lastName": subscriber.last_name.strip(),
            "dateOfBirth": subscriber.date_of_birth.strftime("%Y%m%d"),
        },
        "encounter": {"serviceTypeCodes": [REQUESTED_SERVICE_TYPE]},
    }


# Reading a response ------------------------------------------------------------------------

@dataclass
class _Row:
    """One benefitsInformation item, the parts we read."""

    index: int
    code: str
    types: tuple
    level: str | None
    time: str | None
    network: str | None
    amount: object
    percent: object
    item: dict

    @classmethod
    def of(cls, index, item):
        if not isinstance(item, dict):
            raise _Malformed("a benefitsInformation item is not an object")
        types = item.get("serviceTypeCodes") or ()
        if isinstance(types, str):
            types = (types,)
        if not isinstance(types, (list, tuple)):
            raise _Malformed("serviceTypeCodes is not a list")

        def text(key):
            value = item.get(key)
            return str(value).strip() if value not in (None, "") else None

        return cls(index=index, code=text("code") or "", types=tuple(str(t) for t in types),
                   level=text("coverageLevelCode"), time=text("timeQualifierCode"),
                   network=text("inPlanNetworkIndicatorCode"), amount=item.get("benefitAmount"),
                   percent=item.get("benefitPercent"), item=item)


_NETWORK_RANK = {"Y": 0, "W": 1}  # then no indicator or U; N is never used
_LEVEL_RANK = {"IND": 0, "EMP": 1, None: 2}  # then other levels, family last
_TOTAL_TIMES = ("23", "22")  # calendar year, service year
_REMAINING_TIMES = ("29",)


def _rank(row, times=None):
    level = _LEVEL_RANK.get(row.level, 4 if row.level == "FAM" else 3)
    time = 0 if times is None or row.time in times else 1
    return (_NETWORK_RANK.get(row.network, 2), level, time, row.index)


def _best(rows, times=None):
    return min(rows, key=lambda row: _rank(row, times)) if rows else None


def _decimal(value, what):
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Malformed(f"{what} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Malformed(f"{what} is not a number: {value!r}")
    if not number.is_finite() or number < 0:
        raise _Malformed(f"{what} is out of range: {value!r}")
    return number


def _cents(value):
    """Dollars ("25", "1200.00", 33.33) as integer cents, exactly (sub-cents round half up)."""
    return int((_decimal(value, "benefitAmount") * 100).quantize(Decimal(1), ROUND_HALF_UP))


def _basis_points(value):
    """A fraction 0.0-1.0 ("0.2") as basis points (2000)."""
    number = _decimal(value, "benefitPercent")
    if number > 1:
        raise _Malformed(f"benefitPercent is not a fraction: {value!r}")
    return int((number * 10000).quantize(Decimal(1), ROUND_HALF_UP))


def _date(value):
    try:
        return datetime.datetime.strptime(str(value).strip(), "%Y%m%d").date()
    except ValueError:
        raise _Malformed(f"not a CCYYMMDD date: {value!r}")


def _coverage_end(payload, active):
    """When coverage ends (or ended). For an active plan only the member's eligibility end
    counts: a plan's end date is usually the end of its year, and it renews."""
    dates = payload.get("planDateInformation") or {}
    if not isinstance(dates, dict):
        raise _Malformed("planDateInformation is not an object")
    for single, span in (("eligibilityEnd", "eligibility"), ("planEnd", "plan")):
        if dates.get(single):
            return _date(dates[single])
        if dates.get(span) and "-" in str(dates[span]):
            return _date(str(dates[span]).split("-", 1)[1])
        if active:
            break
    return None


def _plan_name(status_rows, payload):
    ordered = sorted(status_rows, key=lambda row: (REQUESTED_SERVICE_TYPE not in row.types,
                                                   row.index))
    for row in ordered:
        if row.item.get("planCoverage"):
            return str(row.item["planCoverage"]).strip()
    for status in payload.get("planStatus") or []:
        if isinstance(status, dict) and status.get("planDetails"):
            return str(status["planDetails"]).strip()
    return None


def _entity(rows):
    """The name and payer id of the entity a code U row points to."""
    for row in rows:
        entities = row.item.get("benefitsRelatedEntities") or []
        if isinstance(entities, dict):
            entities = [entities]
        for entity in entities:
            if not isinstance(entity, dict):
                continue
            name = entity.get("entityName") or " ".join(
                part for part in (entity.get("entityFirstname"), entity.get("entityLastName"))
                if part) or None
            payer_id = None
            if entity.get("entityIdentification") == "PI":  # payor identification
                payer_id = str(entity.get("entityIdentificationValue") or "").strip() or None
            if name or payer_id:
                return name, payer_id
    return None, None


def _errors(payload):
    """AAA and clearinghouse errors: the top-level list, else each loop's aaaErrors (a
    clearinghouse usually repeats these in the top-level list)."""
    found = []

    def add(errors):
        if isinstance(errors, (dict, str)) and errors:
            errors = [errors]
        if isinstance(errors, list):
            found.extend(error if isinstance(error, dict) else {"description": str(error)}
                         for error in errors)

    add(payload.get("errors"))
    if not found:
        places = [payload.get(key) for key in ("payer", "provider", "subscriber")]
        dependents = payload.get("dependents")
        places += dependents if isinstance(dependents, list) else []
        for place in places:
            if isinstance(place, dict):
                add(place.get("aaaErrors"))
    return found


def _payer_error(errors, who):
    codes = [str(error.get("code") or "").strip() for error in errors]
    for code, error in zip(codes, errors):
        if code in MEMBER_NOT_FOUND_CODES:
            return MemberNotFound(payer=who, code=code, detail=error.get("description"))
    transient = [code for code in codes if code in TRANSIENT_CODES]
    if transient:
        return EligibilityUnavailable(reason="payer_error", payer=who, code=transient[0])
    detail = next((str(error["description"]).strip() for error in errors
                   if error.get("description")), None)
    return EligibilityUnavailable(reason="payer_error", payer=who, code=codes[0] or None,
                                  detail=detail)


def parse_response(payload, who=None):
    """Benefits from a JSON 271. Raises EligibilityUnavailable (MemberNotFound for a member the
    payer cannot find) when it carries errors or cannot be read. `who` names the payer in
    messages."""
    if not isinstance(payload, dict):
        raise EligibilityUnavailable(reason="bad_response", payer=who,
                                     detail="the response is not a JSON object")
    try:
        errors = _errors(payload)
        if errors:
            raise _payer_error(errors, who)
        return _read_benefits(payload)
    except (_Malformed, KeyError, TypeError, AttributeError, ValueError,
            InvalidOperation) as problem:
        raise EligibilityUnavailable(reason="bad_response", payer=who,
                                     detail=str(problem)) from problem


def _read_benefits(payload):
    items = payload.get("benefitsInformation")
    if not isinstance(items, list) or not items:
        raise _Malformed("no benefitsInformation")
    rows = [_Row.of(index, item) for index, item in enumerate(items)]

    active_rows = [row for row in rows if row.code == "1"]
    inactive_rows = [row for row in rows if row.code == "6"]
    statuses = {str(status.get("statusCode")) for status in payload.get("planStatus") or []
                if isinstance(status, dict)}
    if active_rows or (not inactive_rows and "1" in statuses):
        active = True
    elif inactive_rows or "6" in statuses:
        active = False
    else:
        raise _Malformed("no coverage status (code 1 or 6)")
    plan_name = _plan_name(active_rows if active else inactive_rows, payload)
    coverage_ends_on = _coverage_end(payload, active)
    if not active:
        return Benefits(INACTIVE, plan_name=plan_name, coverage_ends_on=coverage_ends_on,
                        raw=payload)

    # Out-of-network rows are never used.
    usable = [row for row in rows if row.network != "N"]

    def of_type(service_type, *codes):
        return [row for row in usable if service_type in row.types and row.code in codes]

    # The mental-health service type the payer answered best for.
    chosen = next((t for t in MENTAL_HEALTH_TYPES if of_type(t, "A", "B", "C", "G", "I", "U")),
                  None)
    benefits = Benefits(ACTIVE, plan_name=plan_name, service_type=chosen,
                        coverage_ends_on=coverage_ends_on, raw=payload)
    if chosen:
        costs = of_type(chosen, "A", "B")
        carve_out = of_type(chosen, "U")
        if carve_out and not costs:
            benefits.outcome = CARVE_OUT
            benefits.carve_out_name, benefits.carve_out_payer_id = _entity(carve_out)
            return benefits
        excluded = of_type(chosen, "I")
        if excluded and not costs:
            benefits.outcome = NOT_COVERED
            benefits.network = _best(excluded).network
            return benefits

        copay = _best([row for row in of_type(chosen, "B") if row.amount is not None],
                      times=("27", None))
        coinsurance = _best([row for row in of_type(chosen, "A") if row.percent is not None])
        if copay:
            benefits.copay_cents = _cents(copay.amount)
        if coinsurance:
            benefits.coinsurance_bp = _basis_points(coinsurance.percent)
        benefits.network = (copay or coinsurance).network if (copay or coinsurance) else None

    # Deductible and out-of-pocket maximum: mental-health specific ones, else the plan's.
    # (No type before `chosen` has any such rows, so this order starts from it.)
    sources = MENTAL_HEALTH_TYPES + (REQUESTED_SERVICE_TYPE,)
    found_in = None
    for code, total_field, remaining_field in (("C", "deductible_cents",
                                                "deductible_remaining_cents"),
                                               ("G", "oop_max_cents", "oop_remaining_cents")):
        for service_type in sources:
            candidates = [row for row in of_type(service_type, code) if row.amount is not None]
            if not candidates:
                continue
            total = _best([row for row in candidates if row.time in _TOTAL_TIMES])
            remaining = _best([row for row in candidates if row.time in _REMAINING_TIMES])
            if total:
                setattr(benefits, total_field, _cents(total.amount))
            if remaining:
                setattr(benefits, remaining_field, _cents(remaining.amount))
            if total or remaining:
                found_in = found_in or service_type
                if benefits.network is None:
                    benefits.network = (total or remaining).network
                break
    if benefits.service_type is None:
        benefits.service_type = found_in
    return benefits


def _interpret(status, payload, who):
    """Benefits from an HTTP status and decoded JSON body (None when it wasn't JSON)."""
    if status >= 500:
        raise EligibilityUnavailable(reason="timeout" if status == 504 else "unreachable",
                                     payer=who, detail=f"HTTP {status}")
    if status in (401, 403):
        raise EligibilityUnavailable(
            "Benefit checks can't be made right now: the clearinghouse refused our request. "
            "Nothing was saved; please let us know so we can look into it.",
            reason="unreachable", payer=who, detail=f"HTTP {status}")
    if status == 429:
        raise EligibilityUnavailable(
            "The benefit-check service is busy. Nothing was saved; try again in a minute.",
            reason="unreachable", payer=who, detail="HTTP 429")
    if not isinstance(payload, dict):
        raise EligibilityUnavailable(reason="bad_response", payer=who,
                                     detail=f"HTTP {status}, not a JSON object")
    if not 200 <= status < 300:
        errors = _errors(payload)
        if errors:
            raise _payer_error(errors, who)
        raise EligibilityUnavailable(reason="bad_response", payer=who, detail=f"HTTP {status}")
    return parse_response(payload, who)


def _logged(gateway, payer_id, problem):
    log.warning("benefit check unavailable", extra={"fields": {
        "gateway": gateway, "payer_id": payer_id, "reason": problem.reason,
        "code": problem.code, "detail": problem.detail}})
    return problem


class HttpClearinghouse:
    """A real clearinghouse (Stedi / Change Healthcare-compatible JSON), at `url`. The api key,
    when set, is sent as the Authorization header as it is (include a scheme such as
    "Bearer ..." in the setting if the clearinghouse wants one)."""

    name = "http"

    def __init__(self, url, api_key=None, timeout=10.0):
        # Imported only when this gateway is configured, as the Stripe SDK is: requests
        # and urllib3 are ~5 MB of every web worker that never calls a clearinghouse.
        import requests
        from urllib3.exceptions import ReadTimeoutError

        self.requests, self.read_timeout = requests, ReadTimeoutError
        self.url = url
        self.api_key = api_key
        self.timeout = float(timeout)

    def check(self, payer_id, subscriber, provider_npi, organization_name):
        who = KNOWN_PAYERS.get(payer_id)
        request = build_request(payer_id, subscriber, provider_npi, organization_name,
                                new_control_number())
        headers = {"Accept": "application/json"}
        requests = self.requests
        if self.api_key:
            headers["Authorization"] = self.api_key
        try:
            try:
                response = requests.post(self.url, json=request, headers=headers,
                                         timeout=self.timeout, allow_redirects=False)
            except requests.Timeout as problem:
                raise EligibilityUnavailable(reason="timeout", payer=who,
                                             detail=type(problem).__name__) from problem
            except (requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as problem:
                raise EligibilityUnavailable(reason="bad_response", payer=who,
                                             detail=type(problem).__name__) from problem
            except requests.ConnectionError as problem:
                # A body that stops arriving surfaces as a ConnectionError around a timeout.
                slow = problem.args and isinstance(problem.args[0], self.read_timeout)
                raise EligibilityUnavailable(reason="timeout" if slow else "unreachable",
                                             payer=who,
                                             detail=type(problem).__name__) from problem
            except requests.RequestException as problem:
                raise EligibilityUnavailable(reason="unreachable", payer=who,
                                             detail=type(problem).__name__) from problem
            try:
                payload = response.json()
            except ValueError:
                payload = None
            return _interpret(response.status_code, payload, who)
        except EligibilityUnavailable as problem:
            raise _logged(self.name, payer_id, problem)


class SandboxClearinghouse:
    """The local clearinghouse (sandbox.py), called in-process: no insurer is asked.

    It never waits: an answer the sandbox would delay past `timeout` (ALMA-TIMEOUT) fails at
    once, as the timeout would. Served over HTTP (sandbox.serve) the delay is real."""

    name = "sandbox"

    def __init__(self, timeout=10.0):
        self.timeout = float(timeout)

    def check(self, payer_id, subscriber, provider_npi, organization_name):
        who = KNOWN_PAYERS.get(payer_id)
        request = build_request(payer_id, subscriber, provider_npi, organization_name,
                                new_control_number())
        # Through JSON both ways, as over the wire.
        status, body, delay = sandbox.respond(json.loads(json.dumps(request)))
        try:
            if delay >= self.timeout:
                raise EligibilityUnavailable(reason="timeout", payer=who,
                                             detail=f"sandbox delay {delay}s")
            payload = json.loads(json.dumps(body)) if body is not None else None
            return _interpret(status, payload, who)
        except EligibilityUnavailable as problem:
            raise _logged(self.name, payer_id, problem)


def gateway():
    """The configured gateway (ALMA_ELIGIBILITY_GATEWAY), or None when checks are off."""
    config = current_app.config
    kind = config["ELIGIBILITY_GATEWAY"]
    if kind == "http":
        return HttpClearinghouse(config["ELIGIBILITY_URL"], config["ELIGIBILITY_API_KEY"],
                                 config["ELIGIBILITY_TIMEOUT_SECONDS"])
    if kind == "sandbox":
        return SandboxClearinghouse(config["ELIGIBILITY_TIMEOUT_SECONDS"])
    return None


def check_following_carve_out(gateway, payer_id, payer_name, subscriber, provider_npi,
                              organization_name):
    """One check; when the payer says another entity holds the mental-health benefits (a
    carve-out) and gives its payer id, one more check against that entity, whose answer is
    returned with carved_out_from = payer_name. Never more than two checks. A carve-out
    without a payer id is returned as it is: the client is told whom to call.

    Errors name the payer; one from the second check carries .carve_out, the first answer."""
    try:
        first = gateway.check(payer_id, subscriber, provider_npi, organization_name)
    except EligibilityUnavailable as problem:
        if not payer_name:
            raise
        raise problem.about(payer_name) from problem
    if first.outcome != CARVE_OUT or not first.carve_out_payer_id:
        return first
    try:
        second = gateway.check(first.carve_out_payer_id, subscriber, provider_npi,
                               organization_name)
    except EligibilityUnavailable as problem:
        holder = first.carve_out_name or "The company that handles mental-health benefits"
        if payer_name:
            holder = f"{holder} (which handles mental-health benefits for {payer_name})"
        again = problem.about(holder)
        again.carve_out = first
        raise again from problem
    second.carved_out_from = payer_name
    if second.outcome != CARVE_OUT:
        second.carve_out_name = first.carve_out_name
        second.carve_out_payer_id = first.carve_out_payer_id
    return second
