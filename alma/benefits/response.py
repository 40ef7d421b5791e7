"""Reading a clearinghouse's JSON 271 into Benefits, or into the reason it can't be read.

The mental-health service types are read in MENTAL_HEALTH_TYPES' order, and within one the
rows are chosen by the rules of rows.py (never "the first row"); out-of-network rows never
count. Amounts are read as exact decimals, never through a float.
"""
import datetime
from decimal import InvalidOperation

from alma.benefits.eligibility import (ACTIVE, CARVE_OUT, INACTIVE, NOT_COVERED,
                                       REQUESTED_SERVICE_TYPE, TRANSIENT_CODES, Benefits,
                                       EligibilityUnavailable, MemberNotFound)
from alma.benefits.rows import (COPAY_TIMES, REMAINING_TIMES, TOTAL_TIMES, Malformed, Row,
                                administrator, basis_points, best, cents, holders)

# Mental-health service types, best first: mental health, psychotherapy, mental health
# provider outpatient, psychiatric, social work.
MENTAL_HEALTH_TYPES = ("MH", "A6", "CF", "A4", "22")
# The payer cannot find the person: the card's member ID, name or date of birth is wrong
# (58 date of birth, 64 patient id, 65 patient name, 67 patient not found, 71 birth date
# doesn't match, 72 member id, 73 subscriber name, 75 subscriber not found).
MEMBER_NOT_FOUND_CODES = {"58", "64", "65", "67", "71", "72", "73", "75"}


def _date(value):
    try:
        return datetime.datetime.strptime(str(value).strip(), "%Y%m%d").date()
    except ValueError:
        raise Malformed(f"not a CCYYMMDD date: {value!r}")


def _coverage_end(payload, active):
    """When coverage ends (or ended). For an active plan only the member's eligibility end
    counts: a plan's end date is usually the end of its year, and it renews."""
    dates = payload.get("planDateInformation") or {}
    if not isinstance(dates, dict):
        raise Malformed("planDateInformation is not an object")
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


def _request_invalid(payload, who):
    """Stedi's request validation error, a 400 with {message, fieldList: [{path, message}]}:
    our request broke its rules before any payer saw it. Sending it again fails again."""
    fields = payload.get("fieldList")
    fields = [f"{field.get('path', '')}: {field.get('message', '')}".strip(": ")
              for field in fields if isinstance(field, dict)] if isinstance(fields, list) else []
    return EligibilityUnavailable(reason="request_invalid", payer=who, detail=str(
        payload.get("message") or "HTTP 400")[:500], fields=fields[:20])


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
    except (Malformed, KeyError, TypeError, AttributeError, ValueError,
            InvalidOperation) as problem:
        raise EligibilityUnavailable(reason="bad_response", payer=who,
                                     detail=str(problem)) from problem


def _read_benefits(payload):
    items = payload.get("benefitsInformation")
    if not isinstance(items, list) or not items:
        raise Malformed("no benefitsInformation")
    rows = [Row.of(index, item) for index, item in enumerate(items)]

    active_rows = [row for row in rows if row.code == "1"]
    inactive_rows = [row for row in rows if row.code == "6"]
    statuses = {str(status.get("statusCode")) for status in payload.get("planStatus") or []
                if isinstance(status, dict)}
    if active_rows or (not inactive_rows and "1" in statuses):
        active = True
    elif inactive_rows or "6" in statuses:
        active = False
    else:
        raise Malformed("no coverage status (code 1 or 6)")
    plan_name = _plan_name(active_rows if active else inactive_rows, payload)
    coverage_ends_on = _coverage_end(payload, active)
    if not active:
        return Benefits(INACTIVE, plan_name=plan_name, coverage_ends_on=coverage_ends_on,
                        raw=payload)

    usable = [row for row in rows if row.network != "N"]  # out of network: never used
    benefits = Benefits(ACTIVE, plan_name=plan_name, coverage_ends_on=coverage_ends_on,
                        raw=payload)
    if not _read_mental_health(benefits, usable, _payer_itself(payload)):
        _read_limits(benefits, usable)
    return benefits


def _of_type(rows, service_type, *codes):
    return [row for row in rows if service_type in row.types and row.code in codes]


def _payer_itself(payload):
    """The answering payer's ids and name: an entity naming them is not a carve-out."""
    payer = payload.get("payer") if isinstance(payload.get("payer"), dict) else {}
    ids = {str(value).strip() for value in (payer.get("payorIdentification"),
                                            payload.get("tradingPartnerServiceId")) if value}
    names = {str(payer["name"]).strip().upper()} if payer.get("name") else set()
    return ids, names


def _read_mental_health(benefits, rows, payer):
    """Read the mental-health service type the payer answered best for into `benefits`; True
    when that settles the answer (a carve-out, or no mental-health benefit)."""
    def carved_out(service_type):
        # A carve-out administrator may be named on a code U row, or on a code 1 (active
        # coverage) row (Stedi's carve-out guide, DOMAIN.md), which then carries no costs.
        return _of_type(rows, service_type, "U") + [
            row for row in _of_type(rows, service_type, "1") if holders(row, *payer)]

    chosen = next((t for t in MENTAL_HEALTH_TYPES
                   if _of_type(rows, t, "A", "B", "C", "G", "I", "U") or carved_out(t)), None)
    benefits.service_type = chosen
    if chosen is None:
        return False
    costs = _of_type(rows, chosen, "A", "B")
    carve_out = carved_out(chosen)
    if carve_out and not costs:
        benefits.outcome = CARVE_OUT
        (benefits.carve_out_name, benefits.carve_out_payer_id,
         benefits.carve_out_member_id) = administrator(
            [entity for row in carve_out for entity in holders(row, *payer)])
        return True
    excluded = _of_type(rows, chosen, "I")
    if excluded and not costs:
        benefits.outcome = NOT_COVERED
        benefits.network = best(excluded).network
        return True
    copay = best([row for row in _of_type(rows, chosen, "B") if row.amount is not None],
                 times=COPAY_TIMES)
    coinsurance = best([row for row in _of_type(rows, chosen, "A") if row.percent is not None],
                       figure="percent")
    if copay:
        benefits.copay_cents = cents(copay.amount)
    if coinsurance:
        benefits.coinsurance_bp = basis_points(coinsurance.percent)
    benefits.network = (copay or coinsurance).network if (copay or coinsurance) else None
    return False


def _read_limits(benefits, rows):
    """The deductible (C) and out-of-pocket maximum (G), each a total and what is left of it,
    from one service type: the first mental-health type (then the plan's, 30) that says what
    is left, since the estimate runs on that; else the first that gives a total. So in
    Stedi's UnitedHealthcare example a psychotherapy row giving only one program's $0
    family deductible, with nothing left, gives way to the plan's own $3,200, met."""
    sources = MENTAL_HEALTH_TYPES + (REQUESTED_SERVICE_TYPE,)
    found_in = None
    for code, total_field, remaining_field in (("C", "deductible_cents",
                                                "deductible_remaining_cents"),
                                               ("G", "oop_max_cents", "oop_remaining_cents")):
        candidates = {t: [row for row in _of_type(rows, t, code) if row.amount is not None]
                      for t in sources}
        totals = {t: [row for row in found if row.time in TOTAL_TIMES]
                  for t, found in candidates.items()}
        left = {t: [row for row in found if row.time in REMAINING_TIMES]
                for t, found in candidates.items()}
        source = next((t for t in sources if left[t]), None) or \
            next((t for t in sources if totals[t]), None)
        if source is None:
            continue
        total = best(totals[source], times=TOTAL_TIMES)
        remaining = best(left[source], times=REMAINING_TIMES,
                         notes=total.notes if total else None)
        if total:
            setattr(benefits, total_field, cents(total.amount))
        if remaining:
            setattr(benefits, remaining_field, cents(remaining.amount))
        found_in = found_in or source
        if benefits.network is None:
            benefits.network = (total or remaining).network
    if benefits.service_type is None:
        benefits.service_type = found_in


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
        if errors:  # a payer's AAA errors: its answer about this member or provider
            raise _payer_error(errors, who)
        if status == 400 and ("fieldList" in payload or "message" in payload):
            raise _request_invalid(payload, who)
        raise EligibilityUnavailable(reason="bad_response", payer=who, detail=f"HTTP {status}")
    return parse_response(payload, who)
