"""Fixtures of claims' tests (tests/program/helpers.py): a member, the credentialing
team, a member in the program, an empty sandbox clearinghouse."""
from tests.claims.helpers import sandbox
from tests.claims.queue_helpers import later
from tests.program.helpers import in_program, member, staff

__all__ = ["in_program", "later", "member", "sandbox", "staff"]  # fixtures: pytest finds them here
