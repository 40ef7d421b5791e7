"""Links we email: single use, expiring, unguessable, and only a hash stored.

A link carries a random token. `check` tells whether a token is good for a
purpose without spending it (a GET shows a confirmation page); `spend`
uses it, once, with a conditional UPDATE, in the transaction of the action
it allows.
"""
import datetime
import hashlib
import secrets

from alma.accounts.models import EmailLink
from alma.clock import utcnow

SIGN_IN_TTL = datetime.timedelta(minutes=10)


class LinkProblem(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "unknown", "used" or "expired"


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create(purpose, subject_id, ttl):
    """A new link's token (to put in a URL)."""
    token = secrets.token_urlsafe(32)
    EmailLink.create(token_hash=_hash(token), purpose=purpose, subject_id=subject_id,
                     expires_at=utcnow() + ttl)
    return token


def lookup(token, purpose):
    """The link for a token whatever its state (used, expired), or None."""
    return EmailLink.get_or_none((EmailLink.token_hash == _hash(token or ""))
                                 & (EmailLink.purpose == purpose))


def check(token, purpose):
    """The link for a token, if it is good for this purpose; raises LinkProblem if not."""
    link = lookup(token, purpose)
    if link is None:
        raise LinkProblem("unknown")
    if link.used_at is not None:
        raise LinkProblem("used")
    if link.expires_at <= utcnow():
        raise LinkProblem("expired")
    return link


def spend(token, purpose):
    """Use a link once; raises LinkProblem if it can't be used (any more)."""
    link = check(token, purpose)
    now = utcnow()
    won = (EmailLink.update(used_at=now)
           .where((EmailLink.id == link.id) & EmailLink.used_at.is_null()
                  & (EmailLink.expires_at > now))
           .execute())
    if won != 1:
        raise LinkProblem("used")
    link.used_at = now
    return link
