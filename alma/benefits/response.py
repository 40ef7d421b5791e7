"""Reading a clearinghouse's JSON 271 into Benefits, or into the reason it can't be read.

The answer's benefitsInformation rows are ranked (in network first, the individual's
before the family's, the mental-health service types in MENTAL_HEALTH_TYPES' order) and
the best row for each figure is used; out-of-network rows never are. Amounts are read as
exact decimals, never through a float.
"""
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from alma.benefits.eligibility import (ACTIVE, CARVE_OUT, INACTIVE, NOT_COVERED,
                                       REQUESTED_SERVICE_TYPE, TRANSIENT_CODES, Benefits,
                                       EligibilityUnavailable, MemberNotFound)

# Mental-health service types, best first: mental health, psychotherapy, mental health
# provider outpatient, psychiatric, social work.
MENTAL_HEALTH_TYPES = ("MH", "A6", "CF", "A4", "22")
# The payer cannot find the person: the card's member ID, name or date of birth is wrong
# (58 date of birth, 64 patient id, 65 patient name, 67 patient not found, 71 birth date
# doesn't match, 72 member id, 73 subscriber name, 75 subscriber not found).
MEMBER_NOT_FOUND_CODES = {"58", "64", "65", "67", "71", "72", "73", "75"}


class _Malformed(ValueError):
    """Part of a response that cannot be read."""


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


def interpret(status, payload, who):
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
