"""Reading a clearinghouse's JSON 271 (parse_response on its own): which rows count, exact
amounts, and answers that can't be read."""
import pytest

from alma.benefits.eligibility import EligibilityUnavailable, MemberNotFound
from alma.benefits.response import parse_response


def answer(*rows, **extra):
    return {"benefitsInformation": [{"code": "1", "serviceTypeCodes": ["30"]}, *rows], **extra}


def test_out_of_network_rows_are_never_used():
    payload = answer(
        {"code": "B", "serviceTypeCodes": ["MH"], "benefitAmount": "80",
         "inPlanNetworkIndicatorCode": "N", "coverageLevelCode": "IND"},
        {"code": "B", "serviceTypeCodes": ["MH"], "benefitAmount": "15",
         "inPlanNetworkIndicatorCode": "Y", "coverageLevelCode": "IND"},
        {"code": "C", "serviceTypeCodes": ["30"], "benefitAmount": "9000",
         "timeQualifierCode": "23", "inPlanNetworkIndicatorCode": "N"},
        {"code": "C", "serviceTypeCodes": ["30"], "benefitAmount": "250",
         "timeQualifierCode": "23", "inPlanNetworkIndicatorCode": "Y"})
    benefits = parse_response(payload)
    assert (benefits.copay_cents, benefits.deductible_cents, benefits.network) == (1500, 25000,
                                                                                   "Y")

    only_out = answer({"code": "B", "serviceTypeCodes": ["MH"], "benefitAmount": "80",
                       "inPlanNetworkIndicatorCode": "N"})
    assert parse_response(only_out).copay_cents is None


def test_amounts_and_percents_are_exact():
    payload = answer(
        {"code": "B", "serviceTypeCodes": ["MH"], "benefitAmount": "33.33",
         "inPlanNetworkIndicatorCode": "Y"},
        {"code": "A", "serviceTypeCodes": ["MH"], "benefitPercent": "0.125",
         "inPlanNetworkIndicatorCode": "Y"},
        {"code": "C", "serviceTypeCodes": ["MH"], "benefitAmount": 1234.56,
         "timeQualifierCode": "23", "inPlanNetworkIndicatorCode": "Y"},
        {"code": "C", "serviceTypeCodes": ["MH"], "benefitAmount": 7,
         "timeQualifierCode": "29", "inPlanNetworkIndicatorCode": "Y"},
        {"code": "G", "serviceTypeCodes": ["30"], "benefitAmount": "4.35",
         "timeQualifierCode": "29", "inPlanNetworkIndicatorCode": "Y"})
    benefits = parse_response(payload)
    assert (benefits.copay_cents, benefits.coinsurance_bp, benefits.deductible_cents,
            benefits.deductible_remaining_cents, benefits.oop_max_cents,
            benefits.oop_remaining_cents) == (3333, 1250, 123456, 700, None, 435)


def test_mental_health_in_network_individual_rows_are_preferred():
    def copay(service_type, dollars, network, **more):
        return {"code": "B", "timeQualifierCode": "27", "serviceTypeCodes": [service_type],
                "benefitAmount": dollars, "inPlanNetworkIndicatorCode": network, **more}

    payload = answer(
        copay("30", "5", "Y"), copay("A6", "6", "Y"), copay("MH", "7", "W"),
        copay("MH", "8", "Y", coverageLevelCode="FAM"),
        copay("MH", "70", "Y", coverageLevelCode="IND", timeQualifierCode="7"),  # a day
        copay("MH", "9", "Y", coverageLevelCode="IND"),
        {"code": "C", "serviceTypeCodes": ["30"], "benefitAmount": "100",
         "timeQualifierCode": "23"},
        {"code": "C", "serviceTypeCodes": ["A6"], "benefitAmount": "200",
         "timeQualifierCode": "23"})
    benefits = parse_response(payload)
    assert (benefits.copay_cents, benefits.network, benefits.service_type) == (900, "Y", "MH")
    # A mental-health deductible (A6) before the plan's (30).
    assert benefits.deductible_cents == 20000

    # In network "W" when there is no "Y"; the plan's deductible when no mental-health one.
    payload["benefitsInformation"] = [
        item for item in payload["benefitsInformation"]
        if item.get("inPlanNetworkIndicatorCode") != "Y" and item["serviceTypeCodes"] != ["A6"]]
    benefits = parse_response(payload)
    assert (benefits.copay_cents, benefits.network, benefits.deductible_cents) == (700, "W",
                                                                                   10000)


def test_only_plan_level_numbers_come_from_service_type_30():
    payload = answer({"code": "B", "serviceTypeCodes": ["30"], "benefitAmount": "40",
                      "inPlanNetworkIndicatorCode": "Y"},
                     {"code": "G", "serviceTypeCodes": ["30"], "benefitAmount": "3000",
                      "timeQualifierCode": "23", "inPlanNetworkIndicatorCode": "Y"})
    benefits = parse_response(payload)
    assert (benefits.outcome, benefits.copay_cents, benefits.oop_max_cents,
            benefits.service_type) == ("active", None, 300000, "30")


@pytest.mark.parametrize("payload", [
    None, [], {}, {"benefitsInformation": []},
    answer({"code": "B", "serviceTypeCodes": ["MH"], "benefitAmount": "twenty"}),
    answer({"code": "B", "serviceTypeCodes": ["MH"], "benefitAmount": "-5"}),
    answer({"code": "A", "serviceTypeCodes": ["MH"], "benefitPercent": "20"}),
    {"benefitsInformation": [{"code": "B", "serviceTypeCodes": ["MH"], "benefitAmount": "5"}]},
    {"benefitsInformation": ["1"]},
])
def test_malformed_responses_are_unavailable(payload):
    with pytest.raises(EligibilityUnavailable) as raised:
        parse_response(payload)
    assert type(raised.value) is EligibilityUnavailable
    assert raised.value.reason == "bad_response"
    assert str(raised.value) == ("The insurance company's answer couldn't be read. Nothing was "
                                 "saved; try again in a few minutes.")


@pytest.mark.parametrize("code, kind, reason", [
    ("42", EligibilityUnavailable, "payer_error"), ("80", EligibilityUnavailable, "payer_error"),
    ("72", MemberNotFound, "member_not_found"), ("73", MemberNotFound, "member_not_found"),
    ("75", MemberNotFound, "member_not_found")])
def test_aaa_errors(code, kind, reason):
    payload = {"subscriber": {"aaaErrors": [{"field": "AAA", "code": code}]}}
    with pytest.raises(EligibilityUnavailable) as raised:
        parse_response(payload, "Oscar")
    assert (type(raised.value), raised.value.reason) == (kind, reason)


def test_a_lasting_payer_error_says_what_the_payer_said():
    payload = {"errors": [{"field": "AAA", "code": "43",
                           "description": "Invalid/Missing Provider Identification"}]}
    with pytest.raises(EligibilityUnavailable) as raised:
        parse_response(payload, "Oscar")
    assert raised.value.reason == "payer_error"
    assert str(raised.value) == ("Oscar turned this check down (Invalid/Missing Provider "
                                 "Identification). Nothing was saved; please let us know so we "
                                 "can look into it.")
