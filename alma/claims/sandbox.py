"""A local clearinghouse for claims: it takes JSON professional claims, and answers, as a
payer would, with a 999 and a 277CA at once and 835s on later polls; no insurer is asked.

What the payer decides depends on the member ID alone (TEST_MEMBERS, shown on
/practice/sessions in development). The member IDs with a suffix after ALMA-ACTIVE-COPAY
are, for benefit checks, that plan ($25 copay); the suffix says what the claim meets.
A replacement (frequency 7) is decided afresh on its member ID and takes back, on the same
835, what the claim it names (REF*F8, the payer's CLP07) was paid; a void (8) only takes it
back; either naming no claim the payer decided is rejected (A7:21).

It keeps its own state, as a clearinghouse keeps its own database: in memory, or in a JSON
file (the in-process default keeps it in the instance folder, so every process of the site
sees the same clearinghouse). Polls are counted: a claim's 999 and 277CA are ready at once,
its 835 from the second poll after it arrived, a reversal from the third, so tests need no
waiting. Served over HTTP (sandbox_http.serve) it speaks the same paths as the real one.
"""
import contextlib
import fcntl
import json
import threading
from pathlib import Path

from alma.claims import sandbox_x12, x12read
from alma.clock import utcnow

COPAY = "ALMA-ACTIVE-COPAY"
TEST_MEMBERS = {
    COPAY: "Accepted, then paid as estimated: the $25 copay is the client's, the insurer "
           "pays the rest.",
    "ALMA-COINS-DEDUCT": "Accepted, then paid as estimated: the deductible ($1,200 left) "
                         "first, then 20% coinsurance.",
    "ALMA-CARVE-OUT": "Accepted by the behavioural-health administrator, paid as estimated "
                      "($30 copay).",
    "ALMA-OOP-MET": "Accepted, then paid in full: the out-of-pocket maximum is met.",
    f"{COPAY}-DEDUCTIBLE": "Paid with a different share: the plan applies the deductible "
                           "(PR-1), so the insurer pays $0 and the client owes the whole "
                           "allowed amount.",
    f"{COPAY}-COINSURANCE": "Paid with a different share: 30% coinsurance (PR-2) instead "
                            "of the copay.",
    f"{COPAY}-REJECTED": "Rejected at the front door: the 277CA says the member ID is "
                         "invalid (A7:164). Never adjudicated.",
    f"{COPAY}-DENIED": "Denied: the claim lacks information (CO-16, remark MA130).",
    f"{COPAY}-ENDED": "Denied: coverage ended before the session (PR-27): the client owes "
                      "the whole amount.",
    f"{COPAY}-PARTLY": "Partly paid: the plan allows $15 less than the group's rate (CO-45) "
                       "and the $25 copay is the client's.",
    f"{COPAY}-REVERSED": "Paid as estimated, then reversed on a later remittance (CLP02 22), "
                         "the amount carried to a later payment (PLB FB).",
}
OTHER_MEMBERS = "Rejected at the front door (A7:164): the insurer knows no such member."

PAYER_CLAIM_PREFIX = "SB"
_PLANS = {  # copay, coinsurance basis points, deductible left, out-of-pocket left (cents)
    COPAY: (2500, 0, 0, 210000), "ALMA-COINS-DEDUCT": (0, 2000, 120000, 360000),
    "ALMA-CARVE-OUT": (3000, 0, 0, 250000), "ALMA-OOP-MET": (0, 1000, 0, 0),
}


def _part(cents, basis_points):
    """A percentage of an amount in cents, rounded half up."""
    return (cents * basis_points + 5000) // 10000


def _as_estimated(member, charge, accumulators):
    copay, coinsurance, deductible_left, oop_left = _PLANS[member]
    left = accumulators.setdefault(member, [deductible_left, oop_left])
    deductible = min(charge, left[0])
    share = [("1", deductible), ("2", _part(charge - deductible, coinsurance)),
             ("3", min(copay, charge - deductible))]
    capped, room = [], left[1]
    for reason, cents in share:
        cents = min(cents, room)
        room -= cents
        if cents:
            capped.append(["PR", reason, cents])
    left[0] -= deductible
    left[1] = room
    return capped


def decide(member, charge, accumulators):
    """What the payer does with a claim for `member`: a 277CA rejection (category, status,
    entity), or an adjudication {status, paid_cents, patient_cents, adjustments, remarks}."""
    member = member.strip().upper()
    suffix = member[len(COPAY) + 1:] if member.startswith(COPAY + "-") else ""
    known = member in TEST_MEMBERS if suffix else member in _PLANS
    if not known or suffix == "REJECTED":
        return {"rejection": ["A7", "164", "IL"]}
    status, remarks = "1", []
    if suffix == "DENIED":
        status, adjustments, remarks = "4", [["CO", "16", charge]], ["MA130"]
    elif suffix == "ENDED":
        status, adjustments = "4", [["PR", "27", charge]]
    elif suffix == "DEDUCTIBLE":
        adjustments = [["PR", "1", charge]]
    elif suffix == "COINSURANCE":
        adjustments = [["PR", "2", _part(charge, 3000)]]
    elif suffix == "PARTLY":
        adjustments = [["CO", "45", 1500], ["PR", "3", 2500]]
    else:
        adjustments = _as_estimated(COPAY if suffix else member, charge, accumulators)
    patient = sum(cents for group, _, cents in adjustments if group == "PR")
    paid = 0 if status == "4" else charge - sum(cents for _, _, cents in adjustments)
    return {"status": status, "paid_cents": paid, "patient_cents": patient,
            "adjustments": adjustments, "remarks": remarks,
            "claim_remarks": remarks, "reverse": suffix == "REVERSED"}


def _facts(body, number):
    """What the answers need from a JSON claim (KeyError/TypeError when it lacks them)."""
    info, subscriber, billing = body["claimInformation"], body["subscriber"], body["billing"]
    line = info["serviceLines"][0]
    service = line["professionalService"]
    digits = "".join(c for c in billing["employerId"] if c.isdigit())
    return {"pcn": info["patientControlNumber"], "payer_id": body["tradingPartnerServiceId"],
            "payer_name": body.get("tradingPartnerName") or "SANDBOX HEALTH PLAN",
            "npi": billing["npi"], "tax_id": digits, "submitter_id": digits,
            "group_name": billing["organizationName"], "member_id": subscriber["memberId"],
            "first_name": subscriber["firstName"], "last_name": subscriber["lastName"],
            "service_date": line["serviceDate"],
            "procedure": ":".join([service["procedureCode"], *service["procedureModifiers"]]),
            "charge_cents": x12read.cents(info["claimChargeAmount"]),
            "control_number": str(int(body["controlNumber"])),
            "frequency": info.get("claimFrequencyCode") or "1",
            "replaces": (info.get("claimSupplementalInformation") or {}).get(
                "claimControlNumber", ""),
            "payer_claim_number": f"{PAYER_CLAIM_PREFIX}{number:010d}"}


def _payer_tax_id(payer_id):
    return "".join(str(ord(c) % 10) for c in payer_id.ljust(9, "0"))[:9]


class Sandbox:
    """The clearinghouse's state and its three verbs: submit, poll, report."""

    def __init__(self, path=None):
        self.path = Path(path) if path else None
        self.lock = threading.Lock()
        self.memory = self._empty()

    @staticmethod
    def _empty():
        return {"next": 1, "polls": 0, "submissions": {}, "reports": [], "received": [],
                "accumulators": {}}

    @contextlib.contextmanager
    def _state(self):
        """The state, locked against other threads and (in a file) other processes."""
        with self.lock:
            if self.path is None:
                yield self.memory
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                state = (json.loads(self.path.read_text()) if self.path.exists()
                         else self._empty())
                yield state
                temporary = self.path.with_suffix(".tmp")
                temporary.write_text(json.dumps(state))
                temporary.replace(self.path)

    def received(self):
        """Every claim request that arrived: (idempotency key, patient control number)."""
        with self._state() as state:
            return [tuple(pair) for pair in state["received"]]

    def submit(self, body, idempotency_key):
        """(HTTP status, JSON answer). A key seen before gets its first answer again."""
        with self._state() as state:
            pcn = (body.get("claimInformation") or {}).get("patientControlNumber", "") \
                if isinstance(body, dict) else ""
            state["received"].append([idempotency_key, pcn])
            if idempotency_key and idempotency_key in state["submissions"]:
                return 200, state["submissions"][idempotency_key]["response"]
            number = state["next"]
            state["next"] += 1
            try:
                claim = _facts(body, number)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                return 400, {"errors": [{"code": "33", "description": "The claim is "
                                         "missing required fields.",
                                         "followupAction": "Please Correct and Resubmit"}]}
            decision = self._decide(state, claim)
            decision["payer_claim_number"] = claim["payer_claim_number"]
            response = {"status": "SUCCESS", "controlNumber": body["controlNumber"],
                        "tradingPartnerServiceId": claim["payer_id"],
                        "claimReference": {"correlationId": f"SBC{number:010d}",
                                           "patientControlNumber": claim["pcn"]}}
            state["submissions"][idempotency_key or f"none-{number}"] = {
                "response": response, "claim": claim, "decision": decision,
                "poll": state["polls"], "stage": 0}
            now = utcnow()
            self._add(state, "999", sandbox_x12.ack_999(claim, state["next"], now))
            self._add(state, "277", sandbox_x12.ack_277ca(claim, state["next"], now,
                                                          decision.get("rejection")))
            return 200, response

    @staticmethod
    def _decide(state, claim):
        """A replacement (7) is decided afresh (on its member ID), and takes back whatever
        the claim it replaces was paid; a void (8) only takes it back. Either must name a
        claim of ours the payer decided (its CLP07 in REF*F8), or the front door rejects it
        (A7:21)."""
        if claim["frequency"] not in ("7", "8"):
            return decide(claim["member_id"], claim["charge_cents"], state["accumulators"])
        original = next((key for key, each in state["submissions"].items()
                         if each["decision"].get("payer_claim_number") == claim["replaces"]
                         and each["stage"] == 1), None)
        if original is None:
            return {"rejection": ["A7", "21", "PR"]}
        if claim["frequency"] == "8":
            return {"takes_back": original, "reverse": False}
        decision = decide(claim["member_id"], claim["charge_cents"], state["accumulators"])
        if "rejection" not in decision:
            decision["takes_back"] = original
        return decision

    def _add(self, state, kind, x12):
        state["reports"].append({"id": f"sandbox-{len(state['reports']) + 1:08d}",
                                 "kind": kind, "x12": x12})
        state["next"] += 1

    def _adjudicate(self, state):
        """Write the 835s now due: one per payer, for every claim it decided by this poll."""
        due = {}
        for each in list(state["submissions"].values()):
            decision, age = each["decision"], state["polls"] - each["poll"]
            if "rejection" in decision:
                continue
            if each["stage"] == 0 and age >= 2 and "takes_back" in decision:
                self._take_back(state, each, due)
            elif each["stage"] == 0 and age >= 2:
                due.setdefault(each["claim"]["payer_id"], []).append((each, 1))
            elif each["stage"] == 1 and age >= 3 and decision["reverse"]:
                due.setdefault(each["claim"]["payer_id"], []).append((each, -1))
        for payer_id, entries in sorted(due.items()):
            first = entries[0][0]["claim"]
            payer = {"payer_id": payer_id, "payer_name": first["payer_name"],
                     "payer_tax_id": _payer_tax_id(payer_id), "tax_id": first["tax_id"],
                     "npi": first["npi"], "group_name": first["group_name"],
                     "submitter_id": first["submitter_id"]}
            # What a reversal takes back is carried to a later payment (PLB FB), so this
            # one never goes below zero.
            carried = [("FB", e["claim"]["pcn"], -e["decision"]["paid_cents"])
                       for e, sign in entries if sign < 0]
            control = state["next"]
            self._add(state, "835", sandbox_x12.remittance_835(
                payer, [(e["claim"], e["decision"], sign) for e, sign in entries],
                f"SB835{control:07d}", control, utcnow(), carried))
            for each, sign in entries:
                each["stage"] = 1 if sign > 0 else 2

    @staticmethod
    def _take_back(state, each, due):
        """A replacement or void: the claim it acts on is reversed on the same 835 (when
        it had been paid anything), and a replacement is paid as decided; a void has no
        payment of its own (stage 2 at once)."""
        original = state["submissions"][each["decision"]["takes_back"]]
        entries = due.setdefault(each["claim"]["payer_id"], [])
        if original["stage"] == 1 and original["decision"]["paid_cents"]:
            entries.append((original, -1))
        original["stage"] = 2  # taken back once, whatever else names it
        if "status" in each["decision"]:
            entries.append((each, 1))
        else:
            each["stage"] = 2

    def poll(self, page_token=""):
        """(reports after `page_token`, the next token): each report {id, kind, x12}."""
        if self.path is not None and not self.path.exists():
            return [], page_token  # nothing was ever sent here: leave no file behind
        with self._state() as state:
            state["polls"] += 1
            self._adjudicate(state)
            after = int(page_token.rsplit("-", 1)[-1]) if page_token else 0
            items = [r for r in state["reports"] if int(r["id"].rsplit("-", 1)[-1]) > after]
            token = items[-1]["id"] if items else page_token
            return items, token

    def report(self, transaction_id):
        with self._state() as state:
            return next((r for r in state["reports"] if r["id"] == transaction_id), None)

    def reset(self):
        """Forget everything (tests start from an empty clearinghouse)."""
        with self._state() as state:
            state.clear()
            state.update(self._empty())
