"""Claims' tests' helpers: a claim made the real way (a client moved in, their benefits
checked the Friday before, the session logged on Monday), and an empty sandbox
clearinghouse for each test."""
import datetime

import pytest
import time_machine

from alma.claims import sessions
from alma.claims.clearinghouse import local_sandbox
from alma.claims.models import Claim
from tests.program.helpers import MONDAY, checked, move_in


@pytest.fixture
def sandbox(app):
    """The site's in-process sandbox clearinghouse, empty."""
    box = local_sandbox(app)
    box.reset()
    yield box
    box.reset()


def logged_claim(app, provider, member_id, n=0, cpt_code="90834", program_client=None):
    """A claim for a session held `n` weeks after MONDAY, for `program_client` or a new
    client with `member_id`."""
    program_client = program_client or move_in(
        provider, member_id=member_id, email=f"client-{member_id.lower()}@example.com")
    held = MONDAY + datetime.timedelta(weeks=n)
    checked(app, program_client, held - datetime.timedelta(days=3))
    with time_machine.travel(held + datetime.timedelta(hours=3), tick=False):
        visit = sessions.log_visit(provider, program_client, held.date(), cpt_code, True,
                                   "attended")
    return Claim.get(Claim.visit == visit)


def fresh(claim):
    return Claim.get_by_id(claim.id)
