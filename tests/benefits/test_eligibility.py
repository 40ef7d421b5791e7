"""Benefit checks against the sandbox clearinghouse, over real HTTP on loopback and in-process."""
import copy
import dataclasses
import datetime
import socket
import time

import pytest

from alma.benefits import sandbox
from alma.benefits.clearinghouse import (HttpClearinghouse, SandboxClearinghouse, build_request,
                                         check_following_carve_out, gateway)
from alma.benefits.eligibility import Benefits, EligibilityUnavailable, MemberNotFound, Subscriber

NPI = "1245319599"
GROUP = "Alma Health Group"
AETNA = "60054"


def member(member_id):
    return Subscriber(member_id, "Jane", "Doe", datetime.date(1987, 3, 9))


@pytest.fixture(scope="module")
def clearinghouse_url():
    server, url = sandbox.serve()
    yield url
    sandbox.shutdown(server)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fields(benefits):
    """A Benefits' fields without the raw response."""
    return {key: value for key, value in dataclasses.asdict(benefits).items() if key != "raw"}


def expected(outcome, **values):
    return fields(Benefits(outcome, **values))


EXPECTED = {
    "ALMA-ACTIVE-COPAY": expected(
        "active", plan_name="Choice Plus", network="Y", copay_cents=2500, coinsurance_bp=0,
        deductible_cents=50000, deductible_remaining_cents=0, oop_max_cents=300000,
        oop_remaining_cents=210000, service_type="MH"),
    "ALMA-COINS-DEDUCT": expected(
        "active", plan_name="Gold PPO 1500", network="Y", coinsurance_bp=2000,
        deductible_cents=150000, deductible_remaining_cents=120000, oop_max_cents=400000,
        oop_remaining_cents=360000, service_type="MH"),
    "ALMA-INACTIVE": expected("inactive", plan_name="Silver HMO",
                              coverage_ends_on=datetime.date(2025, 3, 31)),
    "ALMA-CARVE-OUT": expected("carve_out", plan_name="Navigate HMO", service_type="MH",
                               carve_out_name="Optum Behavioral Health",
                               carve_out_payer_id="OBH01"),
    "ALMA-NOT-COVERED": expected("not_covered", plan_name="Bronze Essential",
                                 service_type="MH"),
    "ALMA-OOP-MET": expected(
        "active", plan_name="Platinum Choice", network="W", coinsurance_bp=1000,
        deductible_cents=100000, deductible_remaining_cents=0, oop_max_cents=500000,
        oop_remaining_cents=0, service_type="MH"),
}


@pytest.mark.parametrize("member_id", sorted(EXPECTED))
def test_each_documented_member_over_http_and_in_process(clearinghouse_url, member_id):
    over_http = HttpClearinghouse(clearinghouse_url, timeout=5).check(
        AETNA, member(member_id), NPI, GROUP)
    assert fields(over_http) == EXPECTED[member_id]
    assert over_http.raw["subscriber"]["memberId"] == member_id
    assert over_http.raw["tradingPartnerServiceId"] == AETNA

    in_process = SandboxClearinghouse().check(AETNA, member(member_id), NPI, GROUP)
    assert fields(in_process) == fields(over_http)


def test_every_documented_member_has_a_test():
    errors = {"ALMA-PAYER-ERROR", "ALMA-TIMEOUT", "ALMA-SERVER-ERROR", "ALMA-GARBLED"}
    assert set(sandbox.TEST_MEMBERS) == set(EXPECTED) | errors


def test_the_control_number_is_echoed_and_nine_digits(clearinghouse_url):
    benefits = HttpClearinghouse(clearinghouse_url).check(
        AETNA, member("ALMA-ACTIVE-COPAY"), NPI, GROUP)
    number = benefits.raw["controlNumber"]
    assert len(number) == 9 and number.isdigit()


class Recording:
    """A gateway that records the payer ids it is asked about."""

    def __init__(self, inner):
        self.inner, self.asked = inner, []

    def check(self, payer_id, subscriber, provider_npi, organization_name):
        self.asked.append(payer_id)
        return self.inner.check(payer_id, subscriber, provider_npi, organization_name)


@pytest.mark.parametrize("over_http", [True, False])
def test_a_carve_out_is_followed_once(clearinghouse_url, over_http):
    inner = HttpClearinghouse(clearinghouse_url) if over_http else SandboxClearinghouse()
    recording = Recording(inner)
    benefits = check_following_carve_out(recording, AETNA, "Aetna", member("ALMA-CARVE-OUT"),
                                         NPI, GROUP)
    assert recording.asked == [AETNA, "OBH01"]
    assert fields(benefits) == expected(
        "active", plan_name="Behavioral Health", network="Y", copay_cents=3000,
        service_type="MH", carve_out_name="Optum Behavioral Health", carve_out_payer_id="OBH01",
        carved_out_from="Aetna")


def test_a_carve_out_never_loops():
    class AlwaysCarvedOut:
        asked = []

        def check(self, payer_id, subscriber, provider_npi, organization_name):
            self.asked.append(payer_id)
            return Benefits("carve_out", carve_out_name=f"After {payer_id}",
                            carve_out_payer_id=f"{payer_id}X")

    always = AlwaysCarvedOut()
    benefits = check_following_carve_out(always, "P", "First", member("X"), NPI, GROUP)
    assert always.asked == ["P", "PX"]
    assert (benefits.outcome, benefits.carve_out_name, benefits.carve_out_payer_id,
            benefits.carved_out_from) == ("carve_out", "After PX", "PXX", "First")


def test_a_carve_out_without_a_payer_id_is_returned_as_is():
    answer = Benefits("carve_out", carve_out_name="Magellan")

    class Once:
        asked = 0

        def check(self, *args):
            self.asked += 1
            return answer

    once = Once()
    assert check_following_carve_out(once, "P", "First", member("X"), NPI, GROUP) is answer
    assert once.asked == 1 and answer.carved_out_from is None


def test_a_member_the_carve_out_entity_does_not_know_names_both(monkeypatch):
    real = sandbox.respond

    def forgetful(request):
        if request["tradingPartnerServiceId"] == "OBH01":
            request = copy.deepcopy(request)
            request["subscriber"]["memberId"] = "SOMEONE-ELSE"
        return real(request)

    monkeypatch.setattr(sandbox, "respond", forgetful)
    with pytest.raises(MemberNotFound) as raised:
        check_following_carve_out(SandboxClearinghouse(), AETNA, "Aetna",
                                  member("ALMA-CARVE-OUT"), NPI, GROUP)
    assert str(raised.value).startswith(
        "Optum Behavioral Health (which handles mental-health benefits for Aetna) couldn't "
        "find this member.")
    assert raised.value.carve_out.carve_out_name == "Optum Behavioral Health"


def test_a_timeout_over_http_is_reported_plainly(clearinghouse_url):
    started = time.monotonic()
    with pytest.raises(EligibilityUnavailable) as raised:
        HttpClearinghouse(clearinghouse_url, timeout=0.5).check(
            AETNA, member("ALMA-TIMEOUT"), NPI, GROUP)
    assert time.monotonic() - started < 3
    assert raised.value.reason == "timeout"
    assert str(raised.value) == ("Aetna didn't answer in time. Nothing was saved; try again in "
                                 "a few minutes.")


def test_the_in_process_sandbox_times_out_at_once_without_sleeping():
    started = time.monotonic()
    with pytest.raises(EligibilityUnavailable) as raised:
        SandboxClearinghouse(timeout=10).check("XYZ", member("ALMA-TIMEOUT"), NPI, GROUP)
    assert time.monotonic() - started < 1
    assert raised.value.reason == "timeout"
    assert str(raised.value).startswith("The insurance company didn't answer in time.")


def test_a_refused_connection_is_unreachable():
    with pytest.raises(EligibilityUnavailable) as raised:
        HttpClearinghouse(f"http://127.0.0.1:{closed_port()}/", timeout=2).check(
            AETNA, member("ALMA-ACTIVE-COPAY"), NPI, GROUP)
    assert raised.value.reason == "unreachable"
    assert str(raised.value) == ("We couldn't get through to Aetna to check benefits. Nothing "
                                 "was saved; try again in a few minutes.")


@pytest.mark.parametrize("member_id, reason", [("ALMA-SERVER-ERROR", "unreachable"),
                                               ("ALMA-GARBLED", "bad_response")])
def test_server_errors_and_non_json_are_unavailable(clearinghouse_url, member_id, reason):
    for gateway_ in (HttpClearinghouse(clearinghouse_url), SandboxClearinghouse()):
        with pytest.raises(EligibilityUnavailable) as raised:
            gateway_.check(AETNA, member(member_id), NPI, GROUP)
        assert raised.value.reason == reason
        assert type(raised.value) is EligibilityUnavailable
        assert "Nothing was saved" in str(raised.value)


def test_a_payer_error_is_unavailable_not_inactive(clearinghouse_url):
    for gateway_ in (HttpClearinghouse(clearinghouse_url), SandboxClearinghouse()):
        with pytest.raises(EligibilityUnavailable) as raised:
            gateway_.check(AETNA, member("ALMA-PAYER-ERROR"), NPI, GROUP)
        assert type(raised.value) is EligibilityUnavailable
        assert (raised.value.reason, raised.value.code) == ("payer_error", "42")
        assert str(raised.value) == ("Aetna can't answer benefit checks right now. Nothing was "
                                     "saved; try again in a few minutes.")


def test_the_payer_name_given_is_used_in_messages():
    with pytest.raises(EligibilityUnavailable) as raised:
        check_following_carve_out(SandboxClearinghouse(), "OSC-NEW", "Oscar Health",
                                  member("ALMA-PAYER-ERROR"), NPI, GROUP)
    assert str(raised.value).startswith("Oscar Health can't answer benefit checks right now.")
    assert raised.value.reason == "payer_error"


def test_an_unknown_member_is_not_found(clearinghouse_url):
    for gateway_ in (HttpClearinghouse(clearinghouse_url), SandboxClearinghouse()):
        with pytest.raises(MemberNotFound) as raised:
            gateway_.check(AETNA, member("W123456789"), NPI, GROUP)
        assert isinstance(raised.value, EligibilityUnavailable)
        assert (raised.value.reason, raised.value.code) == ("member_not_found", "72")
        assert str(raised.value) == ("Aetna couldn't find this member. Check the member ID and "
                                     "date of birth against the insurance card, then try again.")


def test_the_api_key_is_sent_as_the_authorization_header():
    server, url = sandbox.serve(api_key="sk_test_123")
    try:
        with pytest.raises(EligibilityUnavailable) as raised:
            HttpClearinghouse(url).check(AETNA, member("ALMA-ACTIVE-COPAY"), NPI, GROUP)
        assert raised.value.reason == "unreachable"
        assert "refused our request" in str(raised.value)
        benefits = HttpClearinghouse(url, api_key="sk_test_123").check(
            AETNA, member("ALMA-ACTIVE-COPAY"), NPI, GROUP)
        assert benefits.copay_cents == 2500
    finally:
        sandbox.shutdown(server)


def test_the_request_has_the_documented_shape():
    subscriber = Subscriber(" W123 ", "Jane", "Doe", datetime.date(1987, 3, 9))
    assert build_request(AETNA, subscriber, NPI, GROUP, 42) == {
        "controlNumber": "000000042",
        "tradingPartnerServiceId": "60054",
        "provider": {"organizationName": "Alma Health Group", "npi": "1245319599"},
        "subscriber": {"memberId": "W123", "firstName": "Jane", "lastName": "Doe",
                       "dateOfBirth": "19870309"},
        "encounter": {"serviceTypeCodes": ["30"]},
    }
    with pytest.raises(ValueError):
        build_request(AETNA, subscriber, NPI, GROUP, "12345")


def test_the_sandbox_refuses_a_malformed_request():
    request = build_request(AETNA, member("ALMA-ACTIVE-COPAY"), NPI, GROUP, "123456789")
    del request["subscriber"]["dateOfBirth"]
    request["provider"]["npi"] = "12345"
    status, body, delay = sandbox.respond(request)
    assert (status, delay) == (400, 0.0)
    # Stedi's shape for a request that breaks its rules (ValidationException).
    assert body["message"] == "2 validation errors detected"
    assert [field["path"] for field in body["fieldList"]] == ["/provider/npi",
                                                              "/subscriber/dateOfBirth"]
    assert sandbox.respond("nonsense")[0] == 400


def test_the_sandbox_answers_look_real():
    request = build_request(AETNA, member("ALMA-ACTIVE-COPAY"), NPI, GROUP, "987654321")
    status, body, delay = sandbox.respond(request)
    assert (status, delay) == (200, 0.0)
    assert body["controlNumber"] == "987654321"
    rows = body["benefitsInformation"]
    assert {row.get("inPlanNetworkIndicatorCode") for row in rows} >= {"Y", "N"}
    assert {row.get("coverageLevelCode") for row in rows} >= {"IND", "FAM"}
    assert all(isinstance(row.get("benefitAmount", ""), str) for row in rows)


def test_the_configured_gateway(app, monkeypatch):
    with app.app_context():
        monkeypatch.setitem(app.config, "ELIGIBILITY_GATEWAY", "sandbox")
        assert isinstance(gateway(), SandboxClearinghouse)
        monkeypatch.setitem(app.config, "ELIGIBILITY_GATEWAY", "http")
        monkeypatch.setitem(app.config, "ELIGIBILITY_URL",
                            "https://healthcare.us.stedi.com/2024-04-01")
        monkeypatch.setitem(app.config, "ELIGIBILITY_API_KEY", "key")
        monkeypatch.setitem(app.config, "ELIGIBILITY_TIMEOUT_SECONDS", 4.0)
        http = gateway()
        assert (type(http), http.url, http.api_key, http.timeout) == (
            HttpClearinghouse, "https://healthcare.us.stedi.com/2024-04-01"
            "/change/medicalnetwork/eligibility/v3", "key", 4.0)
        monkeypatch.setitem(app.config, "ELIGIBILITY_GATEWAY", "none")
        assert gateway() is None
