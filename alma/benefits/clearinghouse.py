"""Sending a benefit check: the 270 request, the two gateways that carry it, and the
follow-up check when a plan carves mental-health benefits out to another company.

HttpClearinghouse asks a real clearinghouse (Stedi / Change Healthcare-compatible JSON) at
ALMA_ELIGIBILITY_URL: Stedi's base address, or the full address of the eligibility endpoint.
SandboxClearinghouse calls the local clearinghouse of sandbox.py in-process, but its answers
go through the same reading (response.interpret) as a real clearinghouse's. `gateway()` is
the one the site is configured with.
"""
import dataclasses
import json
import logging
import secrets
from urllib.parse import urlsplit

from flask import current_app

from alma.benefits import sandbox
from alma.benefits.eligibility import (CARVE_OUT, ELIGIBILITY_PATH, REQUESTED_SERVICE_TYPE,
                                       EligibilityUnavailable)
from alma.benefits.response import interpret

log = logging.getLogger("alma.benefits")

# Payers by clearinghouse payer id, only to name them in messages (DOMAIN.md; Oxford's and
# UnitedHealthcare's ids are unconfirmed).
KNOWN_PAYERS = {"60054": "Aetna", "OSCAR": "Oscar", "06111": "Oxford", "87726": "UnitedHealthcare"}

# Change Healthcare's own API serves the request Stedi serves at ELIGIBILITY_PATH at
# .../medicalnetwork/eligibility/v3: an address ending in that is already a full one.
_FULL_PATH_ENDING = "/medicalnetwork/eligibility/v3"
# Payers can take up to a minute to answer (Stedi's docs): waiting less turns slow answers
# into failures.
DEFAULT_TIMEOUT_SECONDS = 60.0


def eligibility_url(setting):
    """Where checks are POSTed, from ALMA_ELIGIBILITY_URL: a base address (Stedi's
    https://healthcare.us.stedi.com/2024-04-01) gets ELIGIBILITY_PATH added; an address that
    already ends in the eligibility path is used as it is."""
    url = setting.strip().rstrip("/")
    if urlsplit(url).path.endswith(_FULL_PATH_ENDING):
        return url
    return url + ELIGIBILITY_PATH


def new_control_number():
    """A 270's control number: nine digits."""
    return f"{secrets.randbelow(10 ** 9):09d}"


def build_request(payer_id, subscriber, provider_npi, organization_name, control_number):
    """The JSON 270 for one subscriber, asking for service type 30."""
    if isinstance(control_number, int):
        control_number = f"{control_number:09d}"
    if not (len(control_number) == 9 and control_number.isascii()
            and control_number.isdigit()):
        raise ValueError("controlNumber must be nine digits")
    return {
        "controlNumber": control_number,
        "tradingPartnerServiceId": payer_id,
        "provider": {"organizationName": organization_name, "npi": provider_npi},
        "subscriber": {
            "memberId": subscriber.member_id.strip(),
            "firstName": subscriber.first_name.strip(),
            "lastName": subscriber.last_name.strip(),
            "dateOfBirth": subscriber.date_of_birth.strftime("%Y%m%d"),
        },
        "encounter": {"serviceTypeCodes": [REQUESTED_SERVICE_TYPE]},
    }


def _logged(gateway, payer_id, problem):
    fields = {"gateway": gateway, "payer_id": payer_id, "reason": problem.reason,
              "code": problem.code, "detail": problem.detail}
    if problem.reason == "request_invalid":
        # Our request is wrong and every check will fail alike until someone fixes it.
        log.error("benefit check request refused as invalid",
                  extra={"fields": {**fields, "field_list": problem.fields}})
    else:
        log.warning("benefit check unavailable", extra={"fields": fields})
    return problem


class HttpClearinghouse:
    """A real clearinghouse (Stedi / Change Healthcare-compatible JSON), at `url` (a base
    address or the endpoint's full address: eligibility_url).

    The api key, when set, is sent as the Authorization header exactly as configured. Stedi
    wants the bare key ("Authorization: <api key>"; its older "Key <api key>" still works);
    its docs don't say a "Bearer " prefix is refused, and another clearinghouse may want one,
    so a configured "Bearer ..." is not stripped: it is sent, and if the clearinghouse then
    refuses us (401/403) the log says to try the bare key."""

    name = "http"

    def __init__(self, url, api_key=None, timeout=DEFAULT_TIMEOUT_SECONDS):
        # Imported only when this gateway is configured, as the Stripe SDK is: requests
        # and urllib3 are ~5 MB of every web worker that never calls a clearinghouse.
        import requests
        from urllib3.exceptions import ReadTimeoutError

        self.requests, self.read_timeout = requests, ReadTimeoutError
        self.url = eligibility_url(url)
        self.api_key = api_key
        self.timeout = float(timeout)

    def check(self, payer_id, subscriber, provider_npi, organization_name):
        who = KNOWN_PAYERS.get(payer_id)
        request = build_request(payer_id, subscriber, provider_npi, organization_name,
                                new_control_number())
        headers = {"Accept": "application/json"}
        requests = self.requests
        if self.api_key:
            headers["Authorization"] = self.api_key
        try:
            try:
                response = requests.post(self.url, json=request, headers=headers,
                                         timeout=self.timeout, allow_redirects=False)
            except requests.Timeout as problem:
                raise EligibilityUnavailable(reason="timeout", payer=who,
                                             detail=type(problem).__name__) from problem
            except (requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as problem:
                raise EligibilityUnavailable(reason="bad_response", payer=who,
                                             detail=type(problem).__name__) from problem
            except requests.ConnectionError as problem:
                # A body that stops arriving surfaces as a ConnectionError around a timeout.
                slow = problem.args and isinstance(problem.args[0], self.read_timeout)
                raise EligibilityUnavailable(reason="timeout" if slow else "unreachable",
                                             payer=who,
                                             detail=type(problem).__name__) from problem
            except requests.RequestException as problem:
                raise EligibilityUnavailable(reason="unreachable", payer=who,
                                             detail=type(problem).__name__) from problem
            try:
                payload = response.json()
            except ValueError:
                payload = None
            self._note_refusal(response.status_code)
            return interpret(response.status_code, payload, who)
        except EligibilityUnavailable as problem:
            raise _logged(self.name, payer_id, problem)


    def _note_refusal(self, status):
        """A refused key is ours to fix: the log says so, and what to try (never the key)."""
        if status not in (401, 403):
            return
        bearer = (self.api_key or "").lower().startswith("bearer ")
        log.error("the clearinghouse refused our API key", extra={"fields": {
            "gateway": self.name, "status": status, "url": self.url,
            "key_set": bool(self.api_key),
            "hint": "ALMA_ELIGIBILITY_API_KEY is sent as it is: Stedi wants the bare key, "
                    "without \"Bearer \"" if bearer else None}})


class SandboxClearinghouse:
    """The local clearinghouse (sandbox.py), called in-process: no insurer is asked.

    It never waits: an answer the sandbox would delay past `timeout` (ALMA-TIMEOUT) fails at
    once, as the timeout would. Served over HTTP (sandbox.serve) the delay is real."""

    name = "sandbox"

    def __init__(self, timeout=DEFAULT_TIMEOUT_SECONDS):
        self.timeout = float(timeout)

    def check(self, payer_id, subscriber, provider_npi, organization_name):
        who = KNOWN_PAYERS.get(payer_id)
        request = build_request(payer_id, subscriber, provider_npi, organization_name,
                                new_control_number())
        # Through JSON both ways, as over the wire.
        status, body, delay = sandbox.respond(json.loads(json.dumps(request)))
        try:
            if delay >= self.timeout:
                raise EligibilityUnavailable(reason="timeout", payer=who,
                                             detail=f"sandbox delay {delay}s")
            payload = json.loads(json.dumps(body)) if body is not None else None
            return interpret(status, payload, who)
        except EligibilityUnavailable as problem:
            raise _logged(self.name, payer_id, problem)


def gateway():
    """The configured gateway (ALMA_ELIGIBILITY_GATEWAY), or None when checks are off: also
    without the group's NPI (ALMA_GROUP_NPI), which every check names as the provider asking;
    sent without it, each would be refused as invalid."""
    config = current_app.config
    kind = config["ELIGIBILITY_GATEWAY"]
    if kind in ("http", "sandbox") and not config.get("GROUP_NPI"):
        log.error("benefit checks are off: ALMA_GROUP_NPI is not set", extra={"fields": {
            "gateway": kind}})
        return None
    if kind == "http":
        return HttpClearinghouse(config["ELIGIBILITY_URL"], config["ELIGIBILITY_API_KEY"],
                                 config["ELIGIBILITY_TIMEOUT_SECONDS"])
    if kind == "sandbox":
        return SandboxClearinghouse(config["ELIGIBILITY_TIMEOUT_SECONDS"])
    return None


def check_following_carve_out(gateway, payer_id, payer_name, subscriber, provider_npi,
                              organization_name):
    """One check; when the payer says another entity holds the mental-health benefits (a
    carve-out) and gives its payer id, one more check against that entity (with the member's
    ID there, when the payer gave one), whose answer is returned with carved_out_from =
    payer_name. Never more than two checks. A carve-out without a payer id is returned as it
    is: the client is told whom to call.

    Errors name the payer; one from the second check carries .carve_out, the first answer."""
    try:
        first = gateway.check(payer_id, subscriber, provider_npi, organization_name)
    except EligibilityUnavailable as problem:
        if not payer_name:
            raise
        raise problem.about(payer_name) from problem
    if first.outcome != CARVE_OUT or not first.carve_out_payer_id:
        return first
    if first.carve_out_member_id:
        subscriber = dataclasses.replace(subscriber, member_id=first.carve_out_member_id)
    try:
        second = gateway.check(first.carve_out_payer_id, subscriber, provider_npi,
                               organization_name)
    except EligibilityUnavailable as problem:
        holder = first.carve_out_name or "The company that handles mental-health benefits"
        if payer_name:
            holder = f"{holder} (which handles mental-health benefits for {payer_name})"
        again = problem.about(holder)
        again.carve_out = first
        raise again from problem
    second.carved_out_from = payer_name
    if second.outcome != CARVE_OUT:
        second.carve_out_name = first.carve_out_name
        second.carve_out_payer_id = first.carve_out_payer_id
        second.carve_out_member_id = first.carve_out_member_id
    return second
