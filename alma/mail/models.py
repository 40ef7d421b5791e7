"""The outbox: every email is a row first, written in the transaction of the change it reports."""
from peewee import CharField, DateTimeField, IntegerField, TextField

from alma.clock import utcnow
from alma.db import BaseModel

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


class OutboundEmail(BaseModel):
    to_address = CharField()
    subject = CharField(max_length=255)
    text_body = TextField()
    html_body = TextField()
    template = CharField(max_length=64)
    calendar = TextField(null=True)  # an iCalendar invitation to attach, if any
    # The BASE_URL its links were written with: they are sent (and shown on /dev/mail) on
    # the BASE_URL of that moment (service.rebased), so a message queued by `flask seed` or
    # before a move to a new address links to where the site is.
    base_url = CharField(max_length=255, null=True)
    # The same key never makes a second email: one event, one message.
    dedupe_key = CharField(unique=True, null=True)
    # Stable across retries, so a receiver can recognise a duplicate.
    message_id = CharField(unique=True)
    status = CharField(max_length=16, default=QUEUED)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    claimed_at = DateTimeField(null=True)
    sent_at = DateTimeField(null=True)
    last_error = TextField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


MODELS = [OutboundEmail]
