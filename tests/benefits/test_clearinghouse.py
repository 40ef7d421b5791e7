"""What a real clearinghouse (Stedi) needs from the HTTP client: its base address, the API key
as configured, a minute's wait, and its request-validation 400 told apart from a payer's
answer; and the member's ID with a carve-out administrator used for the second check."""
import datetime
import json
import logging

import pytest

from alma.benefits import clearinghouse, sandbox
from alma.benefits.clearinghouse import (HttpClearinghouse, SandboxClearinghouse,
                                         check_following_carve_out)
from alma.benefits.eligibility import Benefits, EligibilityUnavailable, Subscriber
from alma.config import from_environment
from alma.logs import JsonFormatter
from tests.conftest import csrf_token_from

STEDI = "https://healthcare.us.stedi.com/2024-04-01"
PATH = "/change/medicalnetwork/eligibility/v3"
NPI, GROUP, AETNA = "1245319599", "Alma Health Group", "60054"
JANE = Subscriber("ALMA-ACTIVE-COPAY", "Jane", "Doe", datetime.date(1987, 3, 9))


@pytest.fixture
def served():
    """The sandbox over HTTP: (its base address, the server), Stedi's path only."""
    server, url = sandbox.serve(api_key="sk_test_bare")
    yield url, server
    sandbox.shutdown(server)


@pytest.fixture
def benefit_log():
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(JsonFormatter().format(record)))

    handler, logger = Keep(), logging.getLogger("alma.benefits")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_stedis_documented_base_address_gets_the_eligibility_path(served):
    url, _ = served
    # Stedi's base, with or without a trailing slash, and the full legacy address all work.
    for setting in (url, url + "/", url + PATH, f" {url}{PATH}/ "):
        client = HttpClearinghouse(setting, api_key="sk_test_bare", timeout=5)
        assert client.url == url + PATH
        assert client.check(AETNA, JANE, NPI, GROUP).copay_cents == 2500
    assert clearinghouse.eligibility_url(STEDI) == STEDI + PATH
    assert clearinghouse.eligibility_url(STEDI + PATH) == STEDI + PATH
    # Change Healthcare's own address for the same endpoint is already a full one.
    change = "https://apigw.changehealthcare.com/medicalnetwork/eligibility/v3"
    assert clearinghouse.eligibility_url(change) == change


def test_the_api_key_is_sent_as_configured_and_a_refused_bearer_key_is_explained(
        served, benefit_log):
    url, _ = served
    # Stedi wants the bare key; a "Bearer " prefix isn't rewritten, but the log says why a
    # check is refused, without the key.
    with pytest.raises(EligibilityUnavailable) as raised:
        HttpClearinghouse(url, api_key="Bearer sk_test_bare", timeout=5).check(
            AETNA, JANE, NPI, GROUP)
    assert "refused our request" in str(raised.value)
    refused = next(line for line in benefit_log if line["level"] == "error")
    assert refused["status"] == 401 and "without \"Bearer \"" in refused["hint"]
    assert "sk_test_bare" not in json.dumps(benefit_log)

    benefit_log.clear()
    assert HttpClearinghouse(url, api_key="sk_test_bare", timeout=5).check(
        AETNA, JANE, NPI, GROUP).copay_cents == 2500
    assert benefit_log == []


def test_a_check_waits_up_to_a_minute_by_default():
    # Payers can take up to a minute (Stedi's docs): 10 seconds turned slow answers into
    # failures.
    assert HttpClearinghouse(STEDI).timeout == 60.0
    assert SandboxClearinghouse().timeout == 60.0
    assert from_environment("instance", {"ALMA_ENV": "test"})[
        "ELIGIBILITY_TIMEOUT_SECONDS"] == 60.0
    # The sandbox's slow insurer is slower than that, so it still times out.
    with pytest.raises(EligibilityUnavailable) as raised:
        SandboxClearinghouse().check(AETNA, Subscriber("ALMA-TIMEOUT", "Jane", "Doe",
                                                       datetime.date(1987, 3, 9)), NPI, GROUP)
    assert raised.value.reason == "timeout"


@pytest.mark.parametrize("over_http", [True, False])
def test_a_request_the_clearinghouse_refuses_as_invalid_is_our_mistake(
        served, benefit_log, over_http):
    url, _ = served
    gateway = HttpClearinghouse(url, api_key="sk_test_bare", timeout=5) if over_http \
        else SandboxClearinghouse()
    # A wrong ALMA_GROUP_NPI: every check would fail alike, so retrying can't help.
    with pytest.raises(EligibilityUnavailable) as raised:
        gateway.check(AETNA, JANE, "12345", GROUP)
    assert raised.value.reason == "request_invalid"
    assert str(raised.value).startswith(
        "We couldn't ask Aetna about your benefits because of a mistake in our request.")
    assert "try again in" not in str(raised.value)
    logged = [line for line in benefit_log if line.get("reason") == "request_invalid"]
    assert [line["level"] for line in logged] == ["error"]
    assert logged[0]["field_list"] == ["/provider/npi: provider.npi must be ten digits."]


def test_the_second_check_uses_the_members_id_with_the_administrator():
    class Carved:
        asked = []

        def check(self, payer_id, subscriber, provider_npi, organization_name):
            self.asked.append((payer_id, subscriber.member_id))
            if payer_id == "EXBLU":
                return Benefits("carve_out", carve_out_name="Magellan",
                                carve_out_payer_id="MBH01", carve_out_member_id="MBH1234567")
            return Benefits("active", copay_cents=3000)

    carved = Carved()
    benefits = check_following_carve_out(carved, "EXBLU", "Blue", JANE, NPI, GROUP)
    assert carved.asked == [("EXBLU", "ALMA-ACTIVE-COPAY"), ("MBH01", "MBH1234567")]
    assert (benefits.copay_cents, benefits.carve_out_name, benefits.carve_out_member_id,
            benefits.carved_out_from) == (3000, "Magellan", "MBH1234567", "Blue")


def test_without_the_groups_npi_checks_are_off(app, client, db, monkeypatch, benefit_log):
    # Every check names the group's NPI; production has none until ALMA_GROUP_NPI is set.
    monkeypatch.setitem(app.config, "GROUP_NPI", None)
    response = client.post("/benefits", data={
        "csrf_token": csrf_token_from(client.get("/benefits")), "payer": "unitedhealthcare",
        "member_id": "ALMA-ACTIVE-COPAY", "first_name": "Sam", "last_name": "Rivera",
        "date_of_birth": "1990-04-02"})
    assert response.status_code == 503
    assert "switched on for this site" in response.get_data(as_text=True)
    assert [line["message"] for line in benefit_log] == [
        "benefit checks are off: ALMA_GROUP_NPI is not set"]
