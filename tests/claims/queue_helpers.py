"""The queue's tests' helpers: a claim sent and decided by the sandbox clearinghouse, the
clock a fortnight after the session (no test depends on the real date), the corrections
form's values as they were."""
import datetime
import uuid

import pytest
import time_machine

from alma.claims import jobs
from tests.claims.helpers import fresh, logged_claim
from tests.program.helpers import MONDAY

COPAY = "ALMA-ACTIVE-COPAY"
LATER = MONDAY + datetime.timedelta(days=12)


@pytest.fixture
def later():
    """Now is twelve days after the session, and ticks."""
    with time_machine.travel(LATER, tick=True):
        yield LATER


def decided(app, provider, member_id, n=0, program_client=None):
    """A claim logged, sent and answered (999, 277CA, then its 835 if adjudicated)."""
    claim = logged_claim(app, provider, member_id, n=n, program_client=program_client)
    run_clearinghouse()
    return fresh(claim)


def run_clearinghouse(polls=2):
    """The submit job, then `polls` polls of the clearinghouse."""
    jobs.submit_claims()
    for _ in range(polls):
        jobs.poll_reports()


def corrections(claim, **changes):
    program_client = claim.visit.program_client
    values = {"member_id": program_client.member_id, "cpt_code": claim.visit.cpt_code,
              "place_of_service": claim.place_of_service,
              "diagnosis_code": program_client.diagnosis_code}
    values.update(changes)
    return values


def key():
    return uuid.uuid4().hex
