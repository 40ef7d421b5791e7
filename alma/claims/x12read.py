"""Reading X12 that comes back (999, 277CA, 835): segments and elements, with the
delimiters the sender chose (ISA gives them), and amounts as integer cents.

Validation is pyx12's (x12_validation.validate); this only splits what it accepted.
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


class X12Problem(ValueError):
    """Text that can't be read as the transaction it claims to be."""


@dataclass(frozen=True)
class Segment:
    elements: tuple
    text: str  # as it came (without its terminator): what an amount is traced to
    component: str

    @property
    def id(self):
        return self.elements[0]

    def get(self, position, default=""):
        """Element `position` (1-based, as X12 numbers them), or default."""
        return self.elements[position] if position < len(self.elements) else default

    def parts(self, position):
        """A composite element's components."""
        value = self.get(position)
        return value.split(self.component) if value else []


def segments(text):
    """The segments of an interchange, reading the delimiters from its ISA."""
    text = (text or "").lstrip()
    if not text.startswith("ISA") or len(text) < 106:
        raise X12Problem("not an X12 interchange (no ISA)")
    element, component, terminator = text[3], text[104], text[105]
    found = []
    for raw in text.split(terminator):
        raw = raw.strip("\r\n ")
        if raw:
            found.append(Segment(tuple(raw.split(element)), raw, component))
    return found


def cents(value):
    """An X12 decimal ("125", "-87.5", "0.01") as integer cents; never through a float."""
    try:
        amount = Decimal(value or "0")
    except InvalidOperation:
        raise X12Problem(f"not an amount: {value!r}") from None
    result = amount * 100
    if result != result.to_integral_value():
        raise X12Problem(f"an amount in fractions of a cent: {value!r}")
    return int(result)


def date(value):
    """CCYYMMDD as a date, or None."""
    try:
        return datetime.datetime.strptime(value, "%Y%m%d").date() if value else None
    except ValueError:
        raise X12Problem(f"not a date: {value!r}") from None


def transaction_set(text):
    """The ST01 of the first transaction: "835", "277", "999"…"""
    for segment in segments(text):
        if segment.id == "ST":
            return segment.get(1)
    raise X12Problem("no transaction (ST) in the interchange")
