"""What billing tells the features built on it, without knowing them.

A feature connects a receiver when it is imported (the app factory imports every
feature). A receiver runs inside the transaction that caused the event, so if it
fails nothing of the event is recorded either.
"""
import datetime
from dataclasses import dataclass

from blinker import Namespace

_events = Namespace()

# Sent with the invoice as sender when it becomes paid (membership lifts a billing hold).
invoice_paid = _events.signal("invoice-paid")

# Asked with the invoice as sender when its page is shown: a feature that issued it for a
# reason the client should read first (a higher share the plan decided) answers with the
# URL of that explanation, which the page links to.
invoice_explanation = _events.signal("invoice-explanation")

# Asked by the billing desk's money by day with `start` and `end` (dates, both included): a
# feature whose money moves outside invoices (an insurer's remittance, a provider's payout),
# or is taken back or given up (a recoupment, a write-off), answers with its Movements on
# those days, each naming what caused it.
money_moved = _events.signal("money-moved")

REMITTANCE, PAYOUT, RECOUPMENT, WRITE_OFF = "remittance", "payout", "recoupment", "write_off"


@dataclass
class Movement:
    kind: str  # REMITTANCE and PAYOUT move money; RECOUPMENT and WRITE_OFF are told apart
    day: datetime.date  # the day it counts on (UTC; a remittance's payment date)
    at: datetime.datetime  # for ordering a day's rows
    cents: int  # positive
    what: str  # in words, no client's name
    links: tuple = ()  # ((label, endpoint, {url arguments}), …): what caused it
