"""A local clearinghouse: answers benefit checks for documented test members, asks no insurer.

`respond(request)` decides the answer to a JSON 270 from the member ID alone and returns
(HTTP status, JSON body or None, delay in seconds). Its answers are shaped like a real
clearinghouse's JSON 271 (Stedi / Change Healthcare): the control number echoed, payer and
subscriber loops, planStatus, planDateInformation, and benefitsInformation with plan-level
(30) and mental-health (MH) rows, individual and family rows, out-of-network rows, amounts
as strings ("25", "1200.00") and percents as fractions ("0.2"). Payer errors come back as
HTTP 200 with an `errors` list, as real clearinghouses send them; a request that breaks the
rules as Stedi's HTTP 400 {message, fieldList}, before any payer is asked.

Two ways to use it:
- in-process: clearinghouse.SandboxClearinghouse calls respond() directly and never sleeps;
  an answer delayed past its timeout (ALMA-TIMEOUT) fails at once, as a timeout would.
- over HTTP: serve() starts a real server on a thread, which really waits out the delay,
  so an HTTP client's timeout is exercised for real, and answers only at Stedi's path
  (ELIGIBILITY_PATH), as Stedi does. shutdown(server) stops it.

Every member ID not in TEST_MEMBERS is unknown to the payer (AAA 72). At the carve-out
administrator's payer id (OBH01) only ALMA-CARVE-OUT is a member.
"""
import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from alma.benefits.eligibility import ELIGIBILITY_PATH

# Shown to people on the development site: plain English.
TEST_MEMBERS = {
    "ALMA-ACTIVE-COPAY": "Active plan (Choice Plus): a $25 copay per therapy visit; the $500 "
                         "deductible is met; $2,100 left of the $3,000 out-of-pocket maximum.",
    "ALMA-COINS-DEDUCT": "Active plan: the client pays 20% of each visit; $1,200 left of the "
                         "$1,500 deductible; $3,600 left of the $4,000 out-of-pocket maximum.",
    "ALMA-INACTIVE": "Coverage ended on March 31, 2025.",
    "ALMA-CARVE-OUT": "Mental-health benefits are handled by Optum Behavioral Health (payer "
                      "ID OBH01); asked in turn, it answers with a $30 copay per visit.",
    "ALMA-NOT-COVERED": "Active medical plan that doesn't cover mental-health care.",
    "ALMA-PAYER-ERROR": "The insurer can't answer right now (AAA 42); the check can be tried "
                        "again later.",
    "ALMA-TIMEOUT": "The insurer takes 90 seconds to answer, longer than we wait (a "
                    "minute), so the check times out.",
    "ALMA-OOP-MET": "Active plan with 10% coinsurance; the $5,000 out-of-pocket maximum has "
                    "been reached this year.",
    "ALMA-SERVER-ERROR": "The clearinghouse fails with a server error (HTTP 500).",
    "ALMA-GARBLED": "The clearinghouse answers with a web page instead of data.",
}
OTHER_MEMBERS = "Any other member ID: the insurer can't find the member (AAA 72)."

CARVE_OUT_PAYER_ID = "OBH01"
CARVE_OUT_NAME = "Optum Behavioral Health"
# Longer than the minute a check waits by default (DEFAULT_TIMEOUT_SECONDS in clearinghouse.py).
TIMEOUT_DELAY_SECONDS = 90.0

PAYER_NAMES = {"60054": "AETNA", "OSCAR": "OSCAR HEALTH", "06111": "OXFORD HEALTH PLANS",
               "87726": "UNITEDHEALTHCARE", CARVE_OUT_PAYER_ID: "OPTUM BEHAVIORAL HEALTH"}

_BENEFIT_NAMES = {"1": "Active Coverage", "6": "Inactive", "A": "Co-Insurance",
                  "B": "Co-Payment", "C": "Deductible", "G": "Out of Pocket (Stop Loss)",
                  "I": "Non-Covered",
                  "U": "Contact Following Entity for Eligibility or Benefit Information"}
_SERVICE_TYPE_NAMES = {"30": "Health Benefit Plan Coverage", "MH": "Mental Health",
                       "A4": "Psychiatric", "A6": "Psychotherapy",
                       "CF": "Mental Health Provider - Outpatient", "22": "Social Work",
                       "98": "Professional (Physician) Visit - Office"}
_LEVEL_NAMES = {"IND": "Individual", "FAM": "Family", "EMP": "Employee Only"}
_TIME_NAMES = {"23": "Calendar Year", "27": "Visit", "29": "Remaining"}
_NETWORK_NAMES = {"Y": "Yes", "N": "No", "W": "Not Applicable", "U": "Unknown"}

_MENTAL_HEALTH = ("MH", "A6", "CF")


def _row(code, types, *, amount=None, percent=None, level=None, time=None, network=None,
         **extra):
    row = {"code": code, "name": _BENEFIT_NAMES[code], "serviceTypeCodes": list(types),
           "serviceTypes": [_SERVICE_TYPE_NAMES[t] for t in types]}
    if level:
        row.update(coverageLevelCode=level, coverageLevel=_LEVEL_NAMES[level])
    if time:
        row.update(timeQualifierCode=time, timeQualifier=_TIME_NAMES[time])
    if amount is not None:
        row["benefitAmount"] = amount
    if percent is not None:
        row["benefitPercent"] = percent
    if network:
        row.update(inPlanNetworkIndicatorCode=network,
                   inPlanNetworkIndicator=_NETWORK_NAMES[network])
    row.update(extra)
    return row


def _limits(code, types, network, individual, family):
    """A deductible (C) or out-of-pocket maximum (G): (total, remaining) per coverage level."""
    return [_row(code, types, level=level, time=time, amount=amount, network=network)
            for level, (total, remaining) in (("IND", individual), ("FAM", family))
            for time, amount in (("23", total), ("29", remaining))]


def _active(plan, *, insurance="C1"):
    return [_row("1", ["30"], level="FAM", planCoverage=plan, insuranceTypeCode=insurance,
                 insuranceType="Commercial"),
            _row("1", ["MH", "A6", "CF", "98"], level="FAM")]


def _active_copay():
    return "Choice Plus", [
        *_active("Choice Plus"),
        _row("B", _MENTAL_HEALTH, level="IND", time="27", amount="25", network="Y"),
        _row("A", _MENTAL_HEALTH, level="IND", percent="0", network="Y"),
        _row("B", _MENTAL_HEALTH, level="IND", time="27", amount="60", network="N"),
        _row("A", _MENTAL_HEALTH, level="IND", percent="0.4", network="N"),
        _row("B", ["98"], level="IND", time="27", amount="40", network="Y"),
        *_limits("C", ["30"], "Y", ("500", "0"), ("1000", "350")),
        *_limits("C", ["30"], "N", ("1500", "1500"), ("3000", "3000")),
        *_limits("G", ["30"], "Y", ("3000", "2100"), ("6000", "4800")),
        *_limits("G", ["30"], "N", ("6000", "6000"), ("12000", "12000")),
    ]


def _coinsurance_deductible():
    return "Gold PPO 1500", [
        *_active("Gold PPO 1500"),
        _row("A", _MENTAL_HEALTH, level="IND", percent="0.5", network="N"),
        _row("A", _MENTAL_HEALTH, level="IND", percent="0.2", network="Y"),
        _row("A", ["30"], level="IND", percent="0.3", network="Y"),
        *_limits("C", ["30"], "Y", ("1500.00", "1200.00"), ("3000.00", "2700.00")),
        *_limits("C", _MENTAL_HEALTH, "Y", ("1500.00", "1200.00"), ("3000.00", "2700.00")),
        *_limits("C", _MENTAL_HEALTH, "N", ("3000.00", "3000.00"), ("6000.00", "6000.00")),
        *_limits("G", ["30"], "Y", ("4000.00", "3600.00"), ("8000.00", "7600.00")),
        *_limits("G", ["30"], "N", ("8000.00", "8000.00"), ("16000.00", "16000.00")),
    ]


def _not_covered():
    return "Bronze Essential", [
        *_active("Bronze Essential")[:1],
        _row("I", ["MH", "A6", "CF", "A4"], level="IND",
             additionalInformation=[{"description": "Mental health services are not a covered "
                                                    "benefit under this plan."}]),
        _row("B", ["98"], level="IND", time="27", amount="50", network="Y"),
        *_limits("C", ["30"], "Y", ("7000", "7000"), ("14000", "14000")),
        *_limits("G", ["30"], "Y", ("9200", "9200"), ("18400", "18400")),
    ]


def _oop_met():
    return "Platinum Choice", [
        *_active("Platinum Choice"),
        _row("A", _MENTAL_HEALTH, level="IND", percent="0.1", network="W"),
        _row("A", _MENTAL_HEALTH, level="IND", percent="0.3", network="N"),
        *_limits("C", ["30"], "W", ("1000", "0"), ("2000", "0")),
        *_limits("G", ["30"], "W", ("5000", "0.00"), ("10000", "4250.00")),
        *_limits("G", ["30"], "N", ("10000", "8000"), ("20000", "18000")),
    ]


def _carve_out():
    entity = {"entityIdentifier": "Third-Party Administrator", "entityType": "Non-Person Entity",
              "entityName": CARVE_OUT_NAME, "entityIdentification": "PI",
              "entityIdentificationValue": CARVE_OUT_PAYER_ID,
              "contactInformation": {"contacts": [{"communicationMode": "Telephone",
                                                   "communicationNumber": "8005550199"}]}}
    return "Navigate HMO", [
        *_active("Navigate HMO", insurance="HM")[:1],
        _row("U", ["MH", "A6", "CF", "A4"], benefitsRelatedEntities=[entity]),
        _row("B", ["98"], level="IND", time="27", amount="20", network="Y"),
        *_limits("C", ["30"], "Y", ("0", "0"), ("0", "0")),
        *_limits("G", ["30"], "Y", ("2500", "2500"), ("5000", "5000")),
    ]


def _behavioral_health():
    return "Behavioral Health", [
        _row("1", ["30", "MH", "A6", "CF"], level="IND", planCoverage="Behavioral Health"),
        _row("B", _MENTAL_HEALTH, level="IND", time="27", amount="30", network="Y"),
        _row("B", _MENTAL_HEALTH, level="IND", time="27", amount="90", network="N"),
    ]


_PLANS = {
    "ALMA-ACTIVE-COPAY": _active_copay,
    "ALMA-COINS-DEDUCT": _coinsurance_deductible,
    "ALMA-NOT-COVERED": _not_covered,
    "ALMA-OOP-MET": _oop_met,
    "ALMA-CARVE-OUT": _carve_out,
    "ALMA-TIMEOUT": _active_copay,  # a normal answer, too late
}


def _problems(request):
    """What is wrong with a request's shape, as (field, description) pairs."""
    if not isinstance(request, dict):
        return [("", "The request must be a JSON object.")]
    problems = []

    def text(place, key, path):
        value = place.get(key) if isinstance(place, dict) else None
        if not isinstance(value, str) or not value.strip():
            problems.append((path, f"{path} is required."))
            return None
        return value

    control = text(request, "controlNumber", "controlNumber")
    if control and not (len(control) == 9 and control.isascii() and control.isdigit()):
        problems.append(("controlNumber", "controlNumber must be nine digits."))
    text(request, "tradingPartnerServiceId", "tradingPartnerServiceId")
    provider = request.get("provider")
    text(provider, "organizationName", "provider.organizationName")
    npi = text(provider, "npi", "provider.npi")
    if npi and not (len(npi) == 10 and npi.isascii() and npi.isdigit()):
        problems.append(("provider.npi", "provider.npi must be ten digits."))
    subscriber = request.get("subscriber")
    for key in ("memberId", "firstName", "lastName"):
        text(subscriber, key, f"subscriber.{key}")
    born = text(subscriber, "dateOfBirth", "subscriber.dateOfBirth")
    if born:
        try:
            if not (len(born) == 8 and born.isdigit()):
                raise ValueError
            datetime.datetime.strptime(born, "%Y%m%d")
        except ValueError:
            problems.append(("subscriber.dateOfBirth",
                             "subscriber.dateOfBirth must be a date as CCYYMMDD."))
    encounter = request.get("encounter")
    if encounter is not None:
        types = encounter.get("serviceTypeCodes") if isinstance(encounter, dict) else None
        if not (isinstance(types, list) and len(types) == 1 and isinstance(types[0], str)):
            problems.append(("encounter.serviceTypeCodes",
                             "encounter.serviceTypeCodes must list one service type."))
    return problems


def _loops(request, payer_id):
    """The parts of an answer that echo the request."""
    subscriber, provider = request["subscriber"], request["provider"]
    return {
        "meta": {"senderId": "ALMA-SANDBOX", "applicationMode": "sandbox"},
        "controlNumber": request["controlNumber"],
        "reassociationKey": request["controlNumber"],
        "tradingPartnerServiceId": payer_id,
        "provider": {"providerName": provider["organizationName"].upper(),
                     "entityIdentifier": "Provider", "entityType": "Non-Person Entity",
                     "npi": provider["npi"]},
        "subscriber": {"memberId": subscriber["memberId"],
                       "firstName": subscriber["firstName"].upper(),
                       "lastName": subscriber["lastName"].upper(),
                       "dateOfBirth": subscriber["dateOfBirth"],
                       "entityIdentifier": "Insured or Subscriber", "entityType": "Person"},
        "payer": {"entityIdentifier": "Payer", "entityType": "Non-Person Entity",
                  "name": PAYER_NAMES.get(payer_id, "SANDBOX HEALTH PLAN"),
                  "payorIdentification": payer_id},
    }


def _covered(request, payer_id, plan, rows, dates):
    body = _loops(request, payer_id)
    body["subscriber"]["groupNumber"] = "0701234"
    body["planInformation"] = {"groupNumber": "0701234", "groupDescription": "SANDBOX EMPLOYER"}
    body["planDateInformation"] = dates
    status = next(row for row in rows if row["code"] in ("1", "6"))
    body["planStatus"] = [{"statusCode": status["code"], "status": status["name"],
                           "planDetails": plan, "serviceTypeCodes": status["serviceTypeCodes"]}]
    body["benefitsInformation"] = rows
    return body


def _rejected(request, payer_id, code, description, followup, loop):
    body = _loops(request, payer_id)
    error = {"field": "AAA", "code": code, "description": description,
             "followupAction": followup, "location": f"Loop {loop}"}
    body["payer" if loop == "2100A" else "subscriber"]["aaaErrors"] = [error]
    body["errors"] = [error]
    return body


def _invalid(problems):
    """Stedi's answer to a request that breaks its rules (its ValidationException)."""
    return {"message": "1 validation error detected" if len(problems) == 1
            else f"{len(problems)} validation errors detected",
            "fieldList": [{"path": "/" + path.replace(".", "/") if path else "",
                           "message": description}
                          for path, description in problems]}


def _plan_member(member):
    """ALMA-ACTIVE-COPAY-<anything> has ALMA-ACTIVE-COPAY's plan: the claims sandbox
    (alma/claims/sandbox.py) picks what the insurer decides about a claim from the rest."""
    return "ALMA-ACTIVE-COPAY" if member.startswith("ALMA-ACTIVE-COPAY-") else member


def respond(request):
    """The sandbox's answer to a JSON 270: (HTTP status, JSON body or None, delay seconds).
    A pure function of the request."""
    problems = _problems(request)
    if problems:
        return 400, _invalid(problems), 0.0

    payer_id = request["tradingPartnerServiceId"]
    member = _plan_member(request["subscriber"]["memberId"].strip().upper())
    subscriber_lost = ("75", "Subscriber/Insured Not Found", "Please Correct and Resubmit",
                       "2100C")
    active_dates = {"planBegin": "20250101", "eligibilityBegin": "20230601"}

    if payer_id == CARVE_OUT_PAYER_ID:
        if member != "ALMA-CARVE-OUT":
            return 200, _rejected(request, payer_id, *subscriber_lost), 0.0
        plan, rows = _behavioral_health()
        return 200, _covered(request, payer_id, plan, rows, active_dates), 0.0
    if member in _PLANS:
        plan, rows = _PLANS[member]()
        delay = TIMEOUT_DELAY_SECONDS if member == "ALMA-TIMEOUT" else 0.0
        return 200, _covered(request, payer_id, plan, rows, active_dates), delay
    if member == "ALMA-INACTIVE":
        rows = [_row("6", ["30"], level="IND", planCoverage="Silver HMO",
                     insuranceTypeCode="HM", insuranceType="Health Maintenance Organization")]
        dates = {"planBegin": "20240101", "planEnd": "20250331", "eligibilityBegin": "20240101"}
        return 200, _covered(request, payer_id, "Silver HMO", rows, dates), 0.0
    if member == "ALMA-PAYER-ERROR":
        return 200, _rejected(request, payer_id, "42", "Unable to Respond at Current Time",
                              "Resubmission Allowed", "2100A"), 0.0
    if member == "ALMA-SERVER-ERROR":
        return 500, None, 0.0
    if member == "ALMA-GARBLED":
        return 200, None, 0.0
    return 200, _rejected(request, payer_id, "72", "Invalid/Missing Subscriber/Insured ID",
                          "Please Correct and Resubmit", "2100C"), 0.0


# Over HTTP ----------------------------------------------------------------------------------

_MAX_BODY = 1 << 20


class _Handler(BaseHTTPRequestHandler):
    server_version = "AlmaSandboxClearinghouse/1.0"

    def log_message(self, format, *args):  # quiet: the tests and the console stay readable
        pass

    def do_GET(self):
        self._send(405, {"message": "POST a JSON eligibility request."})

    def do_POST(self):
        if self.path.split("?", 1)[0].rstrip("/") != ELIGIBILITY_PATH:
            return self._send(404, {"message": "Not Found"})
        if self.server.api_key and self.headers.get("Authorization") != self.server.api_key:
            return self._send(401, {"message": "Unauthorized"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= _MAX_BODY:
                raise ValueError
            request = json.loads(self.rfile.read(length))
        except ValueError:
            return self._send(400, _invalid([("", "The request body must be JSON.")]))
        status, body, delay = respond(request)
        if delay and self.server.stopping.wait(delay):
            return  # shutting down: no answer
        self._send(status, body)

    def _send(self, status, body):
        if body is not None:
            data, kind = json.dumps(body).encode(), "application/json"
        elif status >= 500:
            data, kind = b"Internal Server Error", "text/plain; charset=utf-8"
        else:
            data, kind = b"<html><body><h1>Service notice</h1></body></html>", \
                "text/html; charset=utf-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, api_key=None):
        super().__init__(address, _Handler)
        self.api_key = api_key
        self.stopping = threading.Event()


def serve(host="127.0.0.1", port=0, api_key=None):
    """Serve the sandbox over HTTP on a daemon thread: (server, base_url). POST a JSON 270 to
    base_url + ELIGIBILITY_PATH, as to Stedi's base address; other paths are a 404. With
    api_key, a request must carry exactly it as its Authorization header."""
    server = SandboxServer((host, port), api_key=api_key)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="eligibility-sandbox", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_address[1]}"


def shutdown(server):
    """Stop a served sandbox: answers still waiting out a delay are dropped."""
    server.stopping.set()
    server.shutdown()
    server.server_close()
