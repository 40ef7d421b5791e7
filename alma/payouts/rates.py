"""The group's rate for a provider: what it pays them for a session, by code and date.

The rates are the team's (migration 0019 seeds defaults: 80% of the group's Optum rate for
each code, to the dollar; `flask payouts set-rate` sets them, `flask payouts rates` lists).
A rate for the provider's licence type comes before the general one; the rate is the one in
force on the day of the session.
"""
from alma.benefits.models import CPT_CODES
from alma.db import db
from alma.network.models import License
from alma.payouts.models import PayRate


def licence_types(provider_id):
    return sorted({row.license_type for row in
                   License.select(License.license_type).where(License.provider == provider_id)})


def rates_for(visits, types):
    """{visit id: its PayRate, or None when the team has set none for its code and day},
    for many visits of one provider (licence `types`) in one query: a rate for one of the
    licence types comes first, then the general one; the latest in force on the day."""
    codes = sorted({visit.cpt_code for visit in visits})
    if not codes:
        return {}
    kinds = PayRate.license_type.is_null()
    if types:
        kinds |= PayRate.license_type.in_(types)
    rows = list(PayRate.select().where(PayRate.cpt_code.in_(codes) & kinds)
                .order_by(PayRate.starts_on.desc(), PayRate.id.desc()))
    found = {}
    for visit in visits:
        fitting = [row for row in rows if row.cpt_code == visit.cpt_code
                   and row.starts_on <= visit.held_on]
        found[visit.id] = next((row for row in fitting if row.license_type is not None),
                               fitting[0] if fitting else None)
    return found


def current_rates(provider_id, on):
    """{code: PayRate} in force on `on` for this provider (for their page)."""
    types = licence_types(provider_id)
    specific, general = {}, {}
    for row in (PayRate.select().where(PayRate.starts_on <= on)
                .order_by(PayRate.cpt_code, PayRate.starts_on.desc(), PayRate.id.desc())):
        if row.license_type is None:
            general.setdefault(row.cpt_code, row)
        elif row.license_type in types:
            specific.setdefault(row.cpt_code, row)
    return {**general, **specific}


def set_rate(cpt_code, cents, starts_on, license_type=None):
    """The team's new rate for a code (and licence type) from a day; a rate set again for
    the same day replaces it. Sessions before that day keep the rate they had."""
    if cpt_code not in CPT_CODES:
        raise ValueError(f"unknown service code {cpt_code}")
    if isinstance(cents, bool) or not isinstance(cents, int) or cents < 0:
        raise ValueError("a rate is a whole number of cents, zero or more")
    key = ((PayRate.cpt_code == cpt_code) & (PayRate.starts_on == starts_on)
           & (PayRate.license_type.is_null() if license_type is None
              else PayRate.license_type == license_type))
    with db.atomic():
        existing = PayRate.get_or_none(key)
        if existing is not None:
            existing.cents = cents
            existing.save()
            return existing
        return PayRate.create(cpt_code=cpt_code, license_type=license_type, cents=cents,
                              starts_on=starts_on)
