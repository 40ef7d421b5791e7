"""Payouts' tests' helpers: claims paid through the sandbox on given days, the job run on a
given day."""
import contextlib
import datetime

import time_machine

from alma.claims import jobs
from alma.payouts import statements
from tests.claims.helpers import fresh, logged_claim

D = datetime.date


@contextlib.contextmanager
def on(day, hour=9):
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(hour)), tick=False):
        yield


def paid_claim(app, provider, member_id="ALMA-ACTIVE-COPAY", paid_on=D(2026, 11, 25), n=0,
               program_client=None):
    """A session held MONDAY + n weeks, its claim sent and its 835 posted on `paid_on`."""
    claim = logged_claim(app, provider, member_id, n=n, program_client=program_client)
    with on(paid_on):
        jobs.submit_claims()
        jobs.poll_reports()
        jobs.poll_reports()
    return fresh(claim)


def run_on(day):
    with on(day, hour=2):
        return statements.run()
