"""Delivering the outbox over SMTP: claim one row, send it, record what happened.

A row is claimed with a conditional UPDATE (status queued -> sending), so any
number of workers can deliver at once and each message goes to one of them.
A worker that dies mid-delivery leaves its row "sending"; after LEASE the row
is queued again. A failure is retried with growing delays, then marked
failed for the team to see; a message that cannot be built (or fails in a
way the server did not cause) is marked failed at once. None of them holds
up the other messages.
"""
import datetime
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

import idna
from flask import current_app

from alma.clock import utcnow
from alma.jobs import stop_requested
from alma.mail.models import FAILED, QUEUED, SENDING, SENT, OutboundEmail
from alma.mail.service import address_problem, rebased

log = logging.getLogger("alma.mail")

LEASE = datetime.timedelta(minutes=5)
MAX_ATTEMPTS = 6


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx answer)."""


def ascii_domain(address):
    """name@exämple.org as name@xn--exmple-cua.org, which every server takes (only a name
    with non-ASCII letters needs a server that offers SMTPUTF8)."""
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return address  # the server will say what it thinks of it


def build_message(row, sender):
    # Checked again here, not only when queued: `mail retry` must never send what was
    # refused ("a@b.org,c@d.org" would go to both).
    problem = address_problem(row.to_address)
    if problem is not None:
        raise ValueError(f"Not sent: {problem}.")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ascii_domain(row.to_address)
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at.replace(tzinfo=datetime.timezone.utc))
    # Its links on BASE_URL as it is now, not as it was when the message was queued.
    message.set_content(rebased(row.text_body, row.base_url))
    message.add_alternative(rebased(row.html_body, row.base_url), subtype="html")
    if row.calendar:
        method = "CANCEL" if "METHOD:CANCEL" in row.calendar else "REQUEST"
        message.add_attachment(row.calendar.encode(), maintype="text", subtype="calendar",
                               filename="invite.ics", params={"method": method})
    return message


class SmtpTransport:
    """smtp://user:password@host:587?starttls=1, or smtps://host:465 for TLS from the start."""

    def __init__(self, url, timeout=20):
        self.url = urlsplit(url)
        self.timeout = timeout
        options = parse_qs(self.url.query)
        self.starttls = options.get("starttls", ["0"])[0].lower() in {"1", "true", "yes"}

    def send(self, message):
        host = self.url.hostname or "localhost"
        if self.url.scheme == "smtps":
            server = smtplib.SMTP_SSL(host, self.url.port or 465, timeout=self.timeout,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, self.url.port or 25, timeout=self.timeout)
        with server:
            if self.starttls:
                server.starttls(context=ssl.create_default_context())
            if self.url.username:
                server.login(unquote(self.url.username), unquote(self.url.password or ""))
            try:
                server.send_message(message)
            except smtplib.SMTPNotSupportedError as error:  # no SMTPUTF8: it never will
                raise PermanentFailure(f"This server can't send to an address with non-ASCII "
                                       f"letters before the @ ({error})") from error
            except smtplib.SMTPRecipientsRefused as refused:
                codes = [code for code, _ in refused.recipients.values()]
                if all(code >= 500 for code in codes):
                    raise PermanentFailure(str(refused.recipients)) from refused
                raise
            except smtplib.SMTPResponseException as error:
                if error.smtp_code >= 500:
                    raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
                raise


class ConsoleTransport:
    """Development: print the message; /dev/mail shows the outbox."""

    def send(self, message):
        body = message.get_body(("plain",)).get_content()
        print(f"\n--- email to {message['To']}: {message['Subject']}\n{body}---", flush=True)


def transport():
    config = current_app.config
    if config["MAIL_TRANSPORT"] == "console":
        return ConsoleTransport()
    if not config.get("SMTP_URL"):
        return None
    return SmtpTransport(config["SMTP_URL"])


def release_stale_claims(now):
    """Queue again what a worker claimed and never finished (it died)."""
    return (OutboundEmail.update(status=QUEUED, claimed_at=None)
            .where((OutboundEmail.status == SENDING) & (OutboundEmail.claimed_at < now - LEASE))
            .execute())


def claim_next(now):
    """Claim the next due message for this worker, or None when there is none."""
    for _ in range(10):  # another worker may win the row; try the next one
        candidate = (OutboundEmail.select(OutboundEmail.id)
                     .where((OutboundEmail.status == QUEUED)
                            & (OutboundEmail.next_attempt_at <= now))
                     .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
                     .limit(1).first())
        if candidate is None:
            return None
        won = (OutboundEmail
               .update(status=SENDING, claimed_at=now, attempts=OutboundEmail.attempts + 1)
               .where((OutboundEmail.id == candidate.id) & (OutboundEmail.status == QUEUED))
               .execute())
        if won == 1:
            return OutboundEmail.get_by_id(candidate.id)
    return None


def _finish(row, **changes):
    # Only the claim's holder may record the outcome.
    (OutboundEmail.update(**changes)
     .where((OutboundEmail.id == row.id) & (OutboundEmail.status == SENDING)
            & (OutboundEmail.claimed_at == row.claimed_at))
     .execute())


def deliver_due(limit=100, now=None):
    """Deliver up to `limit` due messages; returns how many were sent."""
    sender = transport()
    if sender is None:
        log.error("SMTP_URL is not set: emails stay in the outbox until it is")
        return 0
    release_stale_claims(now or utcnow())
    sent = 0
    for _ in range(limit):
        if stop_requested():
            break
        row = claim_next(now or utcnow())
        if row is None:
            break
        try:
            message = build_message(row, current_app.config["MAIL_FROM"])
        except Exception as error:  # the email package refuses it: it always will
            _finish(row, status=FAILED, last_error=f"Could not be built: {error!r}"[:2000])
            log.exception("email %s could not be built", row.id)
            continue
        try:
            sender.send(message)
        except PermanentFailure as error:
            _finish(row, status=FAILED, last_error=str(error)[:2000])
            log.error("email %s refused for good: %s", row.id, error)
        except (smtplib.SMTPException, OSError) as error:
            if row.attempts >= MAX_ATTEMPTS:
                _finish(row, status=FAILED, last_error=str(error)[:2000])
                log.error("email %s failed after %s attempts: %s", row.id, row.attempts, error)
            else:
                delay = datetime.timedelta(minutes=2 ** row.attempts)
                _finish(row, status=QUEUED, claimed_at=None, last_error=str(error)[:2000],
                        next_attempt_at=(now or utcnow()) + delay)
                log.warning("email %s will be retried in %s: %s", row.id, delay, error)
        except Exception as error:  # not the server's doing: trying again would fail again
            _finish(row, status=FAILED, last_error=f"Could not be sent: {error!r}"[:2000])
            log.exception("email %s could not be sent", row.id)
        else:
            _finish(row, status=SENT, sent_at=utcnow(), last_error=None)
            sent += 1
    return sent


def retry(email_id):
    """Queue a failed message again; False if there is no such failed message."""
    return (OutboundEmail.update(status=QUEUED, attempts=0, next_attempt_at=utcnow(),
                                 claimed_at=None)
            .where((OutboundEmail.id == email_id) & (OutboundEmail.status == FAILED))
            .execute()) == 1
