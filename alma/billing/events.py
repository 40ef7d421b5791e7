"""What billing tells the features built on it, without knowing them.

A feature connects a receiver when it is imported (the app factory imports every
feature). A receiver runs inside the transaction that caused the event, so if it
fails nothing of the event is recorded either.
"""
from blinker import Namespace

_events = Namespace()

# Sent with the invoice as sender when it becomes paid (membership lifts a billing hold).
invoice_paid = _events.signal("invoice-paid")

# Asked with the invoice as sender when its page is shown: a feature that issued it for a
# reason the client should read first (a higher share the plan decided) answers with the
# URL of that explanation, which the page links to.
invoice_explanation = _events.signal("invoice-explanation")
