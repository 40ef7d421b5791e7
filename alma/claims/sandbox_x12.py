"""The sandbox clearinghouse's answers as real X12: a 999 for each claim's interchange, a
277CA per claim, and 835s (005010X221A1) for the claims a payer decided, each of which
passes pyx12's maps. Amounts are integer cents, written with x12.money.

The facts come in as plain dicts (the sandbox's store is JSON): a claim is
{pcn, payer_id, payer_name, npi, tax_id, group_name, member_id, first_name, last_name,
service_date, procedure, charge_cents, control_number}; its decision adds
{status, paid_cents, patient_cents, adjustments: [[group, reason, cents]], remarks: [...],
payer_claim_number}.
"""
import datetime

from alma.claims.x12 import interchange_header, money, segment

SANDBOX_ID = "ALMASANDBOX"
PAYER_ADDRESS = ("PO BOX 30555", "SALT LAKE CITY", "UT", "841300555")


def _interchange(kind, version, receiver, control, now, body):
    """ISA/GS around one transaction (body: element lists from ST to just before SE)."""
    stamp = [now.strftime("%Y%m%d"), now.strftime("%H%M")]
    lines = [segment(elements) for elements in body]
    lines.append(segment(["SE", str(len(lines) + 1), "0001"]))
    return "\n".join([
        interchange_header(SANDBOX_ID, receiver, now.strftime("%y%m%d"), stamp[1],
                           f"{control:09d}", True),
        segment(["GS", kind, SANDBOX_ID, receiver, *stamp, str(control), "X", version]),
        *lines,
        segment(["GE", "1", str(control)]),
        segment(["IEA", "1", f"{control:09d}"]),
    ]) + "\n"


def ack_999(claim, control, now):
    """The clearinghouse's syntax check of the claim's interchange: accepted."""
    version = "005010X231A1"
    body = [["ST", "999", "0001", version],
            ["AK1", "HC", claim["control_number"], "005010X222A1"],
            ["AK2", "837", "0001", "005010X222A1"],
            ["IK5", "A"],
            ["AK9", "A", "1", "1", "1"]]
    return _interchange("FA", version, claim["submitter_id"], control, now, body)


def ack_277ca(claim, control, now, rejection=None):
    """The payer's front door: accepted into adjudication (A2:20), or `rejection`, a
    (category, status, entity) such as ("A7", "164", "IL"): the member ID is invalid."""
    day = now.strftime("%Y%m%d")
    charge = money(claim["charge_cents"])
    status = ["A2", "20", "PR"] if rejection is None else list(rejection)
    accepted = rejection is None
    quantity, amount = ("QA", "YU") if accepted else ("QC", "YY")
    body = [
        ["ST", "277", "0001", "005010X214"],
        ["BHT", "0085", "08", f"SB{control}", day, now.strftime("%H%M"), "TH"],
        ["HL", "1", "", "20", "1"],
        ["NM1", "PR", "2", claim["payer_name"], "", "", "", "", "PI", claim["payer_id"]],
        ["TRN", "1", f"SB{control}"],
        ["DTP", "050", "D8", day],
        ["DTP", "009", "D8", day],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "41", "2", claim["group_name"], "", "", "", "", "46", claim["submitter_id"]],
        ["TRN", "2", claim["control_number"]],
        ["STC", ["A1", "19", "PR"], day, "WQ", charge],
        ["QTY", "90" if accepted else "AA", "1"],
        ["AMT", "YU" if accepted else "YY", charge],
        ["HL", "3", "2", "19", "1"],
        ["NM1", "85", "2", claim["group_name"], "", "", "", "", "XX", claim["npi"]],
        ["TRN", "1", "0"],
        ["STC", ["A1", "19", "PR"], "", "WQ", charge],
        ["QTY", quantity, "1"],
        ["AMT", amount, charge],
        ["HL", "4", "3", "PT"],
        ["NM1", "QC", "1", claim["last_name"], claim["first_name"], "", "", "", "MI",
         claim["member_id"]],
        ["TRN", "2", claim["pcn"]],
        ["STC", status, day, "WQ" if accepted else "U", charge],
    ]
    if accepted:
        body.append(["REF", "1K", claim["payer_claim_number"]])
    body.append(["DTP", "472", "D8", claim["service_date"]])
    return _interchange("HN", "005010X214", claim["submitter_id"], control, now, body)


def _claim_loop(claim, decision, sign):
    """The CLP loop: the claim, the patient, one service line with its adjustments."""
    def amount(cents):
        return money(sign * cents)
    adjustments = [["CAS", group, reason, amount(cents)]
                   for group, reason, cents in decision["adjustments"]]
    loop = [
        ["CLP", claim["pcn"], decision["status"] if sign > 0 else "22",
         amount(claim["charge_cents"]), amount(decision["paid_cents"]),
         amount(decision["patient_cents"]), "12", decision["payer_claim_number"]],
        ["NM1", "QC", "1", claim["last_name"], claim["first_name"], "", "", "", "MI",
         claim["member_id"]],
    ]
    if decision.get("claim_remarks"):
        loop.append(["MOA", "", "", *decision["claim_remarks"]])
    loop += [
        ["SVC", ["HC", *claim["procedure"].split(":")], amount(claim["charge_cents"]),
         amount(decision["paid_cents"]), "", str(sign)],
        ["DTM", "472", claim["service_date"]],
        *adjustments,
    ]
    allowed = claim["charge_cents"] - sum(cents for group, _, cents in decision["adjustments"]
                                          if group != "PR")
    if decision["status"] != "4":
        loop.append(["AMT", "B6", amount(allowed)])
    loop += [["LQ", "HE", code] for code in decision.get("remarks", [])]
    return loop


def remittance_835(payer, entries, trace, control, now, provider_adjustments=()):
    """One 835 from `payer` ({payer_id, payer_name, tax_id, npi, group_name, submitter_id})
    for `entries`: (claim, decision, sign) with sign -1 for a reversal (CLP02 = 22, every
    amount negated). `provider_adjustments`: (reason, reference, cents) PLB entries."""
    day = now.strftime("%Y%m%d")
    total = sum(sign * decision["paid_cents"] for _, decision, sign in entries) - sum(
        cents for _, _, cents in provider_adjustments)
    if total < 0:
        raise ValueError("an 835 never pays a negative amount: carry it with PLB FB")
    bpr = (["BPR", "C", money(total), "C", "CHK", *[""] * 11, day] if total else
           ["BPR", "H", "0", "C", "NON", *[""] * 11, day])
    body = [
        ["ST", "835", "0001"],
        bpr,
        ["TRN", "1", trace, "1" + payer["payer_tax_id"]],
        ["DTM", "405", day],
        ["N1", "PR", payer["payer_name"]],
        ["N3", PAYER_ADDRESS[0]],
        ["N4", *PAYER_ADDRESS[1:]],
        ["PER", "BL", "PROVIDER SERVICES", "TE", "8005550100"],
        ["N1", "PE", payer["group_name"], "XX", payer["npi"]],
        ["REF", "TJ", payer["tax_id"]],
        ["LX", "1"],
    ]
    for claim, decision, sign in entries:
        body += _claim_loop(claim, decision, sign)
    if provider_adjustments:
        fiscal_end = datetime.date(now.year, 12, 31).strftime("%Y%m%d")
        plb = ["PLB", payer["npi"], fiscal_end]
        for reason, reference, cents in provider_adjustments:
            plb += [[reason, reference] if reference else reason, money(cents)]
        body.append(plb)
    return _interchange("HP", "005010X221A1", payer["submitter_id"], control, now, body)
