"""A small 837P (005010X222A1) writer: one professional claim, one service line.

`claim_837p(data)` turns a `ClaimData` into the text of a whole interchange (ISA ... IEA)
that a clearinghouse accepts; x12_validation.validate(text) runs pyx12's validator over
such text.

The billing provider is the group (NPI type 2, tax id in REF*EI); the rendering provider
is the individual clinician; the subscriber is the patient (so no 2000C loop). Money goes
in as integer cents and is written from them exactly, never through a float. Each field
is checked and cleaned first (x12_fields.py); impossible data raises ClaimDataProblem (a
ValueError) naming the field.
"""
import datetime
from dataclasses import dataclass

from alma.claims import x12_fields as fields
from alma.claims.x12_fields import ClaimDataProblem
from alma.x12text import (COMPONENT_SEPARATOR, DELIMITERS, ELEMENT_SEPARATOR, REPETITION_SEPARATOR,
                          SEGMENT_TERMINATOR)

VERSION = "005010X222A1"
ISA_LENGTH = 106  # including the segment terminator


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
    frequency_code: str = "1"         # CLM05-3: 1 original, 7 replacement, 8 void
    payer_claim_number: str = ""      # REF*F8, the payer's CLP07: required for 7 and 8


def money(cents):
    """Integer cents as an X12 decimal: 12500 -> "125", 12345 -> "123.45", 12340 -> "123.4"."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise ClaimDataProblem(f"amount must be integer cents, not {cents!r}")
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    if rest == 0:
        return f"{sign}{dollars}"
    return f"{sign}{dollars}.{rest:02d}".rstrip("0")


def segment(elements):
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


def claim_837p(data: ClaimData) -> str:
    """The whole interchange for one claim, a segment per line."""
    icn = fields.positive_int(data, "interchange_control_number", 999_999_999)
    created = fields.created_at(data)
    if not isinstance(data.test, bool):
        raise fields.problem("test", f"must be True or False, not {data.test!r}")

    tax_id = fields.tax_id(data)
    group_npi = fields.npi(data, "group_npi")
    provider_npi = fields.npi(data, "provider_npi")
    if group_npi == provider_npi:
        raise fields.problem("provider_npi", "is the group's NPI; the rendering provider "
                                             "needs their own (type 1) NPI")
    provider_taxonomy = fields.taxonomy(data, "provider_taxonomy")
    group_taxonomy = (fields.taxonomy(data, "group_taxonomy") if data.group_taxonomy
                      else provider_taxonomy)

    submitter_id = fields.identifier(data, "submitter_id", 15, 2,
                                     value=data.submitter_id or tax_id)
    payer_id = fields.identifier(data, "payer_id", 80, 2)
    receiver_id = fields.identifier(data, "receiver_id", 15, 2,
                                    value=data.receiver_id or payer_id)
    member_id = fields.identifier(data, "member_id", 80, 2)
    claim_id = fields.identifier(data, "claim_id", 20)

    group_name = fields.text(data, "group_name", 60)
    contact_name = fields.text(data, "contact_name", 60)
    payer_name = fields.text(data, "payer_name", 60)
    provider_last = fields.text(data, "provider_last_name", 60)
    provider_first = fields.text(data, "provider_first_name", 35)
    subscriber_last = fields.text(data, "subscriber_last_name", 60)
    subscriber_first = fields.text(data, "subscriber_first_name", 35)

    group = Party("85", False, group_name, id_qualifier="XX", id=group_npi,
                  address=fields.text(data, "group_address", 55),
                  city=fields.text(data, "group_city", 30),
                  state=fields.state(data, "group_state"),
                  zip=fields.zip_code(data, "group_zip"))
    subscriber = Party("IL", True, subscriber_last, subscriber_first, "MI", member_id,
                       address=fields.text(data, "subscriber_address", 55),
                       city=fields.text(data, "subscriber_city", 30),
                       state=fields.state(data, "subscriber_state"),
                       zip=fields.zip_code(data, "subscriber_zip"))
    submitter = Party("41", False, group_name, id_qualifier="46", id=submitter_id)
    receiver = Party("40", False, payer_name, id_qualifier="46", id=receiver_id)
    payer = Party("PR", False, payer_name, id_qualifier="PI", id=payer_id)
    rendering = Party("82", True, provider_last, provider_first, "XX", provider_npi)

    birth = fields.date(data, "date_of_birth")
    service = fields.date(data, "service_date")
    if birth > service:
        raise fields.problem("date_of_birth", f"{birth} is after the service date {service}")
    if service > created.date():
        raise fields.problem("service_date", f"{service} is after the claim's creation "
                                             f"{created.date()}: bill services once given")
    gender = fields.gender(data)
    diagnosis = fields.diagnosis(data)
    cpt = fields.cpt(data)
    modifiers = fields.modifiers(data)
    pos = fields.place_of_service(data)
    filing = fields.filing_code(data)
    charge = fields.positive_int(data, "charge_cents", 99_999_999_99)
    units = fields.positive_int(data, "units", 9999)
    frequency, original = fields.frequency(data)

    control = f"{icn:09d}"
    yymmdd, ccyymmdd, hhmm = (created.strftime("%y%m%d"), created.strftime("%Y%m%d"),
                              created.strftime("%H%M"))

    isa = interchange_header(submitter_id, receiver_id, yymmdd, hhmm, control, data.test)

    body = [
        ["ST", "837", "0001", VERSION],
        ["BHT", "0019", "00", control, ccyymmdd, hhmm, "CH"],
        # 1000A submitter, 1000B receiver
        submitter.nm1(),
        ["PER", "IC", contact_name, "TE", fields.phone(data)],
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
        ["CLM", claim_id, money(charge), "", "", [pos, "B", frequency], "Y", "A", "Y", "Y"],
        # A replacement or void names the claim it acts on by the payer's number for it.
        *([["REF", "F8", original]] if original else []),
        ["HI", ["ABK", diagnosis]],
        # 2310B rendering provider
        rendering.nm1(),
        ["PRV", "PE", "PXC", provider_taxonomy],
        # 2400 the service line
        ["LX", "1"],
        ["SV1", ["HC", cpt, *modifiers], money(charge), "UN", str(units), "", "", ["1"]],
        ["DTP", "472", "D8", service.strftime("%Y%m%d")],
    ]
    transaction = [segment(elements) for elements in body]
    transaction.append(segment(["SE", str(len(transaction) + 1), "0001"]))

    segments = [
        isa,
        segment(["GS", "HC", submitter_id, receiver_id, ccyymmdd, hhmm, str(icn), "X", VERSION]),
        *transaction,
        segment(["GE", "1", str(icn)]),
        segment(["IEA", "1", control]),
    ]
    return "\n".join(segments) + "\n"


def interchange_header(sender, receiver, yymmdd, hhmm, control, test):
    """The fixed-width interchange header (106 characters with its terminator); the
    sandbox clearinghouse writes its answers with it too."""
    segment = ELEMENT_SEPARATOR.join([
        "ISA", "00", " " * 10, "00", " " * 10,
        "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
        yymmdd, hhmm, REPETITION_SEPARATOR, "00501", control, "0",
        "T" if test else "P", COMPONENT_SEPARATOR,
    ]) + SEGMENT_TERMINATOR
    if len(segment) != ISA_LENGTH:  # ids are checked to fit, so this is a bug here
        raise AssertionError(f"ISA is {len(segment)} characters: {segment!r}")
    return segment
