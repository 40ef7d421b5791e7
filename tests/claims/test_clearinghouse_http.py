"""Claims over real HTTP on loopback: the HTTP client (Stedi's paths and headers) against
the sandbox served on a port; a worker killed after sending never makes a second claim;
a clearinghouse that refuses our key or a claim."""
import datetime

import pytest
import time_machine

from alma.claims import jobs
from alma.claims.claim_json import from_837p
from alma.claims.clearinghouse import HttpClearinghouse, Outgoing
from alma.claims.models import Claim
from alma.claims.sandbox import Sandbox
from alma.claims.sandbox_http import serve, shutdown
from alma.clock import utcnow
from tests.claims.helpers import fresh, logged_claim

KEY = "test-claims-key"


@pytest.fixture
def served(app, monkeypatch):
    """A sandbox clearinghouse on a loopback port, and the site set to reach it over HTTP."""
    sandbox = Sandbox()
    server, url = serve(sandbox, api_key=KEY)
    for name, value in (("CLAIMS_GATEWAY", "http"), ("CLAIMS_URL", url),
                        ("CLAIMS_POLL_URL", url), ("CLAIMS_API_KEY", KEY),
                        ("CLAIMS_TIMEOUT_SECONDS", 5.0)):
        monkeypatch.setitem(app.config, name, value)
    yield sandbox
    shutdown(server)


def test_claims_go_out_and_answers_come_back_over_http(app, in_program, served):
    paid = logged_claim(app, in_program, "ALMA-ACTIVE-COPAY")
    rejected = logged_claim(app, in_program, "ALMA-ACTIVE-COPAY-REJECTED")
    assert jobs.submit_claims() == 2
    assert sorted(pcn for _, pcn in served.received()) == sorted(
        c.patient_control_number for c in (paid, rejected))
    assert fresh(paid).clearinghouse_reference.startswith("SBC")
    assert jobs.poll_reports() == 4  # a 999 and a 277CA each
    assert (fresh(paid).status, fresh(rejected).status) == ("accepted", "rejected")
    assert "Rejected by the insurer before review (A7:164)" in fresh(rejected).status_note
    assert jobs.poll_reports() == 1
    assert (fresh(paid).status, fresh(paid).paid_cents) == ("paid", 10000)
    assert jobs.poll_reports() == 0


def test_a_worker_killed_after_sending_never_makes_a_second_claim(app, in_program, served):
    claim = logged_claim(app, in_program, "ALMA-ACTIVE-COPAY")
    # A worker claims the batch and sends it, then dies before recording the answer.
    batch, claims = jobs.claim_batch("http")
    gateway = HttpClearinghouse(app.config["CLAIMS_URL"], app.config["CLAIMS_POLL_URL"], KEY)
    sent = gateway.submit([Outgoing(c.id, c.submission_key, from_837p(c.x12)) for c in claims])
    assert sent[0].accepted
    assert jobs.submit_claims() == 0  # held by the dead worker until its lease runs out
    with time_machine.travel(utcnow() + jobs.SENDING_LEASE + datetime.timedelta(seconds=1)):
        assert jobs.submit_claims() == 1
    claim = fresh(claim)
    assert claim.status == "submitted"
    keys = [key for key, _ in served.received()]
    assert keys == [claim.submission_key] * 2  # sent twice with one key...
    with served._state() as state:
        assert len(state["submissions"]) == 1  # ...so the clearinghouse made one claim
    assert claim.clearinghouse_reference == sent[0].reference


def test_a_refused_key_leaves_claims_ready_for_the_next_run(app, in_program, served,
                                                            monkeypatch):
    claim = logged_claim(app, in_program, "ALMA-ACTIVE-COPAY")
    monkeypatch.setitem(app.config, "CLAIMS_API_KEY", "wrong")
    assert jobs.submit_claims() == 0
    held = fresh(claim)
    assert (held.status, held.sending_since) == ("ready", None) and held.submission_key
    assert jobs.poll_reports() == 0
    monkeypatch.setitem(app.config, "CLAIMS_API_KEY", KEY)
    assert jobs.submit_claims() == 1
    assert fresh(claim).submission_key == held.submission_key


def test_a_claim_the_clearinghouse_refuses_is_rejected_in_words(app, served):
    gateway = HttpClearinghouse(app.config["CLAIMS_URL"], app.config["CLAIMS_POLL_URL"], KEY)
    (sent,) = gateway.submit([Outgoing(1, "k-1", {"claimInformation": {}})])
    assert (sent.accepted, sent.unavailable) == (False, False)
    assert sent.errors == ["The claim is missing required fields."]


def test_nothing_is_sent_when_claims_are_off(app, in_program, monkeypatch, sandbox):
    monkeypatch.setitem(app.config, "CLAIMS_GATEWAY", "none")
    logged_claim(app, in_program, "ALMA-ACTIVE-COPAY")
    assert jobs.submit_claims() == 0 and jobs.poll_reports() == 0
    assert Claim.get().status == "ready" and sandbox.received() == []
