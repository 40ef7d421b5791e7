"""Passwords: argon2id hashes, and the rules for choosing one (OWASP ASVS level 2)."""
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from gevent import monkey
from gevent.threadpool import ThreadPool

_hasher = PasswordHasher()  # argon2id with the library's current parameters

MIN_LENGTH = 12
MAX_LENGTH = 128
# The most used passwords of at least 12 characters in public breach lists.
COMMON = {
    "123456789012", "1234567890123", "12345678910", "111111111111", "000000000000",
    "password1234", "password12345", "passwordpassword", "qwertyuiop12", "qwertyuiopas",
    "qwerty123456", "1q2w3e4r5t6y", "1qaz2wsx3edc", "iloveyou1234", "abcdefghijkl",
    "abc123456789", "aaaaaaaaaaaa", "letmein12345", "welcome12345", "administrator",
    "passw0rd1234", "trustno1trustno1", "football1234", "baseball1234", "princess1234",
    "sunshine1234", "superman1234", "monkey123456", "dragon123456", "changeme1234",
    "therapist123", "therapy12345", "counselor123",
}


def _off_the_loop(function, *args):
    """Hash on a real thread in a gevent worker (gunicorn.conf.py), one hash at a time.

    A hash is a few hundred milliseconds of CPU: in a greenlet it would hold the worker's
    one thread, and every other request of the worker (/healthz too) would wait. argon2
    lets go of the GIL, so the worker serves the others meanwhile. One at a time, since
    each takes 64 MiB.
    """
    if not monkey.is_module_patched("threading"):
        return function(*args)
    return _hashing_thread().apply(function, args)


@functools.cache
def _hashing_thread():
    return ThreadPool(1)


def hash_password(plain):
    return _off_the_loop(_hasher.hash, plain)


@functools.cache
def dummy_hash():
    """A hash of nothing anyone knows, made with the same parameters as real ones."""
    return _off_the_loop(_hasher.hash, secrets.token_urlsafe(32))


def verify(password_hash, plain):
    """Whether `plain` matches; also False for a missing or damaged hash.

    Without a hash (no account, no password, sign-in paused) it checks against a dummy
    one all the same, so the answer takes as long whoever is asked about.
    """
    return _off_the_loop(_matches, password_hash or dummy_hash(), plain) and bool(password_hash)


def _matches(password_hash, plain):
    # A mismatch is an answer, not an error: raised on the hashing thread, gevent would
    # print it as a crash on every wrong password.
    try:
        return _hasher.verify(password_hash, plain)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return _hasher.check_needs_rehash(password_hash)


def problem_with(plain, email):
    """Why a new password can't be used, or None. No composition rules, on purpose."""
    if len(plain) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. A few words you'll remember work well."
    if len(plain) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = plain.lower()
    if lowered in COMMON or len(set(lowered)) <= 2:
        return "That password is too common. Choose something less guessable."
    if email and email.split("@")[0].lower() in lowered and len(email.split("@")[0]) >= 4:
        return "Don't use your email address in your password."
    return None
