"""Reading an 835 (005010X221A1), already validated by pyx12, into what posting needs.

BPR: what was paid, how, when; TRN: the trace number (TRN02) and the payer (TRN03); then
each claim's CLP with its CAS adjustments, MOA remarks and SVC service lines (their own CAS
and LQ remarks); PLB provider-level adjustments at the end. Amounts are integer cents and
each keeps the text of its segment.
"""
from dataclasses import dataclass, field

from alma.claims.x12read import X12Problem, cents, date, segments


@dataclass
class Cas:
    group: str
    reason: str
    amount_cents: int
    segment: str


@dataclass
class Line:
    procedure: str
    charge_cents: int
    paid_cents: int
    units: int
    segment: str
    service_date: object = None
    adjustments: list = field(default_factory=list)
    remarks: list = field(default_factory=list)


@dataclass
class ClaimRemit:
    patient_control_number: str
    status_code: str
    charge_cents: int
    paid_cents: int
    patient_cents: int
    payer_claim_number: str
    segment: str
    adjustments: list = field(default_factory=list)  # claim-level CAS
    remarks: list = field(default_factory=list)  # MOA remark codes
    lines: list = field(default_factory=list)
    text: list = field(default_factory=list)  # every segment of the loop

    def all_adjustments(self):
        return [*self.adjustments, *(a for line in self.lines for a in line.adjustments)]


@dataclass
class Plb:
    provider_identifier: str
    reason: str
    reference: str
    amount_cents: int
    segment: str


@dataclass
class Era:
    paid_cents: int
    method: str
    paid_on: object
    trace_number: str
    payer_identifier: str
    bpr_segment: str
    payer_name: str = ""
    claims: list = field(default_factory=list)
    provider_adjustments: list = field(default_factory=list)


def _cas(segment):
    """A CAS carries up to six reason/amount/quantity triples under one group."""
    found = []
    for start in range(2, 20, 3):
        reason = segment.get(start)
        if reason:
            found.append(Cas(segment.get(1), reason, cents(segment.get(start + 1)),
                             segment.text))
    return found


def _plb(segment):
    found = []
    for start in range(3, 15, 2):
        parts = segment.parts(start)
        if parts:
            found.append(Plb(segment.get(1), parts[0], parts[1] if len(parts) > 1 else "",
                             cents(segment.get(start + 1)), segment.text))
    return found


def read(text):
    """The first 835 transaction of an interchange."""
    era, claim, line, entity = None, None, None, ""
    for segment in segments(text):
        kind = segment.id
        if kind == "ST" and segment.get(1) != "835":
            raise X12Problem(f"not an 835 but a {segment.get(1)}")
        if kind == "BPR":
            sign = -1 if segment.get(3) == "D" else 1
            era = Era(sign * cents(segment.get(2)), segment.get(4), date(segment.get(16)),
                      "", "", segment.text)
        elif era is None:
            continue
        elif kind == "TRN":
            era.trace_number, era.payer_identifier = segment.get(2), segment.get(3)
        elif kind == "N1":
            entity = segment.get(1)
            if entity == "PR":
                era.payer_name = segment.get(2)
        elif kind == "CLP":
            claim = ClaimRemit(segment.get(1), segment.get(2), cents(segment.get(3)),
                               cents(segment.get(4)), cents(segment.get(5)), segment.get(7),
                               segment.text)
            line = None
            era.claims.append(claim)
        elif kind == "PLB":
            claim = line = None
            era.provider_adjustments.extend(_plb(segment))
        elif kind == "SE":
            break
        if claim is None or kind in ("CLP", "PLB"):
            if claim is not None:
                claim.text.append(segment.text)
            continue
        claim.text.append(segment.text)
        if kind == "SVC":
            line = Line(segment.get(1).replace(segment.component, ":"), cents(segment.get(2)),
                        cents(segment.get(3)), int(segment.get(5) or 1), segment.text)
            claim.lines.append(line)
        elif kind == "CAS":
            (line.adjustments if line else claim.adjustments).extend(_cas(segment))
        elif kind == "MOA":
            claim.remarks.extend(code for code in segment.elements[3:8] if code)
        elif kind == "LQ" and line is not None and segment.get(1) == "HE":
            line.remarks.append(segment.get(2))
        elif kind == "DTM" and line is not None and segment.get(1) in ("472", "150"):
            line.service_date = date(segment.get(2))
    if era is None:
        raise X12Problem("no payment (BPR) in the 835")
    if not era.trace_number:
        raise X12Problem("no trace number (TRN02) in the 835")
    return era
