"""Stedi's own documented example answers (and two written from its documented shape), read
as a person would read them: fixtures/README.md says where each comes from."""
import copy
import dataclasses
import json
from pathlib import Path

import pytest

from alma.benefits.eligibility import Benefits, EligibilityUnavailable
from alma.benefits.response import interpret, parse_response

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def fields(benefits):
    return {key: value for key, value in dataclasses.asdict(benefits).items() if key != "raw"}


def expected(outcome, **values):
    """What parse_response should give, built when a test asks (by name, so a field that
    doesn't exist fails that test, not the whole file)."""
    return lambda: fields(Benefits(outcome, **values))


# What a person reads off each answer, for an in-network therapy visit.
READ_OFF = {
    # Psychotherapy (A6) in network: no copay, 20% coinsurance (0% is AbleTo's program, one
    # row of several); the family deductible of $3,200 is met; $1,294.84 is left of the
    # family's $6,850 out-of-pocket maximum. Not the $0 "HIGHEST BENEFIT" rows listed first.
    "stedi-unitedhealthcare-200": expected(
        "active", plan_name="CHOICE PLUS", network="Y", copay_cents=0, coinsurance_bp=2000,
        deductible_cents=320000, deductible_remaining_cents=0, oop_max_cents=685000,
        oop_remaining_cents=129484, service_type="A6"),
    # Outpatient mental health (MH): a $30 copay and 0% coinsurance (the 20% is for hospital
    # care); the $500 deductible and $7,000 out-of-pocket maximum (contract period) untouched.
    "stedi-aetna-200": expected(
        "active", plan_name="Gold Plan", network="Y", copay_cents=3000, coinsurance_bp=0,
        deductible_cents=50000, deductible_remaining_cents=50000, oop_max_cents=700000,
        oop_remaining_cents=700000, service_type="MH"),
    # Psychotherapy (A6): a $20 copay, 0% coinsurance; the individual's $250 deductible with
    # $250 left, $2,760 left of the $3,000 out-of-pocket maximum.
    "stedi-open-access-plus-200": expected(
        "active", plan_name="Open Access Plus", network="Y", copay_cents=2000, coinsurance_bp=0,
        deductible_cents=25000, deductible_remaining_cents=25000, oop_max_cents=300000,
        oop_remaining_cents=276000, service_type="A6"),
    # Written here (not Stedi's): Magellan holds the mental-health benefits, named on the MH
    # active-coverage row with the member's Magellan ID; the plan's own figures don't apply.
    "ours-carve-out-on-active-coverage-200": expected(
        "carve_out", plan_name="BLUE PPO 2000", service_type="MH",
        carve_out_name="MAGELLAN BEHAVIORAL HEALTH", carve_out_member_id="MBH1234567"),
}


@pytest.mark.parametrize("name", sorted(READ_OFF))
def test_each_documented_answer_reads_as_a_person_reads_it(name):
    payload = fixture(name)
    assert fields(parse_response(payload)) == READ_OFF[name]()
    assert fields(interpret(200, payload, "The plan")) == READ_OFF[name]()


def test_every_fixture_is_read_by_a_test():
    read = set(READ_OFF) | {"stedi-invalid-provider-name-400", "ours-request-validation-400"}
    assert {path.stem for path in FIXTURES.glob("*.json")} == read


def test_the_order_of_repeated_rows_changes_nothing():
    # "First come" is no rule: the same rows in reverse give the same figures.
    for name in ("stedi-unitedhealthcare-200", "stedi-aetna-200", "stedi-open-access-plus-200"):
        payload = fixture(name)
        payload["benefitsInformation"].reverse()
        assert fields(parse_response(payload)) == READ_OFF[name](), name


def test_a_zero_is_used_when_every_tied_row_says_zero():
    payload = fixture("stedi-unitedhealthcare-200")
    rows = payload["benefitsInformation"]
    # Only the "HIGHEST BENEFIT" out-of-pocket rows of $0: then $0 is what the answer says.
    rows[:] = [row for row in rows if row["code"] != "G"
               or "HIGHEST BENEFIT" in json.dumps(row.get("additionalInformation"))]
    benefits = parse_response(payload)
    assert (benefits.oop_max_cents, benefits.oop_remaining_cents) == (0, 0)


def test_what_is_left_pairs_with_its_total_by_their_notes():
    # Two family out-of-pocket maximums with what is left of each: the larger total, and
    # what is left of that one (its notes match), not the larger remaining amount.
    def row(time, amount, note):
        return {"code": "G", "serviceTypeCodes": ["30"], "coverageLevelCode": "FAM",
                "inPlanNetworkIndicatorCode": "Y", "timeQualifierCode": time,
                "benefitAmount": amount, "additionalInformation": [{"description": note}]}

    payload = {"benefitsInformation": [
        {"code": "1", "serviceTypeCodes": ["30"]},
        row("23", "4000", "TIER 1"), row("29", "3900", "TIER 1"),
        row("23", "6000", "TIER 2"), row("29", "2500", "TIER 2")]}
    benefits = parse_response(payload)
    assert (benefits.oop_max_cents, benefits.oop_remaining_cents) == (600000, 250000)


def test_a_payers_aaa_error_in_a_400_is_the_payers_answer():
    with pytest.raises(EligibilityUnavailable) as raised:
        interpret(400, fixture("stedi-invalid-provider-name-400"), "Blue Shield")
    assert (raised.value.reason, raised.value.code) == ("payer_error", "44")
    assert str(raised.value) == ("Blue Shield turned this check down (Invalid/Missing Provider "
                                 "Name). Nothing was saved; please let us know so we can look "
                                 "into it.")


def test_a_request_validation_400_is_our_mistake_not_try_again():
    with pytest.raises(EligibilityUnavailable) as raised:
        interpret(400, fixture("ours-request-validation-400"), "Aetna")
    problem = raised.value
    assert problem.reason == "request_invalid"
    assert problem.detail == "2 validation errors detected"
    assert [field.split(":")[0] for field in problem.fields] == ["/provider/npi",
                                                                 "/subscriber/dateOfBirth"]
    assert str(problem) == (
        "We couldn't ask Aetna about your benefits because of a mistake in our request. It has "
        "been reported to our team; trying again won't help until we fix it. Nothing was "
        "saved. Meanwhile, the number on your insurance card can tell you your benefits.")
    assert "try again in" not in str(problem)
    # Told about another payer (after a carve-out), it keeps what the clearinghouse named.
    assert problem.about("Magellan").fields == problem.fields


def test_a_carve_out_on_an_active_coverage_row_gives_its_ids():
    payload = fixture("ours-carve-out-on-active-coverage-200")
    magellan = payload["benefitsInformation"][1]["benefitsRelatedEntities"]
    # Named a second time with its payer ID: both ids are read.
    magellan.append({**magellan[0], "entityIdentification": "PI",
                     "entityIdentificationValue": "MBH01"})
    benefits = parse_response(payload)
    assert (benefits.outcome, benefits.carve_out_name, benefits.carve_out_payer_id,
            benefits.carve_out_member_id) == ("carve_out", "MAGELLAN BEHAVIORAL HEALTH",
                                              "MBH01", "MBH1234567")


def test_the_payer_itself_or_a_provider_on_an_active_row_is_no_carve_out():
    payload = fixture("ours-carve-out-on-active-coverage-200")
    mental_health = payload["benefitsInformation"][1]
    for entity in ({"entityIdentifier": "Payer", "entityName": "EXAMPLE BLUE HEALTH PLAN"},
                   {"entityIdentifier": "Payer", "entityName": "Blue",
                    "entityIdentification": "PI", "entityIdentificationValue": "EXBLU"},
                   {"entityIdentifier": "Provider", "entityName": "A THERAPY PRACTICE",
                    "entityIdentification": "XX", "entityIdentificationValue": "1999999984"}):
        changed = copy.deepcopy(payload)
        changed["benefitsInformation"][1] = {**mental_health,
                                             "benefitsRelatedEntities": [entity]}
        benefits = parse_response(changed)
        assert (benefits.outcome, benefits.carve_out_name) == ("active", None), entity
        assert benefits.deductible_remaining_cents == 145050


def test_an_active_row_naming_an_administrator_beside_costs_is_no_carve_out():
    payload = fixture("ours-carve-out-on-active-coverage-200")
    payload["benefitsInformation"].append(
        {"code": "B", "serviceTypeCodes": ["MH"], "benefitAmount": "40",
         "coverageLevelCode": "IND", "timeQualifierCode": "27",
         "inPlanNetworkIndicatorCode": "Y"})
    benefits = parse_response(payload)
    assert (benefits.outcome, benefits.copay_cents, benefits.carve_out_name) == (
        "active", 4000, None)
