"""Reading acknowledgements: the 999 (005010X231A1: did the batch's syntax pass?) and the
277CA (005010X214: did each claim enter adjudication?), already validated by pyx12.

A 277CA's claim-level status is the STC after TRN*2*<our patient control number>; its first
element is category:status:entity. Categories A1/A2 (and A0) mean received or accepted into
adjudication; A3, A6, A7, A8 mean the claim was returned and never adjudicated.
"""
from dataclasses import dataclass, field

from alma.claims.x12read import segments

ACCEPTED_CATEGORIES = ("A0", "A1", "A2", "A5")
REJECTED_CATEGORIES = ("A3", "A4", "A6", "A7", "A8")

# 999 AK9/IK5 codes: A accepted, E accepted with errors, R rejected, M/W/X rejected too.
BATCH_ACCEPTED = ("A", "E")


@dataclass
class BatchAck:
    group_control_number: str  # AK1-02: our 837's GS06
    code: str  # IK5 (or AK9) 01
    segment: str

    @property
    def accepted(self):
        return self.code in BATCH_ACCEPTED


@dataclass
class Status:
    category: str
    status: str
    entity: str
    segment: str


@dataclass
class ClaimAck:
    patient_control_number: str
    payer_claim_number: str = ""
    statuses: list = field(default_factory=list)

    @property
    def rejected(self):
        return any(s.category in REJECTED_CATEGORIES for s in self.statuses)

    @property
    def accepted(self):
        return not self.rejected and any(s.category in ACCEPTED_CATEGORIES
                                         for s in self.statuses)


def read_999(text):
    """(group control number, code) for each AK1 of a 999."""
    found, current = [], None
    for segment in segments(text):
        if segment.id == "AK1":
            current = BatchAck(segment.get(2), "", segment.text)
            found.append(current)
        elif segment.id in ("IK5", "AK9") and current is not None and not current.code:
            current.code = segment.get(1)
            current.segment = segment.text
    return found


def read_277ca(text):
    """Each claim's acknowledgement in a 277CA: the TRN*2 and STCs of each patient level
    (HL03 PT); the receiver and provider levels above it count claims, not name them."""
    found, current, level = [], None, ""
    for segment in segments(text):
        if segment.id == "HL":
            current, level = None, segment.get(3)
        elif segment.id == "TRN" and segment.get(1) == "2" and level == "PT":
            current = ClaimAck(segment.get(2))
            found.append(current)
        elif segment.id == "STC" and current is not None:
            parts = segment.parts(1) + ["", "", ""]
            current.statuses.append(Status(parts[0], parts[1], parts[2], segment.text))
        elif segment.id == "REF" and current is not None and segment.get(1) == "1K":
            current.payer_claim_number = segment.get(2)
    return found
