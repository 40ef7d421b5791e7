"""Payouts' fixtures: the claims tests' member in the program and the sandbox."""
from tests.claims.helpers import sandbox
from tests.program.helpers import in_program, member, staff

__all__ = ["in_program", "member", "sandbox", "staff"]  # fixtures: pytest finds them here
