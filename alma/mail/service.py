"""Writing emails to the outbox.

Call `queue` inside the transaction of the change the email reports: if the
change rolls back, so does the email; if it commits, the worker delivers it.
Each email has three templates in templates/emails/: NAME.subject.txt,
NAME.txt and NAME.html (which extends emails/base.html).
"""
import uuid

from flask import current_app, render_template
from peewee import IntegrityError

from alma.db import db
from alma.mail.models import OutboundEmail


def render(template, **context):
    subject = render_template(f"emails/{template}.subject.txt", **context).strip()
    text = render_template(f"emails/{template}.txt", **context)
    html = render_template(f"emails/{template}.html", subject=subject, **context)
    return subject, text, html


def queue(template, to, dedupe_key=None, ics=None, **context):
    """Put an email in the outbox; returns it (or the earlier one with the same key)."""
    if dedupe_key is not None:
        existing = OutboundEmail.get_or_none(OutboundEmail.dedupe_key == dedupe_key)
        if existing is not None:
            return existing
    subject, text, html = render(template, **context)
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip(">").strip() or "alma"
    try:
        with db.atomic():
            return OutboundEmail.create(
                to_address=to, subject=subject, text_body=text, html_body=html,
                template=template, dedupe_key=dedupe_key, calendar=ics,
                message_id=f"<{uuid.uuid4().hex}@{domain}>")
    except IntegrityError:
        # Another process queued the same event a moment ago.
        return OutboundEmail.get(OutboundEmail.dedupe_key == dedupe_key)
