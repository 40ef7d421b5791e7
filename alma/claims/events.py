"""What claims tell the features built on them (reconciling the client's share, provider
payouts), without knowing them.

The sender is always the claim. Receivers are connected when their module is imported and
run inside the transaction of the posting they hear about.
"""
from blinker import Namespace

_events = Namespace()

# An 835's claim payment (a ClaimPayment, as `payment`) was posted to the claim, whose
# status, paid_cents and patient_responsibility_cents already include it. A reversal
# (CLP02 22) is posted, and sent, as its own payment.
remittance_posted = _events.signal("claim-remittance-posted")
