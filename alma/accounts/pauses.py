"""Wrong passwords in a row pause one account's password sign-in (OWASP ASVS 2.2.1).

From the 10th wrong password in a row, password sign-in for that account pauses for 15
minutes, and again after each later wrong password once a pause is over, so guessing gets
about 4 tries an hour. The owner is emailed a link that reopens it, once per run, and again
if the run outlasts the link (24 hours); a sign-in by password or emailed link ends the run.
Whoever is typing is told nothing new.
"""
import datetime
import logging

from flask import has_request_context, request, session

from alma.accounts import links
from alma.accounts.models import EmailLink, User
from alma.clock import utcnow
from alma.db import db
from alma.mail import service as mail
from alma.web import absolute_url

REOPEN = "reopen-password"
REOPENED = "password_reopened_for"  # in the session of the browser that opened the link
PAUSE_AFTER = 10
PAUSE = datetime.timedelta(minutes=15)
REOPEN_TTL = datetime.timedelta(hours=24)

log = logging.getLogger("alma.accounts")


def _log(level, message, **fields):
    # The team's record of sign-in trouble: who (by id, never the address typed) and from where.
    fields["ip"] = request.remote_addr if has_request_context() else None
    log.log(level, message, extra={"fields": fields})


def paused(user, now=None):
    until = user.password_paused_until
    return until is not None and until > (now or utcnow())


def count_failure(user):
    """One more wrong password in a row (user None: no such account, only logged).

    The count is raised and read back in one transaction, which holds the row: of two
    concurrent failures, exactly one sees the 10th, so the owner gets one email per run.
    """
    if user is None:
        _log(logging.INFO, "sign-in failed", user_id=None)
        return
    now = utcnow()
    with db.atomic():
        User.update(failed_sign_ins=User.failed_sign_ins + 1).where(User.id == user.id).execute()
        failures = User.select(User.failed_sign_ins).where(User.id == user.id).scalar()
        started = False
        if failures >= PAUSE_AFTER:
            # Tries during a pause don't lengthen it: the owner's way back is never pushed
            # further away by someone else's guessing.
            not_paused = User.password_paused_until.is_null() | \
                (User.password_paused_until <= now)
            started = User.update(password_paused_until=now + PAUSE).where(
                (User.id == user.id) & not_paused).execute() == 1
        # The owner is emailed when the run starts pausing, and again at a later pause once
        # the link they hold has expired: someone who keeps guessing past a day must not
        # leave a member of the team (password only) without a way back.
        emailed = failures == PAUSE_AFTER or (started and not _owner_holds_a_link(user, now))
        if emailed:
            _tell_owner(user, failures)
    if started:
        _log(logging.WARNING, "password sign-in paused", user_id=user.id, failures=failures,
             until=(now + PAUSE).isoformat(), owner_emailed=emailed)
    else:
        _log(logging.INFO, "sign-in failed", user_id=user.id, failures=failures)


def _owner_holds_a_link(user, now):
    return EmailLink.select().where(
        (EmailLink.purpose == REOPEN) & (EmailLink.subject_id == user.id)
        & EmailLink.used_at.is_null() & (EmailLink.expires_at > now)).exists()


def _tell_owner(user, failures):
    token = links.create(REOPEN, user.id, REOPEN_TTL)
    mail.queue("sign_in_paused", user.email, user=user, failures=failures,
               url=absolute_url("accounts.reopen_password", token=token),
               minutes=int(PAUSE.total_seconds() // 60),
               hours=int(REOPEN_TTL.total_seconds() // 3600),
               # The team signs in by password only: the link to reopen is their way back.
               can_use_link=not (user.is_team and not user.provider_id))


def forgive(user):
    """A sign-in that proves who they are ends the run and any pause (saved with `user`)."""
    if user.failed_sign_ins:
        _log(logging.INFO, "signed in after wrong passwords", user_id=user.id,
             failures=user.failed_sign_ins)
    user.failed_sign_ins = 0
    user.password_paused_until = None


def reopened_here(user):
    """Whether this browser opened `user`'s emailed link: its password is still tried."""
    return has_request_context() and session.get(REOPENED) == user.id


def reopen(token):
    """The owner's emailed link: password sign-in works again. Signs nobody in.

    Guessing from many addresses could pause the account again within a second, before
    its owner has typed their password: the browser that opened the link is remembered,
    and its password is tried even then (until it signs in: a sign-in clears the session).
    """
    with db.atomic():
        link = links.spend(token, REOPEN)
        user = User.get_or_none(User.id == link.subject_id)
        if user is None or not user.active:
            raise links.LinkProblem("unknown")
        User.update(failed_sign_ins=0, password_paused_until=None).where(
            User.id == user.id).execute()
    if has_request_context():
        session[REOPENED] = user.id
    _log(logging.INFO, "password sign-in reopened by emailed link", user_id=user.id)
    return user
