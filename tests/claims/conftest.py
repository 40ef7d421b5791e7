"""Fixtures of claims' tests (tests/program/helpers.py): a member, the credentialing
team, a member in the program."""
from tests.program.helpers import in_program, member, staff

__all__ = ["in_program", "member", "staff"]  # fixtures: pytest finds them here
