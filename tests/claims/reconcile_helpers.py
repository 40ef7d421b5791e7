"""Reconciling tests' helpers: a claim sent, and its 835s as the sandbox writes them."""
from alma.claims import jobs, posting
from alma.claims.clearinghouse import SandboxClearinghouse
from tests.claims.helpers import fresh, logged_claim

COPAY = "ALMA-ACTIVE-COPAY"


def sent_claim(app, provider, sandbox, member_id, n=0):
    """A claim for `member_id`, sent, and the 835 texts the sandbox has for it."""
    claim = logged_claim(app, provider, member_id, n=n)
    assert jobs.submit_claims() == 1
    gateway = SandboxClearinghouse(sandbox)
    texts, cursor = [], ""
    for _ in range(3):
        reports, cursor = gateway.poll(cursor)
        texts += [r.x12 for r in reports if r.kind == "835"]
    return fresh(claim), texts


def post_all(texts):
    for text in texts:
        posting.post(text)


def with_share(text, claim, cents):
    """A COPAY 835 saying the client owes `cents` (copay) and the insurer the rest."""
    paid = 12500 - cents
    pcn = claim.patient_control_number
    return (text.replace(f"CLP*{pcn}*1*125*100*25*", f"CLP*{pcn}*1*125*{paid / 100:g}*"
                                                      f"{cents / 100:g}*")
            .replace("CAS*PR*3*25", f"CAS*PR*3*{cents / 100:g}")
            .replace("SVC*HC:90834:95*125*100", f"SVC*HC:90834:95*125*{paid / 100:g}"))
