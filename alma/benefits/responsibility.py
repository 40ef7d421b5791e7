"""What a client pays for a visit under their benefits, and how sure we are of it.

The rule (DOMAIN.md, and the issue): the deductible first, then coinsurance (a percent of
what is left of the allowed amount) or the copay; the out-of-pocket maximum caps the
total; never negative, never more than the allowed amount. All in integer cents.

Where a plan may do better for the client than this rule (some waive the deductible for
copay visits), the estimate is the higher figure and says so: an estimate may be too high,
never too low. That is how a surprise bill is avoided.
"""
from dataclasses import dataclass, field

HIGH, MEDIUM, LOW = "high", "medium", "low"


@dataclass(frozen=True)
class Terms:
    copay_cents: int | None = None
    coinsurance_bp: int | None = None  # basis points: 2000 is 20%
    deductible_remaining_cents: int | None = None
    oop_remaining_cents: int | None = None

    @classmethod
    def of(cls, check):
        return cls(check.copay_cents, check.coinsurance_bp, check.deductible_remaining_cents,
                   check.oop_remaining_cents)


@dataclass(frozen=True)
class Share:
    allowed_cents: int
    deductible_cents: int = 0
    coinsurance_cents: int = 0
    copay_cents: int = 0

    @property
    def total_cents(self):
        return self.deductible_cents + self.coinsurance_cents + self.copay_cents

    @property
    def insurer_cents(self):
        return self.allowed_cents - self.total_cents


def _at_least_zero(cents):
    return max(0, cents or 0)


def share(allowed_cents, terms):
    """The client's part of one visit the insurer allows `allowed_cents` for."""
    allowed = _at_least_zero(allowed_cents)
    deductible = min(allowed, _at_least_zero(terms.deductible_remaining_cents))
    rest = allowed - deductible
    # Payers often answer a copay plan with "0% coinsurance" too, and a coinsurance plan
    # with no copay. Where both are real, the larger one is used: never too low.
    percent = min(10_000, _at_least_zero(terms.coinsurance_bp))
    by_percent = (rest * percent + 5_000) // 10_000  # to the nearest cent, half up
    by_copay = min(rest, _at_least_zero(terms.copay_cents))
    coinsurance = copay = 0
    if by_percent > by_copay:
        coinsurance = by_percent
    else:
        copay = by_copay
    if terms.oop_remaining_cents is not None:
        # The out-of-pocket maximum caps the total: what is over it is taken off the
        # last parts first (the copay or coinsurance, then the deductible).
        parts = [copay, coinsurance, deductible]
        over = sum(parts) - _at_least_zero(terms.oop_remaining_cents)
        for i, part in enumerate(parts):
            taken = min(part, max(over, 0))
            parts[i] -= taken
            over -= taken
        copay, coinsurance, deductible = parts
    return Share(allowed, deductible, coinsurance, copay)


@dataclass
class Certainty:
    level: str
    reasons: list = field(default_factory=list)

    @property
    def label(self):
        return {HIGH: "A firm estimate", MEDIUM: "A likely estimate",
                LOW: "A rough estimate"}[self.level]


def certainty(check, estimate=None):
    """How sure an estimate from this check is, with the reasons in plain words."""
    reasons, level = [], HIGH

    def lower(to, reason):
        nonlocal level
        reasons.append(reason)
        if (to, level) in ((MEDIUM, HIGH), (LOW, HIGH), (LOW, MEDIUM)):
            level = to

    if check.gateway == "self_reported":
        lower(LOW, "These are the numbers you noted from your call; we couldn't check them "
                   "with your insurer.")
    if check.network in (None, "U"):
        lower(LOW, "Your insurer didn't say whether these are in-network benefits.")
    elif check.network == "W":
        lower(MEDIUM, "Your insurer gave the same benefits in and out of network.")
    if check.copay_cents and check.coinsurance_bp:
        lower(MEDIUM, "Your insurer gave both a copay and a coinsurance; we show the larger.")
    if check.copay_cents is None and check.coinsurance_bp is None:
        lower(LOW, "Your insurer didn't give a copay or coinsurance for therapy visits.")
    remaining = check.deductible_remaining_cents
    if remaining is None:
        lower(MEDIUM, "Your insurer didn't say how much of your deductible is left.")
    elif remaining > 0:
        lower(MEDIUM, "You haven't met your deductible yet: other claims in process can "
                      "change how much of it this visit uses.")
        if check.copay_cents and not check.coinsurance_bp:
            lower(MEDIUM, "Some plans waive the deductible for copay visits: if yours does, "
                          "you'll pay only the copay. We show the higher amount.")
    if check.carved_out_from:
        reasons.append(f"{check.carved_out_from} passes mental-health benefits to "
                       f"{check.carve_out_name or 'another company'}; we checked with them.")
    if not reasons:
        reasons.append("Your insurer confirmed in-network mental-health benefits with a "
                       "set amount, and your deductible is met.")
    return Certainty(level, reasons)
