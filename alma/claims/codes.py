"""The codes payers answer with, their official short texts, and what they mean in plain
words: adjustment groups and reason codes (CARC), remark codes (RARC), claim statuses in an
835 (CLP02), 277CA status categories and codes, and provider-level adjustments (PLB).

The official texts are those published for X12 (CARC/RARC lists, the 835 and 277CA guides),
kept for the codes DOMAIN.md lists and the ones the sandbox answers with. A code missing
here is shown with its number and the group's meaning, never hidden.
"""

GROUPS = {
    "CO": ("Contractual Obligations", "the group's contract with the plan: written off, "
                                      "nobody pays it"),
    "PR": ("Patient Responsibility", "you pay this part"),
    "OA": ("Other Adjustments", "adjusted by the plan for another reason"),
    "PI": ("Payer Initiated Reductions", "reduced by the plan"),
    "CR": ("Corrections and Reversals", "a correction of an earlier payment"),
}

# CARC: official short text, plain words.
REASONS = {
    "1": ("Deductible Amount", "your plan's deductible"),
    "2": ("Coinsurance Amount", "your plan's coinsurance (your percentage of the cost)"),
    "3": ("Co-payment Amount", "your plan's copay for the visit"),
    "16": ("Claim/service lacks information or has submission/billing error(s).",
           "the claim was missing information, so it wasn't paid"),
    "27": ("Expenses incurred after coverage terminated.",
           "the plan says coverage had ended before this session"),
    "29": ("The time limit for filing has expired.", "the claim was sent too late"),
    "31": ("Patient cannot be identified as our insured.",
           "the plan couldn't find the client as its member"),
    "45": ("Charge exceeds fee schedule/maximum allowable or contracted/legislated fee "
           "arrangement.", "more than the plan's allowed amount for this service"),
    "96": ("Non-covered charge(s).", "the plan doesn't cover this service"),
    "97": ("The benefit for this service is included in the payment/allowance for another "
           "service/procedure that has already been adjudicated.",
           "already paid as part of another service"),
    "197": ("Precertification/authorization/notification/pre-treatment absent.",
            "the plan needed an authorisation first"),
}

# RARC: official text, plain words.
REMARKS = {
    "MA130": ("Your claim contains incomplete and/or invalid information, and no appeal rights "
              "are afforded because the claim is unprocessable. Submit a new claim with the "
              "complete/correct information.",
              "the claim can't be processed as sent: it must be corrected and sent again"),
    "N381": ("Alert: Consult our contractual agreement for restrictions/billing/payment "
             "information related to these charges.",
             "the plan points to its contract for how this was priced"),
    "N30": ("Patient ineligible for this service.",
            "the plan says the client wasn't eligible for this service"),
}

# CLP02: official text, plain words.
CLAIM_STATUSES = {
    "1": ("Processed as Primary", "processed"),
    "2": ("Processed as Secondary", "processed as the second plan"),
    "3": ("Processed as Tertiary", "processed as the third plan"),
    "4": ("Denied", "denied"),
    "19": ("Processed as Primary, Forwarded to Additional Payer(s)",
           "processed and sent on to the client's other plan"),
    "20": ("Processed as Secondary, Forwarded to Additional Payer(s)",
           "processed and sent on to the client's other plan"),
    "22": ("Reversal of Previous Payment", "an earlier payment was taken back"),
    "23": ("Not Our Claim, Forwarded to Additional Payer(s)",
           "not this plan's claim: sent on to another plan"),
}
PROCESSED = ("1", "2", "3", "19", "20")

# 277CA status category codes (STC01-1).
CATEGORIES = {
    "A0": "Acknowledgement/Forwarded",
    "A1": "Acknowledgement/Receipt",
    "A2": "Acknowledgement/Acceptance into adjudication system",
    "A3": "Acknowledgement/Returned as unprocessable claim",
    "A4": "Acknowledgement/Not Found",
    "A6": "Acknowledgement/Rejected for Missing Information",
    "A7": "Acknowledgement/Rejected for Invalid Information",
    "A8": "Acknowledgement/Rejected for relational field in error",
}
# 277CA claim status codes (STC01-2): official text, plain words.
CLAIM_STATUS_CODES = {
    "19": ("Entity acknowledges receipt of claim/encounter.", "received"),
    "20": ("Accepted for processing.", "accepted for review"),
    "21": ("Missing or invalid information.", "some information was missing or wrong"),
    "164": ("Entity's contract/member number.", "the member ID"),
    "562": ("Entity's National Provider Identifier (NPI).", "the NPI"),
}
ENTITIES = {"IL": "of the insured", "QC": "of the patient", "PR": "of the payer",
            "85": "of the billing provider", "82": "of the rendering provider",
            "41": "of the submitter"}

# PLB03-1: official text, plain words.
PROVIDER_ADJUSTMENTS = {
    "WO": ("Overpayment Recovery", "money the plan takes back for an earlier overpayment"),
    "FB": ("Forward Balance", "a balance the plan carries to a later payment"),
    "L6": ("Interest Owed", "interest the plan adds for paying late"),
    "72": ("Authorized Return", "money returned to the plan"),
    "CS": ("Adjustment", "an adjustment by the plan"),
}


def adjustment_words(group, reason):
    """'PR-1: your plan's deductible: you pay this part'."""
    _, group_words = GROUPS.get(group, (group, "adjusted by the plan"))
    _, reason_words = REASONS.get(reason, ("", f"reason code {reason}"))
    return f"{group}-{reason}: {reason_words}: {group_words}"


def official_adjustment(group, reason):
    group_text, _ = GROUPS.get(group, (group, ""))
    reason_text, _ = REASONS.get(reason, ("(not in our table)", ""))
    return f"{group} ({group_text}) {reason}: {reason_text}"


def remark_words(code):
    _, words = REMARKS.get(code, ("", f"remark {code}"))
    return f"{code}: {words}"


def status_words(status_code):
    return CLAIM_STATUSES.get(status_code, ("", f"status {status_code}"))[1]


def acknowledgement_words(category, status, entity):
    """A 277CA status in words: 'rejected for invalid information: the member ID of the
    insured'."""
    what = CATEGORIES.get(category, category).split("/", 1)[-1].lower()
    detail = CLAIM_STATUS_CODES.get(status, ("", f"status {status}"))[1]
    whose = ENTITIES.get(entity, "")
    return f"{what}: {detail} {whose}".strip()


def provider_adjustment_words(reason):
    return PROVIDER_ADJUSTMENTS.get(reason, ("", f"adjustment {reason}"))[1]
