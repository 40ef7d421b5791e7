"""What consultations tell the features built on them (matching), without knowing them.

The sender is always the consultation request. Receivers are connected when their
module is imported (the app factory imports every feature) and run inside the
transaction of the change they hear about.
"""
from blinker import Namespace

_events = Namespace()

# The provider said yes or no, or the request expired unanswered.
answered = _events.signal("consultation-answered")
# "Not a good fit": the provider hands a client's own request to the matching team.
handed_over = _events.signal("consultation-handed-over")
# Days without an answer (SUGGEST_OTHERS_AFTER_DAYS): others are suggested to the client.
unanswered = _events.signal("consultation-unanswered")
