"""pyx12's XML maps are parsed once per process, however many reports are read and
however many threads read them at once; sharing them changes no validation result."""
import threading

import pytest
import pyx12.map_if

from alma.claims import x12_validation
from alma.claims.x12 import claim_837p
from alma.claims.x12_validation import validate
from tests.claims.test_x12 import make_claim


@pytest.fixture
def parsed(monkeypatch):
    """The names of the maps pyx12 builds from XML while the test runs."""
    built = []
    original = pyx12.map_if.map_if.__init__

    def counting(self, eroot, param, base_path=None):
        built.append(eroot.get("xid"))
        original(self, eroot, param, base_path)

    monkeypatch.setattr(pyx12.map_if.map_if, "__init__", counting)
    return built


def test_the_maps_are_parsed_once_for_many_reports(parsed):
    text = claim_837p(make_claim())
    assert validate(text) == []
    parsed.clear()
    for _ in range(3):
        assert validate(text) == []
    assert parsed == []
    broken = text.replace("NM1*IL*1*", "NM1*IL*9*")
    assert validate(broken) and parsed == []


def test_threads_starting_together_parse_each_map_once(parsed, monkeypatch):
    monkeypatch.setattr(x12_validation, "_maps", {})
    text = claim_837p(make_claim())
    start, results = threading.Barrier(4), []

    def read():
        start.wait()
        results.append(validate(text))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [[]] * 4
    assert sorted(parsed) == sorted(set(parsed)) and len(parsed) == 2  # control + 837P
