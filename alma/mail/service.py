"""Writing emails to the outbox.

Call `queue` inside the transaction of the change the email reports: if the
change rolls back, so does the email; if it commits, the worker delivers it.
Each email has three templates in templates/emails/: NAME.subject.txt,
NAME.txt and NAME.html (which extends emails/base.html).

Whatever a template is given (a name with a line break, a NUL byte, a bad
address), queueing never fails the change it reports and never writes a
message the email package would refuse to build: the subject is made one
line, text is made storable, and a message to an address that is not one is
written as failed at once, for the team to see (`flask mail failed`).
"""
import logging
import re
import uuid
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address

from flask import current_app, render_template
from peewee import IntegrityError

from alma.db import db
from alma.mail.models import FAILED, QUEUED, OutboundEmail

log = logging.getLogger("alma.mail")

SUBJECT_MAX = OutboundEmail.subject.max_length
ADDRESS_MAX = 254  # RFC 5321's limit for a path
# Control characters (line breaks are whitespace, handled apart), lone
# surrogates (no encoding can write them), and the bidi embeddings, overrides
# and isolates that could make a subject read backwards.
_UNWANTED = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff"
                       "\u202a-\u202e\u2066-\u2069]")
# What no database column can hold: PostgreSQL refuses NUL, UTF-8 surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def one_line(text, limit=SUBJECT_MAX):
    """Text fit for a header: one line, runs of whitespace as one space, no control characters."""
    text = " ".join(_UNWANTED.sub("", text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def visible(text):
    """One line, with what nobody sees written out: "a\\u202e@b.org", "x\\r\\ny"."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def storable(text):
    return None if text is None else _UNSTORABLE.sub("", text)


def address_problem(address):
    """Why `address` is not one address an email can be sent to, or None."""
    if not isinstance(address, str) or not address:
        return "there is no address"
    if len(address) > ADDRESS_MAX:
        return f"the address is longer than {ADDRESS_MAX} characters"
    if any(ch.isspace() or _UNWANTED.match(ch) for ch in address):
        return "the address contains spaces, line breaks or control characters"
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        return "it is not an address (name@domain)"
    try:
        parsed = Address(addr_spec=address)
    except NonASCIILocalPartDefect:
        return None  # sent with SMTPUTF8 where the server offers it
    except Exception as error:  # the parser raises several kinds; any means "not an address"
        return f"it is not an address ({error})"
    return None if parsed.username and parsed.domain else "it is not an address (name@domain)"


def render(template, **context):
    subject = one_line(render_template(f"emails/{template}.subject.txt", **context))
    text = render_template(f"emails/{template}.txt", **context)
    html = render_template(f"emails/{template}.html", subject=subject, **context)
    return subject, storable(text), storable(html)


def queue(template, to, dedupe_key=None, ics=None, **context):
    """Put an email in the outbox; returns it (or the earlier one with the same key)."""
    if dedupe_key is not None:
        existing = OutboundEmail.get_or_none(OutboundEmail.dedupe_key == dedupe_key)
        if existing is not None:
            return existing
    subject, text, html = render(template, **context)
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip(">").strip() or "alma"
    fields = dict(to=to, subject=subject, text_body=text, html_body=html, template=template,
                  dedupe_key=dedupe_key, calendar=storable(ics),
                  message_id=f"<{uuid.uuid4().hex}@{domain}>",
                  base_url=current_app.config["BASE_URL"][:OutboundEmail.base_url.max_length])
    problem = address_problem(to)
    if problem is not None:
        log.error("email %s to %r not sent: %s", template, to, problem)
        # Shown as given, never tidied into an address: `mail retry` of "a\u202e@b.org"
        # must not send to a@b.org.
        fields.update(status=FAILED, last_error=f"Not sent: {problem}.",
                      to=visible(to if isinstance(to, str) else repr(to))
                      [:OutboundEmail.to_address.max_length])
    fields["to_address"] = fields.pop("to")
    try:
        with db.atomic():
            return OutboundEmail.create(**fields)
    except IntegrityError:
        # Another process queued the same event a moment ago.
        return OutboundEmail.get(OutboundEmail.dedupe_key == dedupe_key)


def rebased(body, written_for):
    """`body` with its links on this moment's BASE_URL instead of `written_for`, the one they
    were written with (absolute_url's links are BASE_URL, a slash, then the path)."""
    now = current_app.config["BASE_URL"]
    if not body or not written_for or written_for == now:
        return body
    return body.replace(written_for.rstrip("/") + "/", now.rstrip("/") + "/")


def withdraw(dedupe_key):
    """Take back an email not yet picked up for sending. True if it was (nobody saw it)."""
    return OutboundEmail.delete().where((OutboundEmail.dedupe_key == dedupe_key)
                                        & (OutboundEmail.status == QUEUED)).execute() == 1
