"""Which of a 271's benefitsInformation rows a figure is read from, and the figures themselves.

Payers repeat rows: the same kind of benefit for the same service type, in network and out,
for the individual and the family, per visit and per year, and again differing only in
`additionalInformation` (a program, a tier, a note). Stedi's own UnitedHealthcare example
(tests/benefits/fixtures/) lists family out-of-pocket rows of $0 ("HIGHEST BENEFIT") before
$6,850 and $1,294.84, and a psychotherapy coinsurance of 0% for one program beside 20% for
the plan. A row is never used because it comes first. Among the rows of one kind (a copay, a
coinsurance, a deductible, an out-of-pocket maximum) for one service type:

1. Out-of-network rows (N) are never used (response.py drops them).
2. A row about facility care (a hospital or inpatient service type among its service types:
   a therapy session is an office or telehealth visit) only when no other row answers.
3. In network (Y), then both (W), then no indicator or U.
4. The individual's (IND), then the employee's (EMP), no level, other levels, the family's
   (FAM) last.
5. The time qualifier asked for, in its order: per visit (27) or none for a copay; calendar
   year (23), service year (22) or contract (25) for a total; remaining (29) for what is left.
6. Rows still tied conflict, and the largest figure is used: an estimate may be too high,
   never too low (responsibility.py), so a $0 is used only when every tied row says $0. What
   is left is taken first from the rows whose notes match the chosen total's, the two halves
   of one figure (6850 and 1294.84 above), then the largest.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


class Malformed(ValueError):
    """Part of a response that cannot be read."""


# Service types of care in a hospital or an inpatient facility: 48-52 hospital (inpatient,
# room and board, outpatient, emergency), A5 and A7 psychiatric room and board and inpatient,
# CE and CG mental-health provider and facility inpatient, CH mental-health facility outpatient.
FACILITY_TYPES = frozenset({"48", "49", "50", "51", "52", "A5", "A7", "CE", "CG", "CH"})
COPAY_TIMES = ("27", None)  # per visit, or no qualifier
TOTAL_TIMES = ("23", "22", "25")  # calendar year, service year, contract
REMAINING_TIMES = ("29",)

_NETWORK_RANK = {"Y": 0, "W": 1}  # then no indicator or U; N is never used
_LEVEL_RANK = {"IND": 0, "EMP": 1, None: 2}  # then other levels, family last


@dataclass
class Row:
    """One benefitsInformation item, the parts we read."""

    index: int
    code: str
    types: tuple
    level: str | None
    time: str | None
    network: str | None
    amount: object
    percent: object
    notes: tuple  # additionalInformation's descriptions
    item: dict

    @classmethod
    def of(cls, index, item):
        if not isinstance(item, dict):
            raise Malformed("a benefitsInformation item is not an object")
        types = item.get("serviceTypeCodes") or ()
        if isinstance(types, str):
            types = (types,)
        if not isinstance(types, (list, tuple)):
            raise Malformed("serviceTypeCodes is not a list")
        notes = item.get("additionalInformation") or ()
        if isinstance(notes, dict):
            notes = (notes,)
        if not isinstance(notes, (list, tuple)):
            raise Malformed("additionalInformation is not a list")

        def text(key):
            value = item.get(key)
            return str(value).strip() if value not in (None, "") else None

        return cls(index=index, code=text("code") or "", types=tuple(str(t) for t in types),
                   level=text("coverageLevelCode"), time=text("timeQualifierCode"),
                   network=text("inPlanNetworkIndicatorCode"), amount=item.get("benefitAmount"),
                   percent=item.get("benefitPercent"),
                   notes=tuple(sorted(str(note.get("description", "")).strip()
                                      for note in notes if isinstance(note, dict))),
                   item=item)

    @property
    def facility(self):
        return bool(FACILITY_TYPES.intersection(self.types))


def _size(value):
    """A figure to compare rows by; one that can't be read compares lowest (and raises
    Malformed only if its row is chosen)."""
    try:
        return _decimal(value, "figure")
    except Malformed:
        return Decimal(-1)


def best(rows, times=None, figure="amount", notes=None):
    """The row to read `figure` ("amount" or "percent") from, by the rules above; `times` the
    time qualifiers wanted, in order (None: any); `notes` those of the total a remaining
    amount belongs with. None when there are no rows."""
    def rank(row):
        time = 0 if times is None else (times.index(row.time) if row.time in times
                                        else len(times))
        return (row.facility, _NETWORK_RANK.get(row.network, 2),
                _LEVEL_RANK.get(row.level, 4 if row.level == "FAM" else 3), time,
                notes is not None and row.notes != notes, -_size(getattr(row, figure)),
                row.index)

    return min(rows, key=rank) if rows else None


def _decimal(value, what):
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Malformed(f"{what} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Malformed(f"{what} is not a number: {value!r}")
    if not number.is_finite() or number < 0:
        raise Malformed(f"{what} is out of range: {value!r}")
    return number


def cents(value):
    """Dollars ("25", "1200.00", 33.33) as integer cents, exactly (sub-cents round half up)."""
    return int((_decimal(value, "benefitAmount") * 100).quantize(Decimal(1), ROUND_HALF_UP))


def basis_points(value):
    """A fraction 0.0-1.0 ("0.2") as basis points (2000)."""
    number = _decimal(value, "benefitPercent")
    if number > 1:
        raise Malformed(f"benefitPercent is not a fraction: {value!r}")
    return int((number * 10000).quantize(Decimal(1), ROUND_HALF_UP))


# Who may hold a plan's mental-health benefits when named on an active-coverage (code 1) row:
# a payer or an administrator, never a provider, employer, or another plan's coordination of
# benefits. An entity without an identifier code is taken at its word.
HOLDERS = frozenset({"Payer", "Third-Party Administrator", "Managed Care Organization",
                     "Utilization Management Organization", "Vendor", None})
# entityIdentification codes: PI payor identification (the administrator's payer ID); MI
# member identification and II unique health identifier (the member's ID with it). Stedi's
# carve-out guide: "entityIdentificationValue contains the patient's member ID for the
# carveout admin" when present, so a value without a code is read as a member ID too.
MEMBER_ID_CODES = frozenset({"MI", "II", None})


def _entities(row):
    found = row.item.get("benefitsRelatedEntities") or []
    if isinstance(found, dict):
        found = [found]
    return [entity for entity in found if isinstance(entity, dict)] \
        if isinstance(found, list) else []


def _text(entity, key):
    return str(entity.get(key) or "").strip() or None


def holders(row, payer_ids=(), payer_names=()):
    """The entities on a row that may hold the benefits: any a code U row names; on a code 1
    row only a payer or an administrator that isn't the answering payer itself."""
    if row.code == "U":
        return _entities(row)
    found = []
    for entity in _entities(row):
        payer_id = _text(entity, "entityIdentificationValue") \
            if entity.get("entityIdentification") == "PI" else None
        name = (_text(entity, "entityName") or "").upper()
        if entity.get("entityIdentifier") in HOLDERS and name \
                and payer_id not in payer_ids and name not in payer_names:
            found.append(entity)
    return found


def _name(entity):
    """An organisation's name, or a person's first and last name (entityName holds the last
    name of a person, entityFirstname the first)."""
    return " ".join(part for part in (_text(entity, "entityFirstname"),
                                      _text(entity, "entityName")
                                      or _text(entity, "entityLastName")) if part) or None


def _identified(entities, codes):
    return next((_text(entity, "entityIdentificationValue") for entity in entities
                 if _text(entity, "entityIdentification") in codes
                 and _text(entity, "entityIdentificationValue")), None)


def administrator(entities):
    """(name, payer id, member id) of the entity holding the benefits: the first that names
    itself or gives a payer id, with the ids that any entity of that name gives (a payer may
    name an administrator twice: with its payer id, and with the member's ID there)."""
    first = next((entity for entity in entities
                  if _name(entity) or _identified([entity], {"PI"})), None)
    if first is None:
        return None, None, None
    name = _name(first)
    same = [entity for entity in entities if _name(entity) in (name, None)]
    return name, _identified(same, {"PI"}), _identified(same, MEMBER_ID_CODES)
