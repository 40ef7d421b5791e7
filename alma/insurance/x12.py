"""A small 837P (005010X222A1) writer: one professional claim, one service line.

`claim_837p(data)` turns a `ClaimData` into the text of a whole interchange
(ISA ... IEA) that a clearinghouse accepts; `validate(text)` runs pyx12's
validator over such text, in process, and returns its error messages.

The billing provider is the group (NPI type 2, tax id in REF*EI); the
rendering provider is the individual clinician; the subscriber is the patient
(so no 2000C loop). Money goes in as integer cents and is written from them
exactly, never through a float. Free text is upper-cased, transliterated to
ASCII, stripped of the X12 delimiters and trimmed to each element's length;
identifiers are written exactly as given or refused (never rewritten or cut
short, since a changed id silently points at someone else or at no claim).

Impossible data raises `ClaimDataProblem` (a ValueError) naming the field.
"""
import datetime
import io
import json
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass

from stdnum import luhn
from stdnum.us import ein

SEGMENT_TERMINATOR = "~"
ELEMENT_SEPARATOR = "*"
COMPONENT_SEPARATOR = ":"
REPETITION_SEPARATOR = "^"
DELIMITERS = SEGMENT_TERMINATOR + ELEMENT_SEPARATOR + COMPONENT_SEPARATOR + REPETITION_SEPARATOR

VERSION = "005010X222A1"
ISA_LENGTH = 106  # including the segment terminator

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

# Characters kept in free text: the X12 basic character set minus the delimiters
# in use (upper-case letters, digits, space and a little punctuation).
_ALLOWED = re.compile(r"""[^A-Z0-9 !"&'()+,\-./;?=]""")
# Letters that NFKD does not decompose into ASCII + combining marks.
_TRANSLITERATE = str.maketrans({
    "Æ": "AE", "Ø": "O", "Œ": "OE", "Ł": "L", "Đ": "D", "Ð": "D", "Þ": "TH", "Ħ": "H",
    "Ŋ": "N", "Ŧ": "T", "ẞ": "SS", "Ə": "E", "Ĳ": "IJ",
})

_CPT = re.compile(r"^(\d{4}[0-9FTU]|[A-V]\d{4})$")  # CPT (incl. category II/III, PLA) or HCPCS II
_MODIFIER = re.compile(r"^[0-9A-Z]{2}$")
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")  # without the dot
_TAXONOMY = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")
_STATE = re.compile(r"^[A-Z]{2}$")
_ZIP = re.compile(r"^(\d{5}|\d{9})$")
_POS = re.compile(r"^\d{2}$")
_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]*$")


class ClaimDataProblem(ValueError):
    """The claim data cannot make a valid 837P (the message names the field)."""


@dataclass
class Party:
    """An NM1 entity with its optional address, already cleaned for X12."""
    entity_code: str          # NM101: 41 submitter, 40 receiver, 85 billing, IL, PR, 82
    person: bool              # NM102: 1 person, 2 non-person entity
    last_name: str            # NM103 (organisation name for a non-person)
    first_name: str = ""      # NM104
    id_qualifier: str = ""    # NM108: 46 ETIN, XX NPI, MI member id, PI payer id
    id: str = ""              # NM109
    address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""

    def nm1(self):
        return ["NM1", self.entity_code, "1" if self.person else "2", self.last_name,
                self.first_name, "", "", "", self.id_qualifier, self.id]

    def address_segments(self):
        return [["N3", self.address], ["N4", self.city, self.state, self.zip]]


@dataclass
class ClaimData:
    # interchange
    interchange_control_number: int   # 1..999999999, written zero-padded to 9
    created_at: datetime.datetime     # UTC (a naive value is taken as UTC)
    test: bool                        # ISA15 "T" or "P"
    # submitter / billing provider = the group
    group_name: str
    group_tax_id: str                 # "12-3456789"; written as digits only in REF*EI
    group_npi: str
    group_address: str
    group_city: str
    group_state: str
    group_zip: str                    # 9 digits preferred (5 accepted)
    group_phone: str
    contact_name: str
    # receiver / payer
    payer_name: str
    payer_id: str
    # rendering provider
    provider_first_name: str
    provider_last_name: str
    provider_npi: str
    provider_taxonomy: str
    # subscriber (= patient)
    subscriber_first_name: str
    subscriber_last_name: str
    member_id: str
    date_of_birth: datetime.date
    gender: str                       # "F", "M", "U"
    subscriber_address: str
    subscriber_city: str
    subscriber_state: str
    subscriber_zip: str
    # the claim: one service line
    claim_id: str                     # patient control number, <= 20 chars
    diagnosis_code: str               # ICD-10, e.g. "F41.1" (written ABK:F411)
    service_date: datetime.date
    cpt_code: str                     # "90834"
    modifiers: list[str]              # e.g. ["95"] for real-time audio/video telehealth
    place_of_service: str             # "10" telehealth at home, "02" elsewhere, "11" office
    charge_cents: int
    units: int = 1
    # optional, with defaults that suit a commercial payer reached directly
    claim_filing_code: str = "CI"     # SBR09, see CLAIM_FILING_CODES
    submitter_id: str = ""            # ISA06/GS02/1000A NM109; default: the group's EIN digits
    receiver_id: str = ""             # ISA08/GS03/1000B NM109; default: payer_id
    group_taxonomy: str = ""          # 2000A PRV03; default: provider_taxonomy


# --------------------------------------------------------------------------
# text helpers


def clean_text(value, max_length=None):
    """Upper-case ASCII without X12 delimiters, single-spaced, trimmed to max_length."""
    text = str(value or "").upper().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = _ALLOWED.sub(" ", text)
    text = " ".join(text.split())
    if max_length is not None:
        text = text[:max_length].rstrip()
    return text


def money(cents):
    """Integer cents as an X12 decimal: 12500 -> "125", 12345 -> "123.45", 12340 -> "123.4"."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise ClaimDataProblem(f"amount must be integer cents, not {cents!r}")
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    if rest == 0:
        return f"{sign}{dollars}"
    return f"{sign}{dollars}.{rest:02d}".rstrip("0")


def _segment(elements):
    """Join one segment's elements; composites are lists; trailing empties dropped."""
    parts = []
    for element in elements:
        pieces = element if isinstance(element, (list, tuple)) else [element]
        pieces = [str(piece) for piece in pieces]
        for piece in pieces:
            if any(delimiter in piece for delimiter in DELIMITERS):
                raise AssertionError(f"delimiter left in {elements[0]} element: {piece!r}")
        while pieces and pieces[-1] == "":
            pieces.pop()
        parts.append(COMPONENT_SEPARATOR.join(pieces))
    while parts and parts[-1] == "":
        parts.pop()
    return ELEMENT_SEPARATOR.join(parts) + SEGMENT_TERMINATOR


# --------------------------------------------------------------------------
# input checks


def _problem(field_name, message):
    return ClaimDataProblem(f"{field_name}: {message}")


def _text(data, name, max_length, required=True):
    value = clean_text(getattr(data, name), max_length)
    if required and not value:
        raise _problem(name, "is empty (after removing characters X12 cannot carry)")
    return value


def _identifier(data, name, max_length, min_length=1, value=None):
    """An id goes out exactly as given (only trimmed): never rewritten or cut short."""
    raw = getattr(data, name) if value is None else value
    cleaned = str(raw or "").strip()
    if not cleaned:
        raise _problem(name, "is empty")
    if not _ID.match(cleaned):
        raise _problem(name, f"{raw!r} is not a usable identifier (letters, digits, '-')")
    if not min_length <= len(cleaned) <= max_length:
        raise _problem(name, f"{raw!r} must be {min_length} to {max_length} characters")
    return cleaned


def _npi(data, name):
    npi = str(getattr(data, name) or "").strip()
    if not re.fullmatch(r"\d{10}", npi):
        raise _problem(name, f"NPI {npi!r} must be 10 digits")
    if not luhn.is_valid("80840" + npi):
        raise _problem(name, f"NPI {npi!r} fails its check digit")
    return npi


def _ein(data):
    raw = str(data.group_tax_id or "").strip()
    if not re.fullmatch(r"\d{2}-?\d{7}", raw) or not ein.is_valid(raw):
        raise _problem("group_tax_id", f"{raw!r} is not a valid EIN (e.g. 12-3456789)")
    return ein.compact(raw)


def _state(data, name):
    state = str(getattr(data, name) or "").strip().upper()
    if not _STATE.match(state):
        raise _problem(name, f"{state!r} is not a two-letter state code")
    return state


def _zip(data, name):
    zip_code = re.sub(r"[\s-]", "", str(getattr(data, name) or ""))
    if not _ZIP.match(zip_code):
        raise _problem(name, f"{getattr(data, name)!r} must be a 5- or 9-digit ZIP code")
    return zip_code


def _phone(data):
    digits = re.sub(r"\D", "", str(data.group_phone or ""))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise _problem("group_phone", f"{data.group_phone!r} must be a 10-digit US number")
    return digits


def _taxonomy(data, name):
    taxonomy = str(getattr(data, name) or "").strip().upper()
    if not _TAXONOMY.match(taxonomy):
        raise _problem(name, f"{taxonomy!r} is not a provider taxonomy code (e.g. 101YP2500X)")
    return taxonomy


def _date(data, name):
    value = getattr(data, name)
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise _problem(name, f"must be a date, not {value!r}")
    return value


def _positive_int(data, name, maximum):
    value = getattr(data, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _problem(name, f"must be an integer, not {value!r}")
    if not 0 < value <= maximum:
        raise _problem(name, f"{value} must be between 1 and {maximum}")
    return value


def _created_at(data):
    created = data.created_at
    if not isinstance(created, datetime.datetime):
        raise _problem("created_at", f"must be a datetime, not {created!r}")
    if created.tzinfo is not None:
        created = created.astimezone(datetime.timezone.utc)
    return created


# --------------------------------------------------------------------------
# the writer


def claim_837p(data: ClaimData) -> str:
    """The whole interchange for one claim, a segment per line."""
    icn = _positive_int(data, "interchange_control_number", 999_999_999)
    created = _created_at(data)
    if not isinstance(data.test, bool):
        raise _problem("test", f"must be True or False, not {data.test!r}")

    tax_id = _ein(data)
    group_npi = _npi(data, "group_npi")
    provider_npi = _npi(data, "provider_npi")
    if group_npi == provider_npi:
        raise _problem("provider_npi", "is the group's NPI; the rendering provider needs "
                                       "their own (type 1) NPI")
    provider_taxonomy = _taxonomy(data, "provider_taxonomy")
    group_taxonomy = (_taxonomy(data, "group_taxonomy") if data.group_taxonomy
                      else provider_taxonomy)

    submitter_id = _identifier(data, "submitter_id", 15, 2, value=data.submitter_id or tax_id)
    payer_id = _identifier(data, "payer_id", 80, 2)
    receiver_id = _identifier(data, "receiver_id", 15, 2, value=data.receiver_id or payer_id)
    member_id = _identifier(data, "member_id", 80, 2)
    claim_id = _identifier(data, "claim_id", 20)

    group_name = _text(data, "group_name", 60)
    contact_name = _text(data, "contact_name", 60)
    payer_name = _text(data, "payer_name", 60)
    provider_last = _text(data, "provider_last_name", 60)
    provider_first = _text(data, "provider_first_name", 35)
    subscriber_last = _text(data, "subscriber_last_name", 60)
    subscriber_first = _text(data, "subscriber_first_name", 35)

    group = Party("85", False, group_name, id_qualifier="XX", id=group_npi,
                  address=_text(data, "group_address", 55),
                  city=_text(data, "group_city", 30),
                  state=_state(data, "group_state"), zip=_zip(data, "group_zip"))
    subscriber = Party("IL", True, subscriber_last, subscriber_first, "MI", member_id,
                       address=_text(data, "subscriber_address", 55),
                       city=_text(data, "subscriber_city", 30),
                       state=_state(data, "subscriber_state"),
                       zip=_zip(data, "subscriber_zip"))
    submitter = Party("41", False, group_name, id_qualifier="46", id=submitter_id)
    receiver = Party("40", False, payer_name, id_qualifier="46", id=receiver_id)
    payer = Party("PR", False, payer_name, id_qualifier="PI", id=payer_id)
    rendering = Party("82", True, provider_last, provider_first, "XX", provider_npi)

    birth = _date(data, "date_of_birth")
    service = _date(data, "service_date")
    if birth > service:
        raise _problem("date_of_birth", f"{birth} is after the service date {service}")
    if service > created.date():
        raise _problem("service_date", f"{service} is after the claim's creation "
                                       f"{created.date()}: bill services once given")
    gender = str(data.gender or "").strip().upper()
    if gender not in ("F", "M", "U"):
        raise _problem("gender", f"{data.gender!r} must be F, M or U")

    diagnosis = str(data.diagnosis_code or "").strip().upper().replace(".", "")
    if not _ICD10.match(diagnosis):
        raise _problem("diagnosis_code", f"{data.diagnosis_code!r} is not an ICD-10-CM code")
    cpt = str(data.cpt_code or "").strip().upper()
    if not _CPT.match(cpt):
        raise _problem("cpt_code", f"{data.cpt_code!r} is not a CPT/HCPCS code")
    modifiers = [str(m).strip().upper() for m in (data.modifiers or [])]
    if len(modifiers) > 4 or not all(_MODIFIER.match(m) for m in modifiers):
        raise _problem("modifiers", f"{data.modifiers!r}: at most four two-character modifiers")
    pos = str(data.place_of_service or "").strip()
    if not _POS.match(pos):
        raise _problem("place_of_service", f"{data.place_of_service!r} must be a two-digit code")
    filing = str(data.claim_filing_code or "").strip().upper()
    if filing not in CLAIM_FILING_CODES:
        raise _problem("claim_filing_code", f"{data.claim_filing_code!r} is not an SBR09 code")
    charge = _positive_int(data, "charge_cents", 99_999_999_99)
    units = _positive_int(data, "units", 9999)

    control = f"{icn:09d}"
    yymmdd, ccyymmdd, hhmm = (created.strftime("%y%m%d"), created.strftime("%Y%m%d"),
                              created.strftime("%H%M"))

    isa = _isa(submitter_id, receiver_id, yymmdd, hhmm, control, data.test)

    body = [
        ["ST", "837", "0001", VERSION],
        ["BHT", "0019", "00", control, ccyymmdd, hhmm, "CH"],
        # 1000A submitter, 1000B receiver
        submitter.nm1(),
        ["PER", "IC", contact_name, "TE", _phone(data)],
        receiver.nm1(),
        # 2000A billing provider
        ["HL", "1", "", "20", "1"],
        ["PRV", "BI", "PXC", group_taxonomy],
        group.nm1(),
        *group.address_segments(),
        ["REF", "EI", tax_id],
        # 2000B subscriber (who is the patient: HL04 = 0, SBR02 = 18 self)
        ["HL", "2", "1", "22", "0"],
        ["SBR", "P", "18", "", "", "", "", "", "", filing],
        subscriber.nm1(),
        *subscriber.address_segments(),
        ["DMG", "D8", birth.strftime("%Y%m%d"), gender],
        payer.nm1(),
        # 2300 claim
        ["CLM", claim_id, money(charge), "", "", [pos, "B", "1"], "Y", "A", "Y", "Y"],
        ["HI", ["ABK", diagnosis]],
        # 2310B rendering provider
        rendering.nm1(),
        ["PRV", "PE", "PXC", provider_taxonomy],
        # 2400 the service line
        ["LX", "1"],
        ["SV1", ["HC", cpt, *modifiers], money(charge), "UN", str(units), "", "", ["1"]],
        ["DTP", "472", "D8", service.strftime("%Y%m%d")],
    ]
    transaction = [_segment(elements) for elements in body]
    transaction.append(_segment(["SE", str(len(transaction) + 1), "0001"]))

    segments = [
        isa,
        _segment(["GS", "HC", submitter_id, receiver_id, ccyymmdd, hhmm, str(icn), "X", VERSION]),
        *transaction,
        _segment(["GE", "1", str(icn)]),
        _segment(["IEA", "1", control]),
    ]
    return "\n".join(segments) + "\n"


def _isa(sender, receiver, yymmdd, hhmm, control, test):
    """The fixed-width interchange header (106 characters with its terminator)."""
    segment = ELEMENT_SEPARATOR.join([
        "ISA", "00", " " * 10, "00", " " * 10,
        "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
        yymmdd, hhmm, REPETITION_SEPARATOR, "00501", control, "0",
        "T" if test else "P", COMPONENT_SEPARATOR,
    ]) + SEGMENT_TERMINATOR
    if len(segment) != ISA_LENGTH:  # ids are checked to fit, so this is a bug here
        raise AssertionError(f"ISA is {len(segment)} characters: {segment!r}")
    return segment


# --------------------------------------------------------------------------
# validation with pyx12


class _Collect(logging.Handler):
    """Keeps the pyx12 error records logged by one thread."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.thread = threading.get_ident()
        self.messages = []

    def emit(self, record):
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


def _json_errors(report):
    """Flatten pyx12's JSON error tree into readable lines."""
    found = []

    def add(where, errors):
        for error in errors:
            line = f"{where}: {error['err_cde']} {error['err_str']}"
            value = error.get("err_val")
            if value and f"({value})" not in line:
                line += f" ({value})"
            found.append(line)

    for isa in report.get("interchanges", []):
        add(f"ISA line {isa.get('cur_line')}", isa.get("errors", []))
        for gs in isa.get("groups", []):
            add(f"GS line {gs.get('cur_line')}", gs.get("errors", []))
            for st in gs.get("transactions", []):
                add(f"ST line {st.get('cur_line')}", st.get("errors", []))
                for seg in st.get("segments", []):
                    where = f"{seg.get('seg_id')} line {seg.get('cur_line')}"
                    add(where, seg.get("errors", []))
                    for ele in seg.get("elements", []):
                        name = ele.get("name") or ele.get("ele_ref_num") or ""
                        add(f"{where} element {ele.get('ele_pos')} {name}".rstrip(),
                            ele.get("errors", []))
    return found


def validate(text: str) -> list[str]:
    """pyx12's complaints about an X12 interchange; an empty list means valid.

    Runs pyx12.x12n_document in process on the text. pyx12 reports errors in
    three ways -- its return value, an error tree (read here through its JSON
    writer) and log records -- so all three are gathered: the tree gives the
    messages; log records cover failures before a tree exists (e.g. text that
    is not X12 at all); a False result with neither still yields a message.
    """
    import pyx12.errors
    import pyx12.params
    import pyx12.x12n_document

    params = pyx12.params.ParamsBase()  # defaults only: no ~/.pyx12.conf.xml
    source = io.StringIO(text)
    report = io.StringIO()
    collect = _Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(collect)
    try:
        ok = pyx12.x12n_document.x12n_document(
            param=params, src_file=source, fd_997=None, fd_html=None,
            fd_xmldoc=None, fd_json=report)
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as error:
        return [f"pyx12 could not read the interchange: {error}"]
    except Exception as error:  # pyx12 can trip over badly broken input
        return [f"pyx12 failed on the interchange: {type(error).__name__}: {error}"]
    finally:
        logger.removeHandler(collect)

    errors = []
    if report.getvalue():
        errors = _json_errors(json.loads(report.getvalue()))
    if not errors:
        # pyx12 names the source by its repr: say "the text" instead
        errors = [message.replace(str(source), "the text") for message in collect.messages]
    if not ok and not errors:
        errors = ["pyx12 reported the interchange invalid without saying why"]
    return errors
