"""Credentialing cases still in review, by how many days they have been open and by payer:
the team dashboard's chart. Counted by the database, a row per payer and age band."""
import datetime

from peewee import SQL, Case, fn

from alma.clock import today
from alma.network.models import Payer
from alma.program.models import SUBMITTED, CredentialingCase

# (the most days open in the band, its label); the last band has no end.
BANDS = ((15, "0–15"), (30, "16–30"), (45, "31–45"), (60, "46–60"), (90, "61–90"),
         (None, "91+"))


def by_age(on=None):
    """Returns (band labels, [(payer name, [cases per band])]), payers by name."""
    on = on or today()
    band = Case(None, [(CredentialingCase.opened_on >= on - datetime.timedelta(days=most), i)
                       for i, (most, _) in enumerate(BANDS) if most is not None],
                len(BANDS) - 1)
    rows = (CredentialingCase.select(Payer.name, band, fn.COUNT(CredentialingCase.id))
            .join(Payer).where(CredentialingCase.status == SUBMITTED)
            .group_by(Payer.name, SQL("2")).tuples())
    payers = {}
    for name, index, count in rows:
        payers.setdefault(name, [0] * len(BANDS))[int(index)] += count
    return [label for _, label in BANDS], sorted(payers.items())
