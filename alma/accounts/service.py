"""Signing in and out: passwords, emailed links, sessions that end."""
import datetime

from email_validator import EmailNotValidError, validate_email
from flask import session
from flask_login import login_user, logout_user

from alma.accounts import links, passwords, pauses
from alma.accounts.models import User
from alma.clock import utcnow
from alma.db import db
from alma.mail import service as mail
from alma.network.models import Provider
from alma.web import absolute_url

SIGN_IN = "sign-in"
WRONG_PASSWORD = ("That email and password don't match. Try again, or sign in with a link we "
                  "email you. After 10 wrong passwords in a row, password sign-in pauses for a "
                  "while and we email the account's owner a way back.")



class SignInProblem(Exception):
    pass


def normalise_email(email):
    return (email or "").strip().lower()


def user_for_email(email):
    """The account for an email; a listed member's first sign-in creates theirs."""
    email = normalise_email(email)
    user = User.get_or_none(User.email == email)
    if user is not None:
        # The team signs in with a password only (their console reaches every client).
        if user.is_team and not user.provider_id:
            return None
        return user if user.active else None
    provider = Provider.get_or_none((Provider.email == email)
                                    & (Provider.membership_status != "left"))
    if provider is None:
        return None
    return User.create(email=email, name=provider.full_name, provider=provider)


def sign_in_with_password(email, password):
    """Sign in, or SignInProblem: the same answer, after the same work, whatever went wrong.

    An unknown address, an account without a password and a paused one are all checked
    against a dummy hash, so neither the message nor the time tells who has an account.
    """
    user = User.get_or_none(User.email == normalise_email(email))
    if user is not None and not user.active:
        user = None
    held = user is not None and pauses.paused(user) and not pauses.reopened_here(user)
    checked_hash = user.password_hash if user is not None and not held else None
    if not passwords.verify(checked_hash, password):
        pauses.count_failure(user)
        raise SignInProblem(WRONG_PASSWORD)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    pauses.forgive(user)
    start_session(user)
    return user


def email_sign_in_link(email):
    """Email a sign-in link if there is such an account. Says nothing either way."""
    with db.atomic():
        user = user_for_email(email)
        if user is None:
            return
        token = links.create(SIGN_IN, user.id, links.SIGN_IN_TTL)
        mail.queue("sign_in", user.email, user=user,
                   url=absolute_url("accounts.link_sign_in", token=token),
                   minutes=int(links.SIGN_IN_TTL.total_seconds() // 60))


def sign_in_with_link(token):
    with db.atomic():
        link = links.spend(token, SIGN_IN)
        user = User.get_or_none(User.id == link.subject_id)
        if user is None or not user.active:
            raise links.LinkProblem("unknown")
        pauses.forgive(user)
        start_session(user)
        return user


def start_session(user):
    # A fresh session on every sign-in: nothing from before carries over.
    session.clear()
    user.last_signed_in_at = utcnow()
    user.save()
    login_user(user)
    session.permanent = True
    session["seen"] = utcnow().timestamp()


def end_sessions(user):
    """Sign out here and everywhere: older session cookies stop working."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    end_this_session()


def end_this_session():
    """Sign out this browser only (an idle one): the user's other devices stay signed in."""
    logout_user()
    session.clear()


def load_user(user_id):
    """flask-login's loader: "id:version" is only good while the version is current."""
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except (AttributeError, ValueError):
        return None
    user = User.get_or_none(User.id == uid)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def idle_too_long(idle_minutes):
    seen = session.get("seen")
    if seen is None:
        return True
    return utcnow().timestamp() - seen > idle_minutes * 60


def recently_signed_in(user, minutes=10):
    return user.last_signed_in_at is not None and \
        utcnow() - user.last_signed_in_at < datetime.timedelta(minutes=minutes)


class PasswordProblem(Exception):
    pass


def set_password(user, new_password, current_password=None):
    """Choose or change a password. Changing one needs the current one, or a fresh sign-in."""
    if user.password_hash and not recently_signed_in(user):
        if not passwords.verify(user.password_hash, current_password or ""):
            raise PasswordProblem("Your current password isn't right.")
    problem = passwords.problem_with(new_password, user.email)
    if problem:
        raise PasswordProblem(problem)
    with db.atomic():
        user.password_hash = passwords.hash_password(new_password)
        user.session_version += 1  # other devices are signed out
        user.save()
    start_session(user)


# --- The team ----------------------------------------------------------------------------

ROLES = {
    "matching": "Client matching",
    "growth": "Community growth",
    "credentialing": "Credentialing",
    "billing": "Billing",
    "admin": "Admin",
}
WELCOME = "set-password"
WELCOME_TTL = datetime.timedelta(days=7)


def send_welcome(user, template, **context):
    """Email a single-use, 7-day link where a new account chooses its password."""
    token = links.create(WELCOME, user.id, WELCOME_TTL)
    mail.queue(template, user.email, user=user,
               url=absolute_url("accounts.welcome", token=token), **context)


class TeamProblem(Exception):
    pass


def _roles(roles):
    chosen = [role for role in ROLES if role in set(roles)]
    if not chosen:
        raise TeamProblem("Choose at least one role.")
    return ",".join(chosen)


def invite(email, name, roles, invited_by):
    """Add a team member (or give an existing account roles) and email them a link to start."""
    email = normalise_email(email)
    with db.atomic():
        user = User.get_or_none(User.email == email)
        if user is not None and user.is_team and user.active:
            raise TeamProblem(f"{email} is on the team already.")
        if user is None:
            user = User.create(email=email, name=name.strip(), roles=_roles(roles))
        else:
            user.roles, user.active = _roles(roles), True
            user.name = user.name or name.strip()
            user.save()
        send_welcome(user, "team_invite", invited_by=invited_by)
        return user


def remove_from_team(user, removed_by):
    if user.id == removed_by.id:
        raise TeamProblem("You can't remove yourself: ask another admin.")
    User.update(roles="", active=user.provider_id is not None,
                session_version=User.session_version + 1).where(User.id == user.id).execute()


def accept_welcome(token, password):
    """Choose a password from a welcome link; signs the new account in."""
    with db.atomic():
        link = links.check(token, WELCOME)
        user = User.get_by_id(link.subject_id)
        problem = passwords.problem_with(password, user.email)
        if problem:
            raise PasswordProblem(problem)
        links.spend(token, WELCOME)
        user.password_hash = passwords.hash_password(password)
        user.session_version += 1
        pauses.forgive(user)
        user.save()
        start_session(user)
        return user


class AdminProblem(Exception):
    """What is wrong with one input of create_admin; `field` names it."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def checked_email(text):
    """An address as the sign-in form accepts it (lower-cased), or ValueError saying why."""
    text = (text or "").strip()
    if not text:
        raise ValueError("Enter an email address.")
    if len(text) > 254:
        raise ValueError("Use an email address of at most 254 characters.")
    try:
        # The same check as the forms' Email() validator: the syntax, no DNS look-up.
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("Enter an email address like name@example.com.") from None
    return normalise_email(text)


def create_admin(email, name, password):
    """The first admin, from the command line: the same rules as the team's forms."""
    try:
        email = checked_email(email)
    except ValueError as problem:
        raise AdminProblem("email", str(problem)) from None
    name = (name or "").strip()
    if not name:
        raise AdminProblem("name", "Enter the name the team will see.")
    if len(name) > 120 or not name.isprintable():
        raise AdminProblem("name", "Use one line of at most 120 characters for the name.")
    problem = passwords.problem_with(password or "", email)
    if problem:
        raise AdminProblem("password", problem)
    user = User.get_or_none(User.email == email)
    if user is None:
        user = User(email=email, name=name)
    user.roles = ",".join(sorted(user.role_set | {"admin"}))
    user.password_hash = passwords.hash_password(password)
    user.active = True
    user.save()
    return user
