"""Each field of a claim, checked as the 837P needs it: identifiers go out exactly as given
(only trimmed) or are refused, never rewritten or cut short, since a changed id silently
points at someone else or at no claim; free text is cleaned (alma.x12text) and trimmed to
its element's length; codes are checked against what 005010X222A1 allows.

Impossible data raises `ClaimDataProblem` (a ValueError) naming the field.
"""
import datetime
import re

from stdnum import luhn
from stdnum.us import ein

from alma.x12text import clean_text

# SBR09 claim filing indicator codes allowed by 005010X222A1.
CLAIM_FILING_CODES = {
    "11": "Other non-federal programs", "12": "PPO", "13": "POS", "14": "EPO",
    "15": "Indemnity insurance", "16": "HMO Medicare risk", "17": "Dental maintenance org",
    "AM": "Automobile medical", "BL": "Blue Cross/Blue Shield", "CH": "CHAMPUS (TRICARE)",
    "CI": "Commercial insurance", "DS": "Disability", "FI": "Federal employees program",
    "HM": "HMO", "LM": "Liability medical", "MA": "Medicare Part A", "MB": "Medicare Part B",
    "MC": "Medicaid", "OF": "Other federal program", "TV": "Title V",
    "VA": "Veterans Affairs plan", "WC": "Workers' compensation", "ZZ": "Mutually defined",
}

_CPT = re.compile(r"^([0-9]{4}[0-9FTU]|[A-V][0-9]{4})$")  # CPT (incl. category II/III, PLA) or HCPCS II
_MODIFIER = re.compile(r"^[0-9A-Z]{2}$")
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")  # without the dot
_TAXONOMY = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")
_STATE = re.compile(r"^[A-Z]{2}$")
_ZIP = re.compile(r"^([0-9]{5}|[0-9]{9})$")
_POS = re.compile(r"^[0-9]{2}$")
_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]*$")


class ClaimDataProblem(ValueError):
    """The claim data cannot make a valid 837P (the message names the field)."""


def problem(field_name, message):
    return ClaimDataProblem(f"{field_name}: {message}")


def text(data, name, max_length, required=True):
    value = clean_text(getattr(data, name), max_length)
    if required and not value:
        raise problem(name, "is empty (after removing characters X12 cannot carry)")
    return value


def identifier(data, name, max_length, min_length=1, value=None):
    """An id goes out exactly as given (only trimmed): never rewritten or cut short."""
    raw = getattr(data, name) if value is None else value
    cleaned = str(raw or "").strip()
    if not cleaned:
        raise problem(name, "is empty")
    if not _ID.match(cleaned):
        raise problem(name, f"{raw!r} is not a usable identifier (letters, digits, '-')")
    if not min_length <= len(cleaned) <= max_length:
        raise problem(name, f"{raw!r} must be {min_length} to {max_length} characters")
    return cleaned


def npi(data, name):
    number = str(getattr(data, name) or "").strip()
    if not re.fullmatch(r"[0-9]{10}", number):
        raise problem(name, f"NPI {number!r} must be 10 digits")
    if not luhn.is_valid("80840" + number):
        raise problem(name, f"NPI {number!r} fails its check digit")
    return number


def tax_id(data):
    raw = str(data.group_tax_id or "").strip()
    if not re.fullmatch(r"[0-9]{2}-?[0-9]{7}", raw) or not ein.is_valid(raw):
        raise problem("group_tax_id", f"{raw!r} is not a valid EIN (e.g. 12-3456789)")
    return ein.compact(raw)


def state(data, name):
    code = str(getattr(data, name) or "").strip().upper()
    if not _STATE.match(code):
        raise problem(name, f"{code!r} is not a two-letter state code")
    return code


def zip_code(data, name):
    digits = re.sub(r"[\s-]", "", str(getattr(data, name) or ""))
    if not _ZIP.match(digits):
        raise problem(name, f"{getattr(data, name)!r} must be a 5- or 9-digit ZIP code")
    return digits


def phone(data):
    digits = re.sub(r"\D", "", str(data.group_phone or ""))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise problem("group_phone", f"{data.group_phone!r} must be a 10-digit US number")
    return digits


def taxonomy(data, name):
    code = str(getattr(data, name) or "").strip().upper()
    if not _TAXONOMY.match(code):
        raise problem(name, f"{code!r} is not a provider taxonomy code (e.g. 101YP2500X)")
    return code


def date(data, name):
    value = getattr(data, name)
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise problem(name, f"must be a date, not {value!r}")
    return value


def positive_int(data, name, maximum):
    value = getattr(data, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise problem(name, f"must be an integer, not {value!r}")
    if not 0 < value <= maximum:
        raise problem(name, f"{value} must be between 1 and {maximum}")
    return value


def created_at(data):
    created = data.created_at
    if not isinstance(created, datetime.datetime):
        raise problem("created_at", f"must be a datetime, not {created!r}")
    if created.tzinfo is not None:
        created = created.astimezone(datetime.timezone.utc)
    return created


def gender(data):
    value = str(data.gender or "").strip().upper()
    if value not in ("F", "M", "U"):
        raise problem("gender", f"{data.gender!r} must be F, M or U")
    return value


def diagnosis(data):
    """An ICD-10-CM code without its dot, as HI writes it (F41.1 -> F411)."""
    code = str(data.diagnosis_code or "").strip().upper().replace(".", "")
    if not _ICD10.match(code):
        raise problem("diagnosis_code", f"{data.diagnosis_code!r} is not an ICD-10-CM code")
    return code


def cpt(data):
    code = str(data.cpt_code or "").strip().upper()
    if not _CPT.match(code):
        raise problem("cpt_code", f"{data.cpt_code!r} is not a CPT/HCPCS code")
    return code


def modifiers(data):
    found = [str(m).strip().upper() for m in (data.modifiers or [])]
    if len(found) > 4 or not all(_MODIFIER.match(m) for m in found):
        raise problem("modifiers", f"{data.modifiers!r}: at most four two-character modifiers")
    return found


def place_of_service(data):
    code = str(data.place_of_service or "").strip()
    if not _POS.match(code):
        raise problem("place_of_service", f"{data.place_of_service!r} must be a two-digit code")
    return code


def filing_code(data):
    code = str(data.claim_filing_code or "").strip().upper()
    if code not in CLAIM_FILING_CODES:
        raise problem("claim_filing_code", f"{data.claim_filing_code!r} is not an SBR09 code")
    return code


def frequency(data):
    """(CLM05-3, the payer's claim number for REF*F8): a replacement (7) or a void (8)
    must name the claim it acts on; an original (1) names none."""
    code = str(data.frequency_code or "").strip()
    if code not in ("1", "7", "8"):
        raise problem("frequency_code", f"{data.frequency_code!r} must be 1, 7 or 8")
    if code == "1":
        if data.payer_claim_number:
            raise problem("payer_claim_number", "an original claim names no earlier claim")
        return code, ""
    return code, identifier(data, "payer_claim_number", 50)
