"""Sending claims and fetching what comes back, behind one small interface:

    gateway.submit(batch) -> [Sent]      one Outgoing per claim, each with its own
                                         idempotency key (stored before the first try)
    gateway.poll(cursor) -> ([Report], next cursor)   one page of 999s, 277CAs and 835s,
                                                       as X12

HttpClearinghouse speaks Stedi's documented JSON claim submission (`POST
…/change/medicalnetwork/professionalclaims/v3/submission`, `Idempotency-Key` header, the
body from claim_json) and its polling (`GET …/polling/transactions?pageToken=`), as Stedi's
OpenAPI documents (tests/claims/fixtures/README.md): each polled item names its kind at
`x12.metadata.transaction.transactionSetIdentifier`; its `usage: input` artifact of type
`application/edi-x12` is the X12 the payer sent, at the artifact's `url`, which answers 302
with `{"documentDownloadUrl": …}` (a short-lived presigned address, fetched without our key).
The X12 is read here (pyx12 validates it) rather than Stedi's JSON reports
(`…/reports/v2/{transactionId}/277` and `/835`). SandboxClearinghouse calls the local
clearinghouse (sandbox.py) in process, through JSON both ways.
"""
import json
import logging
from dataclasses import dataclass, field

from flask import current_app

from alma.claims.sandbox import Sandbox

log = logging.getLogger("alma.claims")

SUBMISSION_PATH = "/change/medicalnetwork/professionalclaims/v3/submission"
POLL_PATH = "/polling/transactions"
REPORT_KINDS = ("999", "277", "835")


class ClearinghouseUnavailable(Exception):
    """The clearinghouse couldn't be asked (down, timed out, refused our key): try later."""


@dataclass
class Outgoing:
    claim_id: int
    key: str  # the Idempotency-Key: the same for every try of this claim
    body: dict


@dataclass
class Sent:
    claim_id: int
    accepted: bool  # False: the clearinghouse's own edits refused it (`errors`)
    reference: str = ""
    control_number: str = ""
    errors: list = field(default_factory=list)
    unavailable: bool = False  # not sent this time: try again with the same key


@dataclass
class Report:
    transaction_id: str
    kind: str  # "999", "277", "835"
    x12: str


def _sent(outgoing, status, payload):
    """Read a submission's answer: 200 taken, 400 refused by the clearinghouse's edits."""
    payload = payload if isinstance(payload, dict) else {}
    errors = [str(e.get("description") or e.get("message") or e) if isinstance(e, dict)
              else str(e) for e in payload.get("errors") or []]
    if status == 200 and not errors:
        reference = payload.get("claimReference") or {}
        return Sent(outgoing.claim_id, True, str(reference.get("correlationId") or ""),
                    str(payload.get("controlNumber") or ""))
    if status in (400, 422) or (status == 200 and errors):
        return Sent(outgoing.claim_id, False, errors=errors or [
            payload.get("message") or "The clearinghouse refused the claim."])
    return Sent(outgoing.claim_id, False, unavailable=True,
                errors=[f"HTTP {status}"])


class HttpClearinghouse:
    name = "http"

    def __init__(self, claims_url, poll_url, api_key, timeout=60.0):
        # Imported only when configured, as in alma/benefits/clearinghouse.py.
        import requests

        self.requests = requests
        self.claims_url, self.poll_url = claims_url.rstrip("/"), poll_url.rstrip("/")
        self.api_key, self.timeout = api_key, float(timeout)

    def _headers(self, **extra):
        headers = {"Accept": "application/json", **extra}
        if self.api_key:
            headers["Authorization"] = self.api_key  # the bare key, as Stedi documents
        return headers

    def _get(self, url, **params):
        try:
            response = self.requests.get(url, params=params or None, headers=self._headers(),
                                         timeout=self.timeout, allow_redirects=False)
        except self.requests.RequestException as problem:
            raise ClearinghouseUnavailable(type(problem).__name__) from problem
        if response.status_code != 200:
            raise ClearinghouseUnavailable(f"HTTP {response.status_code} from {url}")
        return response

    def submit(self, batch):
        results = []
        for outgoing in batch:
            try:
                response = self.requests.post(
                    self.claims_url + SUBMISSION_PATH, json=outgoing.body,
                    headers=self._headers(**{"Idempotency-Key": outgoing.key}),
                    timeout=self.timeout, allow_redirects=False)
            except self.requests.RequestException as problem:
                log.warning("claim not sent", extra={"fields": {
                    "claim": outgoing.claim_id, "reason": type(problem).__name__}})
                results.append(Sent(outgoing.claim_id, False, unavailable=True,
                                    errors=[type(problem).__name__]))
                continue
            try:
                payload = response.json()
            except ValueError:
                payload = None
            results.append(_sent(outgoing, response.status_code, payload))
        return results

    def poll(self, cursor):
        params = {"pageToken": cursor} if cursor else {}
        page = self._get(self.poll_url + POLL_PATH, **params).json()
        reports = [self._report_of(item) for item in page.get("items") or []]
        return [r for r in reports if r is not None], page.get("nextPageToken") or cursor

    def _report_of(self, item):
        """The X12 of one polled transaction, if it is one we read."""
        metadata = (item.get("x12") or {}).get("metadata") or {}
        kind = str((metadata.get("transaction") or {}).get("transactionSetIdentifier") or "")
        if (item.get("direction") != "INBOUND" or kind not in REPORT_KINDS
                or item.get("status", "succeeded") != "succeeded"):
            return None
        artifact = next((a for a in item.get("artifacts") or []
                         if a.get("usage") == "input"
                         and a.get("artifactType") == "application/edi-x12"), None)
        if artifact is None or not artifact.get("url"):
            raise ClearinghouseUnavailable(f"no X12 for transaction {item.get('transactionId')}")
        return Report(str(item["transactionId"]), kind, self._document(artifact["url"]))

    def _document(self, url):
        """An artifact's content: its URL answers 302 with the document's download address
        in the body (`documentDownloadUrl`, and as Location); that address is presigned, so
        it is fetched without our key (a second way to sign is refused there)."""
        try:
            response = self.requests.get(url, headers=self._headers(), timeout=self.timeout,
                                         allow_redirects=False)
        except self.requests.RequestException as problem:
            raise ClearinghouseUnavailable(type(problem).__name__) from problem
        if response.status_code == 200:
            return response.text
        target = None
        if response.status_code in (301, 302, 303, 307, 308):
            try:
                target = (response.json() or {}).get("documentDownloadUrl")
            except ValueError:
                target = None
            target = target or response.headers.get("Location")
        if not target:
            raise ClearinghouseUnavailable(f"HTTP {response.status_code} from {url}")
        try:
            document = self.requests.get(target, timeout=self.timeout, allow_redirects=False)
        except self.requests.RequestException as problem:
            raise ClearinghouseUnavailable(type(problem).__name__) from problem
        if document.status_code != 200:
            raise ClearinghouseUnavailable(f"HTTP {document.status_code} for a document")
        return document.text


class SandboxClearinghouse:
    """The local clearinghouse, called in process: no insurer is asked."""

    name = "sandbox"

    def __init__(self, sandbox):
        self.sandbox = sandbox

    def submit(self, batch):
        return [_sent(o, *self.sandbox.submit(json.loads(json.dumps(o.body)), o.key))
                for o in batch]

    def poll(self, cursor):
        items, token = self.sandbox.poll(cursor or "")
        return [Report(i["id"], i["kind"], i["x12"]) for i in items], token


_sandboxes = {}


def local_sandbox(app):
    """The site's in-process sandbox: its state in a file (CLAIMS_SANDBOX_PATH, in the
    instance folder) so the web process and every worker see the same clearinghouse."""
    path = app.config["CLAIMS_SANDBOX_PATH"]
    return _sandboxes.setdefault(path, Sandbox(path))


def gateway():
    """The configured gateway (ALMA_CLAIMS_GATEWAY), or None when claims stay here."""
    config = current_app.config
    kind = config["CLAIMS_GATEWAY"]
    if kind == "http":
        return HttpClearinghouse(config["CLAIMS_URL"], config["CLAIMS_POLL_URL"],
                                 config["CLAIMS_API_KEY"], config["CLAIMS_TIMEOUT_SECONDS"])
    if kind == "sandbox":
        return SandboxClearinghouse(local_sandbox(current_app))
    return None
