"""The 837P writer: its output passes pyx12, and pyx12 really catches broken output."""
import dataclasses
import datetime

import pytest

from alma.claims.x12 import ClaimData, claim_837p, money
from alma.claims.x12_fields import ClaimDataProblem
from alma.claims.x12_validation import validate
from alma.x12text import clean_text


def make_claim(**changes):
    data = ClaimData(
        interchange_control_number=42,
        created_at=datetime.datetime(2025, 3, 4, 15, 30, tzinfo=datetime.timezone.utc),
        test=True,
        group_name="Alma Health Group",
        group_tax_id="12-3456789",
        group_npi="1234567893",
        group_address="123 Main St, Suite 4",
        group_city="New York",
        group_state="NY",
        group_zip="10001-1234",
        group_phone="(212) 555-0100",
        contact_name="Billing Team",
        payer_name="Example Health Plan",
        payer_id="60054",
        provider_first_name="Jane",
        provider_last_name="Smith",
        provider_npi="1245319599",
        provider_taxonomy="101YP2500X",
        subscriber_first_name="Sam",
        subscriber_last_name="Rivera",
        member_id="W123456789",
        date_of_birth=datetime.date(1990, 5, 6),
        gender="F",
        subscriber_address="9 Elm St",
        subscriber_city="Brooklyn",
        subscriber_state="NY",
        subscriber_zip="11201",
        claim_id="C000123",
        diagnosis_code="F41.1",
        service_date=datetime.date(2025, 3, 1),
        cpt_code="90834",
        modifiers=["95"],
        place_of_service="10",
        charge_cents=12500,
    )
    return dataclasses.replace(data, **changes)


def segments(text):
    return [line.rstrip("~") for line in text.splitlines() if line]


def find(text, segment_id):
    found = [s.split("*") for s in segments(text) if s.split("*")[0] == segment_id]
    assert found, f"no {segment_id} segment"
    return found


@pytest.fixture(scope="module")
def telehealth():
    return claim_837p(make_claim())


@pytest.fixture(scope="module")
def office():
    return claim_837p(make_claim(place_of_service="11", modifiers=[]))


def test_telehealth_claim_validates(telehealth):
    assert validate(telehealth) == []
    assert find(telehealth, "CLM")[0][5] == "10:B:1"
    assert find(telehealth, "SV1")[0][1] == "HC:90834:95"


def test_office_claim_validates(office):
    assert validate(office) == []
    assert find(office, "CLM")[0][5] == "11:B:1"
    assert find(office, "SV1")[0][1] == "HC:90834"


def test_telehealth_and_office_charge_the_same(telehealth, office):
    assert find(telehealth, "CLM")[0][2] == find(office, "CLM")[0][2] == "125"
    assert find(telehealth, "SV1")[0][2] == find(office, "SV1")[0][2] == "125"
    differing = [(a, b) for a, b in zip(segments(telehealth), segments(office)) if a != b]
    assert [a.split("*")[0] for a, _ in differing] == ["CLM", "SV1"]


def test_isa_is_fixed_width_and_se_counts_segments(telehealth):
    lines = telehealth.splitlines()
    assert len(lines[0]) == 106
    assert lines[0].startswith("ISA*00*          *00*          *ZZ*123456789      *ZZ*60054")
    assert lines[0].endswith("*000000042*0*T*:~")
    parts = segments(telehealth)
    start = next(i for i, s in enumerate(parts) if s.startswith("ST*"))
    end = next(i for i, s in enumerate(parts) if s.startswith("SE*"))
    assert find(telehealth, "SE")[0][1] == str(end - start + 1)
    assert find(telehealth, "IEA")[0] == ["IEA", "1", "000000042"]


def test_production_flag_and_utc_time():
    eastern = datetime.timezone(datetime.timedelta(hours=-5))
    text = claim_837p(make_claim(
        test=False, created_at=datetime.datetime(2025, 3, 4, 22, 15, tzinfo=eastern)))
    isa = text.splitlines()[0]
    assert isa[102] == "P"
    assert "*250305*0315*" in isa


def test_identifiers_and_codes_written_as_x12_wants(telehealth):
    assert find(telehealth, "REF")[0] == ["REF", "EI", "123456789"]
    assert find(telehealth, "HI")[0] == ["HI", "ABK:F411"]
    assert ["NM1", "85", "2", "ALMA HEALTH GROUP", "", "", "", "", "XX", "1234567893"] \
        in find(telehealth, "NM1")
    assert ["NM1", "IL", "1", "RIVERA", "SAM", "", "", "", "MI", "W123456789"] \
        in find(telehealth, "NM1")
    assert ["NM1", "PR", "2", "EXAMPLE HEALTH PLAN", "", "", "", "", "PI", "60054"] \
        in find(telehealth, "NM1")
    assert ["PRV", "PE", "PXC", "101YP2500X"] in find(telehealth, "PRV")
    assert find(telehealth, "SBR")[0] == ["SBR", "P", "18", "", "", "", "", "", "", "CI"]
    assert find(telehealth, "DTP")[0] == ["DTP", "472", "D8", "20250301"]
    assert find(telehealth, "N4")[0] == ["N4", "NEW YORK", "NY", "100011234"]


def test_accents_and_delimiters_are_cleaned_and_still_validate():
    text = claim_837p(make_claim(subscriber_first_name="Zoë", subscriber_last_name="O*Brien~",
                                 subscriber_address="12 Rue de l'Église: Apt ^3",
                                 contact_name="Renée Müller"))
    subscriber = next(n for n in find(text, "NM1") if n[1] == "IL")
    assert subscriber[3:5] == ["O BRIEN", "ZOE"]
    assert ["N3", "12 RUE DE L'EGLISE APT 3"] in find(text, "N3")
    assert find(text, "PER")[0][2] == "RENEE MULLER"
    assert text.isascii()
    assert validate(text) == []


def test_clean_text_drops_what_cannot_be_sent_and_trims():
    assert clean_text("  ßen  Ørsted 漢字 ") == "SSEN ORSTED"
    assert clean_text("a" * 80, 60) == "A" * 60
    assert clean_text("*~:^") == ""


def test_long_names_are_trimmed_to_element_length():
    text = claim_837p(make_claim(subscriber_last_name="X" * 100, group_address="Y " * 40))
    assert next(n for n in find(text, "NM1") if n[1] == "IL")[3] == "X" * 60
    assert len(find(text, "N3")[0][1]) <= 55
    assert validate(text) == []


def test_dropping_clm_is_caught(telehealth):
    broken = "\n".join(line for line in telehealth.splitlines() if not line.startswith("CLM*"))
    errors = validate(broken)
    assert errors
    assert any("CLM" in e or "HI" in e for e in errors)


def test_wrong_se_count_is_caught(telehealth):
    count = find(telehealth, "SE")[0][1]
    broken = telehealth.replace(f"SE*{count}*", f"SE*{int(count) + 1}*")
    errors = validate(broken)
    assert any("SE count" in e for e in errors)


def test_not_x12_is_caught():
    assert validate("hello") != []


def test_money_from_integer_cents():
    text = claim_837p(make_claim(charge_cents=12345))
    assert find(text, "CLM")[0][2] == "123.45"
    assert find(text, "SV1")[0][2] == "123.45"
    assert money(12500) == "125"
    assert money(12340) == "123.4"
    assert money(5) == "0.05"
    assert money(100000001) == "1000000.01"
    with pytest.raises(ClaimDataProblem):
        money(123.45)


@pytest.mark.parametrize("changes, field", [
    ({"group_npi": "1234567890"}, "group_npi"),          # check digit wrong
    ({"provider_npi": "12345"}, "provider_npi"),
    ({"group_tax_id": "00-1234567"}, "group_tax_id"),    # no such EIN prefix
    ({"group_tax_id": "12-34567"}, "group_tax_id"),
    ({"charge_cents": 0}, "charge_cents"),
    ({"charge_cents": -100}, "charge_cents"),
    ({"charge_cents": 125.0}, "charge_cents"),
    ({"cpt_code": "9083"}, "cpt_code"),
    ({"cpt_code": "90834*"}, "cpt_code"),
    ({"subscriber_last_name": "  "}, "subscriber_last_name"),
    ({"provider_first_name": "~*"}, "provider_first_name"),
    ({"group_name": ""}, "group_name"),
    ({"gender": "X"}, "gender"),
    ({"diagnosis_code": "41.1"}, "diagnosis_code"),
    ({"modifiers": ["9"]}, "modifiers"),
    ({"claim_id": "C" * 21}, "claim_id"),
    ({"member_id": "W12*34"}, "member_id"),
    ({"interchange_control_number": 0}, "interchange_control_number"),
    ({"interchange_control_number": 1_000_000_000}, "interchange_control_number"),
    ({"units": 0}, "units"),
    ({"group_zip": "1000"}, "group_zip"),
    ({"subscriber_state": "New York"}, "subscriber_state"),
    ({"service_date": datetime.date(2025, 3, 5)}, "service_date"),  # after created_at
    ({"date_of_birth": datetime.date(2025, 3, 2)}, "date_of_birth"),
    ({"claim_filing_code": "XX"}, "claim_filing_code"),
    ({"provider_npi": "1234567893"}, "provider_npi"),    # same as the group's
])
def test_impossible_data_is_refused(changes, field):
    with pytest.raises(ClaimDataProblem, match=field):
        claim_837p(make_claim(**changes))
