"""The network's reference lists (payers, specialties, states…), cached briefly.

They change only when the team launches a state or adds a payer; every
search needs them, so each process keeps them for a minute. A change made in
this process clears the cache at once (see `forget`).
"""
import threading
import time
from typing import NamedTuple

from alma.network.models import Language, Modality, Payer, ServiceState, Specialty

TTL_SECONDS = 60
NAMED_KEPT = 5000
_lock = threading.Lock()
_cached = {"at": 0.0, "value": None}


class Vocabulary(NamedTuple):
    payers: dict        # slug -> Payer
    specialties: dict   # slug -> Specialty
    modalities: dict
    languages: dict
    states: dict        # code -> ServiceState
    payers_by_id: dict
    specialties_by_id: dict
    modalities_by_id: dict
    languages_by_id: dict
    # (bits, which table) -> names: a few hundred distinct sets, each asked for on
    # every card that shows it.
    named: dict

    def operating_states(self):
        return {code: s for code, s in self.states.items() if s.operating}

    def names(self, bits, by_id):
        """The names of the ids set in a bit set, alphabetically (a new list each time)."""
        key = (bits, id(by_id))  # by_id is one of this vocabulary's tables, alive with it
        found = self.named.get(key)
        if found is None:
            if len(self.named) >= NAMED_KEPT:
                self.named.clear()
            found = self.named[key] = tuple(sorted(
                row.name for row_id, row in by_id.items() if bits >> row_id & 1))
        return list(found)


def _load():
    def by_slug(model):
        return {row.slug: row for row in model.select().order_by(model.name)}

    payers = by_slug(Payer)
    specialties = by_slug(Specialty)
    modalities = by_slug(Modality)
    languages = by_slug(Language)
    return Vocabulary(
        payers=payers,
        specialties=specialties,
        modalities=modalities,
        languages=languages,
        states={s.code: s for s in ServiceState.select().order_by(ServiceState.name)},
        payers_by_id={p.id: p for p in payers.values()},
        specialties_by_id={s.id: s for s in specialties.values()},
        modalities_by_id={m.id: m for m in modalities.values()},
        languages_by_id={lang.id: lang for lang in languages.values()},
        named={},
    )


def current():
    now = time.monotonic()
    with _lock:
        if _cached["value"] is None or now - _cached["at"] > TTL_SECONDS:
            _cached["value"] = _load()
            _cached["at"] = now
        return _cached["value"]


def forget():
    with _lock:
        _cached["value"] = None
