"""The rules for self-pay clients: the good-faith estimate the No Surprises Act requires
(45 CFR 149.610), the warning before billing $400 or more above it, sessions and payments
logged, and superbills. Each change is one transaction, its email queued and its audit
event written in it."""
import datetime
import json
import re
import secrets

from flask import flash, has_request_context
from peewee import IntegrityError, fn
from stdnum.us import ein

from alma import audit
from alma.accounts import links
from alma.benefits.models import CPT_CODES
from alma.clock import today, utcnow
from alma.consultations import events as consultation_events
from alma.consultations.models import ACCEPTED
from alma.db import db, is_postgres
from alma.mail import service as mail
from alma.network.models import Client, License
from alma.selfpay import business_days
from alma.selfpay.models import (DISPUTE_THRESHOLD_CENTS, PLACES_OF_SERVICE, GoodFaithEstimate,
                                 PracticeDetails, SelfPayClient, SelfPayPayment, SelfPaySession,
                                 Superbill, keep_until)
from alma.templating import money
from alma.web import absolute_url

ESTIMATE_LINK = "good-faith-estimate"
SUPERBILL_LINK = "superbill"
ASK_LINK = "good-faith-estimate-ask"
DOCUMENT_LINK_TTL = datetime.timedelta(days=30)
MAX_MONTHS = 12  # one estimate may cover a recurring course of therapy up to 12 months
MAX_SESSIONS = 60
MAX_FEE_CENTS = 1_000_000  # $10,000 for one session: anything more is a typing slip
ICD10CM = re.compile(r"^[A-Z][0-9][A-Z0-9](\.[A-Z0-9]{1,4})?$")
MAX_CODES = 4
DISPUTE_URL = "https://www.cms.gov/nosurprises"

DISCLAIMERS = [
    "This Good Faith Estimate shows the costs of items and services that are reasonably "
    "expected for your health care needs for an item or service. The estimate is based on "
    "information known at the time the estimate was created.",
    "The Good Faith Estimate does not include any unknown or unexpected costs that may arise "
    "during treatment. You could be charged more if complications or special circumstances "
    "occur. Other items or services may be recommended as part of your care that are not "
    "included in this estimate.",
    "This Good Faith Estimate is not a contract and does not require you to obtain the items "
    "or services from any of the providers or facilities identified in it.",
]
DISPUTE_RIGHT = (
    "If you are billed for more than this Good Faith Estimate, you have the right to dispute "
    "the bill. You may contact the health care provider or facility listed to let them know "
    "the billed charges are higher than the Good Faith Estimate. You can ask them to update "
    "the bill to match the Good Faith Estimate, ask to negotiate the bill, or ask if there is "
    "financial assistance available. You may also start a dispute resolution process with the "
    "U.S. Department of Health and Human Services (HHS). If you choose to use the dispute "
    "resolution process, you must start the dispute process within 120 calendar days (about "
    "4 months) of the date on the original bill. You can dispute a bill that is $400 or more "
    "above this Good Faith Estimate. There is a $25 fee to use the dispute process. To learn "
    f"more and get a form to start the process, go to {DISPUTE_URL} or call 1-800-985-3059. "
    "Keep a copy of this Good Faith Estimate in a safe place or take pictures of it. You may "
    "need it if you are billed a higher amount.")


class SelfPayProblem(Exception):
    def __init__(self, message, field=None, status=422):
        super().__init__(message)
        self.field = field
        self.status = status


# --- Codes and identifiers ----------------------------------------------------------------

def diagnosis_codes(text):
    """ICD-10-CM codes typed with commas or spaces, as stored ("F41.1,F33.1"); raises
    SelfPayProblem naming the first that isn't one."""
    codes = [code for code in re.split(r"[\s,;]+", (text or "").upper()) if code]
    for code in codes:
        if not ICD10CM.match(code):
            raise SelfPayProblem(
                f"“{code[:12]}” isn't an ICD-10-CM code: a letter, a digit, a letter or digit, "
                "then optionally a dot and up to 4 more (like F41.1 or F43.10).",
                "diagnosis_codes")
    if len(codes) > MAX_CODES:
        raise SelfPayProblem(f"Give at most {MAX_CODES} diagnosis codes.", "diagnosis_codes")
    return ",".join(dict.fromkeys(codes))


def tax_id(text):
    """An EIN as stored (two digits, a dash, seven: 12-3456789), or SelfPayProblem."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not (digits.isascii() and digits.isdigit() and len(digits) == 9) or \
            not ein.is_valid(digits):
        raise SelfPayProblem("Enter your Tax ID (EIN) like 12-3456789: nine digits, and a "
                             "prefix the IRS issues.", "tax_id")
    return ein.format(digits)


def credentials(provider):
    """The provider's licence titles, the office state's first ("LCSW")."""
    rows = sorted(License.select().where(License.provider == provider.id),
                  key=lambda row: (row.state != provider.office_state, row.id))
    return ", ".join(dict.fromkeys(row.license_type for row in rows))


# --- Practice details ------------------------------------------------------------------------

def details_for(provider):
    return PracticeDetails.get_or_none(PracticeDetails.provider == provider.id)


def save_details(provider, values):
    details = details_for(provider) or PracticeDetails(provider=provider)
    details.tax_id = tax_id(values["tax_id"])
    for name in ("street", "city", "zip", "phone"):
        setattr(details, name, values[name].strip())
    details.state = values["state"]
    details.updated_at = utcnow()
    details.save()
    return details


def missing_details(provider):
    """What a document still needs from the provider, in words ([] when nothing)."""
    missing = []
    if details_for(provider) is None:
        missing.append("your Tax ID, office address and phone")
    if not provider.cash_rate_cents:
        missing.append("your self-pay rate (on your listing)")
    return missing


# --- Self-pay clients --------------------------------------------------------------------------

def _own_record(provider, email, name, state=None):
    """The provider's own Client record for this email (never another party's)."""
    client = Client.known_to(provider, email)
    if client is None:
        try:
            with db.atomic():
                return Client.create(email=email, name=name, state=state, known_by=provider)
        except IntegrityError:
            client = Client.known_to(provider, email)
    return client


def owe_estimate(spc, reason, on=None, first_session_on=None):
    """An estimate is owed from `on`: its deadline from the rule (the earlier of this and one
    already owed), and the day to remind the provider."""
    on = on or today()
    due = business_days.gfe_deadline(on, reason, first_session_on)
    if spc.gfe_wanted and spc.gfe_due_on and (due is None or spc.gfe_due_on < due):
        return spc  # an earlier deadline stands
    if not spc.gfe_wanted:
        spc.gfe_reminded_at = None  # a new estimate owed: one reminder for it
    spc.gfe_wanted, spc.gfe_reason, spc.gfe_arose_on = True, reason, on
    spc.gfe_due_on = due
    spc.gfe_remind_on = business_days.reminder_day(on, due) if due else None
    return spc


def add_client(provider, values, actor=None, consultation=None):
    """A self-pay client of this provider (once per email): returns (record, created)."""
    email = values["email"].strip().lower()
    with db.atomic():
        client = _own_record(provider, email, values["name"], values.get("state") or None)
        existing = SelfPayClient.get_or_none((SelfPayClient.provider == provider.id)
                                             & (SelfPayClient.client == client.id))
        if existing is not None:
            return existing, False
        spc = SelfPayClient(provider=provider, client=client, name=values["name"],
                            date_of_birth=values.get("date_of_birth"),
                            consultation_id=consultation.id if consultation else None)
        _set_address(spc, values)
        owe_estimate(spc, business_days.REQUESTED if consultation is None else "accepted")
        try:
            with db.atomic():
                spc.save()
        except IntegrityError:  # the same client added twice at once
            return SelfPayClient.get((SelfPayClient.provider == provider.id)
                                     & (SelfPayClient.client == client.id)), False
        audit.record("created", "self_pay_client", spc.id, client=client.id, actor=actor,
                     actor_label=None if actor else "system")
        return spc, True


def _set_address(spc, values):
    for name in ("street", "city", "state", "zip"):
        if values.get(name) is not None:
            setattr(spc, name, values[name].strip())


@consultation_events.answered.connect
def _accepted(request):
    """A provider accepted a self-pay client's request: an estimate is owed, and they are
    told where to issue it."""
    if request.status != ACCEPTED or not request.self_pay:
        return
    spc, created = add_client(request.provider, {"email": request.client.email,
                                                 "name": request.name, "state": request.state},
                              consultation=request)
    if not created:
        return
    if has_request_context():
        flash(f"{request.name} pays for themselves: issue them a good-faith estimate from "
              f"Self-pay by {spc.gfe_due_on:%A, %B %-d}.")
    token = links.create(ASK_LINK, spc.id, DOCUMENT_LINK_TTL)
    mail.queue("gfe_rights", request.client.email, dedupe_key=f"self-pay:{spc.id}:rights",
               spc=spc, provider=request.provider, first_name=request.first_name,
               ask=absolute_url("selfpay.ask_link", token=token), days=DOCUMENT_LINK_TTL.days)


def update_client(spc, values, actor):
    """The provider's record of the client: date of birth, address, diagnosis codes, an
    agreed sliding-scale rate, the first session's date (scheduling may bring the estimate's
    deadline forward)."""
    codes = diagnosis_codes(values.get("diagnosis_codes"))
    first = values.get("first_session_on")
    with db.atomic():
        spc.name = values["name"]
        spc.date_of_birth = values["date_of_birth"]
        _set_address(spc, values)
        spc.diagnosis_codes = codes
        spc.agreed_rate_cents = values.get("agreed_rate_cents")
        if first and first != spc.first_session_on and first >= today():
            owe_estimate(spc, business_days.SCHEDULED, first_session_on=first)
        spc.first_session_on = first
        spc.save()
        audit.record("changed", "self_pay_client", spc.id, client=spc.client_id, actor=actor)
    return spc


def client_asked(spc, actor=None, by_client=False):
    """The client asked for an estimate (a new one, if one was issued): due within 3
    business days. Asked by the client themselves, the provider is emailed at once."""
    with db.atomic():
        owe_estimate(spc, business_days.REQUESTED)
        spc.save()
        audit.record("estimate_requested", "self_pay_client", spc.id, client=spc.client_id,
                     actor=actor, actor_label="client (emailed link)" if by_client else None)
        if by_client:
            mail.queue("gfe_asked", spc.provider.email,
                       dedupe_key=f"self-pay:{spc.id}:asked:{spc.gfe_arose_on}", spc=spc,
                       provider=spc.provider,
                       page=absolute_url("selfpay.client_page", spc_id=spc.id))
    return spc


def clients_of(provider):
    return list(SelfPayClient.select().where(SelfPayClient.provider == provider.id)
                .order_by(SelfPayClient.gfe_wanted.desc(), SelfPayClient.gfe_due_on,
                          SelfPayClient.name))


def owned(provider, model, object_id):
    """The provider's own row, or None (another provider's is as good as missing)."""
    row = model.get_or_none(model.id == object_id)
    return row if row is not None and row.provider_id == provider.id else None


# --- Good-faith estimates -------------------------------------------------------------------------

def rate_for(spc):
    return spc.agreed_rate_cents or spc.provider.cash_rate_cents


def prefill(spc):
    """The estimate form's first values: the listing's (or the agreed) rate, a diagnostic
    evaluation then weekly 53-minute sessions for three months."""
    rate = rate_for(spc)
    start = spc.first_session_on or today()
    return dict(rate=(rate or 0) / 100 if rate else None, first_code="90791", code="90837",
                sessions=12, months=3, period_start=start,
                primary_service="Individual psychotherapy (talk therapy), about weekly",
                diagnosis_codes=" ".join(spc.codes))


def estimate_items(first_code, code, sessions, rate_cents):
    """[(code, description, quantity, unit cents)]: the first session's code once (if any),
    then the rest of the sessions."""
    items = []
    if first_code:
        items.append((first_code, CPT_CODES[first_code], 1, rate_cents))
        sessions -= 1
    if sessions > 0:
        items.append((code, CPT_CODES[code], sessions, rate_cents))
    return items


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue


def current_estimate(spc):
    """The latest estimate issued to the client that no other supersedes, or None."""
    return current_estimates([spc.id]).get(spc.id)


def current_estimates(spc_ids):
    """{self-pay client id: their current estimate}, in one query whatever the number."""
    newer = GoodFaithEstimate.alias()
    found = {}
    for estimate in (GoodFaithEstimate.select().where(
            GoodFaithEstimate.self_pay_client.in_(list(spc_ids))
            & ~fn.EXISTS(newer.select().where(newer.supersedes == GoodFaithEstimate.id)))
            .order_by(GoodFaithEstimate.id)):
        found[estimate.self_pay_client_id] = estimate  # the latest wins
    return found


def _number(prefix):
    return f"{prefix}-{today():%Y}-{secrets.token_hex(4).upper()}"


def _provider_part(provider, details):
    return {"name": provider.full_name, "credentials": credentials(provider),
            "npi": provider.npi, "tax_id": details.tax_id, "address": details.address,
            "state": details.state, "phone": details.phone, "email": provider.email,
            "telehealth": provider.offers_telehealth, "in_person": provider.offers_in_person}


def _client_part(spc):
    return {"name": spc.name, "date_of_birth": spc.date_of_birth.isoformat(),
            "address": spc.address}


def issue_estimate(spc, values, key, actor=None):
    """Issue (or revise) the client's estimate; the client is emailed a link to it.

    A revision is a new estimate that supersedes the current one; neither is ever
    changed. A double submit (the same `key`) gives the estimate already issued."""
    provider = spc.provider
    done = GoodFaithEstimate.get_or_none(GoodFaithEstimate.submission_key == key)
    if done is not None:
        return done
    details = details_for(provider)
    if details is None:
        raise SelfPayProblem("Add your Tax ID, office address and phone first: an estimate "
                             "must show them.", "tax_id", 409)
    if spc.date_of_birth is None:
        raise SelfPayProblem("Add the client's date of birth first: an estimate must show "
                             "it.", "date_of_birth", 409)
    first_code, code = values.get("first_code") or "", values["code"]
    if first_code and first_code not in CPT_CODES or code not in CPT_CODES:
        raise SelfPayProblem("Choose a service code from the list.", "code")
    sessions, months, rate = values["sessions"], values["months"], values["rate_cents"]
    if not 1 <= sessions <= MAX_SESSIONS:
        raise SelfPayProblem(f"Give from 1 to {MAX_SESSIONS} sessions.", "sessions")
    if not 1 <= months <= MAX_MONTHS:
        raise SelfPayProblem("One estimate covers at most 12 months.", "months")
    if not 100 <= rate <= MAX_FEE_CENTS:
        raise SelfPayProblem("Enter a rate from $1 to $10,000.", "rate")
    codes = diagnosis_codes(values.get("diagnosis_codes"))
    start = values["period_start"]
    end = add_months(start, months) - datetime.timedelta(days=1)
    items = estimate_items(first_code, code, sessions, rate)
    total = sum(quantity * unit for _, _, quantity, unit in items)
    with db.atomic():
        _lock(spc)
        previous = current_estimate(spc)
        number = _number("GFE")
        snapshot = {
            "number": number, "issued_on": today().isoformat(),
            "client": _client_part(spc), "provider": _provider_part(provider, details),
            "primary_service": values["primary_service"],
            "first_session_on": spc.first_session_on.isoformat()
            if spc.first_session_on else None,
            "period": [start.isoformat(), end.isoformat()],
            "items": [{"code": c, "description": d, "quantity": q, "unit_cents": u,
                       "total_cents": q * u} for c, d, q, u in items],
            "diagnosis_codes": codes.split(",") if codes else [],
            "total_cents": total,
            "supersedes": previous.number if previous else None,
            "disclaimers": DISCLAIMERS, "dispute_right": DISPUTE_RIGHT,
            "dispute_url": DISPUTE_URL}
        try:
            with db.atomic():
                estimate = GoodFaithEstimate.create(
                    number=number, provider=provider, self_pay_client=spc, client=spc.client,
                    supersedes=previous, period_start=start, period_end=end, total_cents=total,
                    snapshot=json.dumps(snapshot, sort_keys=True), due_on=spc.gfe_due_on,
                    issued_by=actor, keep_until=keep_until(today()), submission_key=key)
        except IntegrityError:
            done = GoodFaithEstimate.get_or_none(GoodFaithEstimate.submission_key == key)
            if done is not None:
                return done
            raise SelfPayProblem("Another estimate was issued a moment ago: look at it "
                                 "before revising it.", "code", 409) from None
        if codes != spc.diagnosis_codes:
            spc.diagnosis_codes = codes
        spc.gfe_wanted, spc.gfe_due_on, spc.gfe_remind_on = False, None, None
        spc.save()
        audit.record("issued", "good_faith_estimate", estimate.id, client=spc.client_id,
                     actor=actor, detail=f"{number}: {money(total)}"
                     + (f", superseding {previous.number}" if previous else ""))
        send_estimate(estimate)
    return estimate


def send_estimate(estimate):
    token = links.create(ESTIMATE_LINK, estimate.id, DOCUMENT_LINK_TTL)
    mail.queue("gfe_issued", estimate.client.email, estimate=estimate,
               provider=estimate.provider, content=estimate.content,
               link=absolute_url("selfpay.estimate_link", token=token),
               days=DOCUMENT_LINK_TTL.days)


def _lock(spc):
    """One change at a time per self-pay client (PostgreSQL; SQLite writes one at a time)."""
    if is_postgres():
        SelfPayClient.select().where(SelfPayClient.id == spc.id).for_update().get()


# --- The $400 threshold -----------------------------------------------------------------------------

def standing(spc, more_cents=0):
    """(estimate, logged cents, above by) for the current estimate: the fees of sessions
    held in its period (and `more_cents` about to be logged) against its total. `above` is
    None without an estimate."""
    estimate = current_estimate(spc)
    if estimate is None:
        return None, None, None
    logged = (SelfPaySession.select(fn.COALESCE(fn.SUM(SelfPaySession.fee_cents), 0))
              .where((SelfPaySession.self_pay_client == spc.id)
                     & (SelfPaySession.held_on >= estimate.period_start)
                     & (SelfPaySession.held_on <= estimate.period_end)).scalar())
    logged += more_cents
    return estimate, logged, logged - estimate.total_cents


def over_threshold(above):
    return above is not None and above >= DISPUTE_THRESHOLD_CENTS


def warning(spc, next_fee_cents=None):
    """What the provider must read before billing more, or None."""
    estimate, logged, above = standing(spc)
    if estimate is None:
        return None
    if over_threshold(above):
        return (f"Sessions logged for {spc.name} come to {money(logged)}, {money(above)} above "
                f"estimate {estimate.number} ({money(estimate.total_cents)}). A bill $400 or "
                "more above a good-faith estimate may be disputed: issue a revised estimate "
                "before billing more.")
    if estimate.period_end < today():
        # A recurring course is covered up to 12 months at a time (45 CFR 149.610): the
        # sessions after it are compared against nothing until a new estimate is issued.
        return (f"Estimate {estimate.number} covered sessions up to "
                f"{estimate.period_end:%B %-d, %Y}: the sessions after it have no good-faith "
                "estimate. Issue a new one for the course going on before billing more.")
    fee = next_fee_cents or rate_for(spc) or 0
    if over_threshold(above + fee):
        return (f"One more session at {money(fee)} takes what you've logged for {spc.name} to "
                f"{money(above + fee)} above estimate {estimate.number}: $400 or more above "
                "it may be disputed. Issue a revised estimate first, or confirm to go on.")
    return None


# --- Sessions and payments --------------------------------------------------------------------------

def log_session(spc, values, key, confirmed=False, actor=None):
    """Log a session held. When it takes the fees logged $400 or more above the estimate,
    the provider must confirm (SelfPayProblem with field "confirm_over_estimate")."""
    done = SelfPaySession.get_or_none(SelfPaySession.submission_key == key)
    if done is not None:
        return done
    if values["held_on"] > today():
        raise SelfPayProblem("Log a session once it has happened.", "held_on")
    if values["cpt_code"] not in CPT_CODES:
        raise SelfPayProblem("Choose a service code from the list.", "cpt_code")
    if values["place_of_service"] not in PLACES_OF_SERVICE:
        raise SelfPayProblem("Choose where the session was held.", "place_of_service")
    fee = values["fee_cents"]
    if not 0 < fee <= MAX_FEE_CENTS:
        raise SelfPayProblem("Enter a fee from $0.01 to $10,000.", "fee")
    codes = diagnosis_codes(values.get("diagnosis_codes")) or spc.diagnosis_codes
    if not codes:
        raise SelfPayProblem("Give at least one diagnosis code (a superbill needs it).",
                             "diagnosis_codes")
    with db.atomic():
        _lock(spc)
        done = SelfPaySession.get_or_none(SelfPaySession.submission_key == key)
        if done is not None:  # the same form, sent again while this one waited for the lock
            return done
        estimate, logged, above = standing(spc, fee)
        over = over_threshold(above) and values["held_on"] <= estimate.period_end \
            and values["held_on"] >= estimate.period_start
        if over and not confirmed:
            raise SelfPayProblem(
                f"This session takes what you've logged for {spc.name} to {money(logged)}, "
                f"{money(above)} above estimate {estimate.number} "
                f"({money(estimate.total_cents)}). The client may dispute a bill $400 or more "
                "above it. Issue a revised estimate, or tick the box to log it anyway.",
                "confirm_over_estimate", 409)
        try:
            with db.atomic():
                session = SelfPaySession.create(
                    provider=spc.provider_id, self_pay_client=spc, held_on=values["held_on"],
                    cpt_code=values["cpt_code"], place_of_service=values["place_of_service"],
                    diagnosis_codes=codes, fee_cents=fee, over_estimate_confirmed=over,
                    logged_by=actor, submission_key=key)
        except IntegrityError:
            return SelfPaySession.get(SelfPaySession.submission_key == key)
        audit.record("created", "self_pay_session", session.id, client=spc.client_id,
                     actor=actor, detail=f"{values['cpt_code']} on {values['held_on']}: "
                                         f"{money(fee)}" + (", over the estimate, confirmed"
                                                            if over else ""))
    return session


def paid_cents(session):
    return (SelfPayPayment.select(fn.COALESCE(fn.SUM(SelfPayPayment.amount_cents), 0))
            .where(SelfPayPayment.session == session.id).scalar())


def record_payment(session, amount_cents, received_on, method, key, actor=None):
    """What the client paid for a session: once per form (a double submit records one)."""
    done = SelfPayPayment.get_or_none(SelfPayPayment.submission_key == key)
    if done is not None:
        return done
    if received_on > today():
        raise SelfPayProblem("Record a payment once it is received.", "received_on")
    with db.atomic():
        _lock(session.self_pay_client)
        done = SelfPayPayment.get_or_none(SelfPayPayment.submission_key == key)
        if done is not None:  # the same form, sent again while this one waited for the lock
            return done
        owed = session.fee_cents - paid_cents(session)
        if not 0 < amount_cents <= owed:
            raise SelfPayProblem(f"Enter an amount up to what is still owed, {money(owed)}."
                                 if owed > 0 else "This session is paid in full already.",
                                 "amount")
        try:
            with db.atomic():
                payment = SelfPayPayment.create(session=session, amount_cents=amount_cents,
                                                received_on=received_on, method=method,
                                                recorded_by=actor, submission_key=key)
        except IntegrityError:
            return SelfPayPayment.get(SelfPayPayment.submission_key == key)
        audit.record("payment_recorded", "self_pay_session", session.id,
                     client=session.self_pay_client.client_id, actor=actor,
                     detail=f"{money(amount_cents)} by {method} on {received_on}")
    return payment


def sessions_of(spc, start=None, end=None):
    query = SelfPaySession.select().where(SelfPaySession.self_pay_client == spc.id)
    if start:
        query = query.where(SelfPaySession.held_on >= start)
    if end:
        query = query.where(SelfPaySession.held_on <= end)
    rows = list(query.order_by(SelfPaySession.held_on, SelfPaySession.id))
    paid = dict(SelfPayPayment.select(SelfPayPayment.session,
                                      fn.SUM(SelfPayPayment.amount_cents))
                .where(SelfPayPayment.session.in_([row.id for row in rows]))
                .group_by(SelfPayPayment.session).tuples())
    for row in rows:
        row.paid_cents = paid.get(row.id, 0)
    return rows


# --- Superbills ---------------------------------------------------------------------------------------

def make_superbill(spc, starts_on, ends_on, key, actor=None):
    """A superbill of the sessions held from `starts_on` to `ends_on`, emailed to the client."""
    done = Superbill.get_or_none(Superbill.submission_key == key)
    if done is not None:
        return done
    if starts_on > ends_on:
        raise SelfPayProblem("The range starts on or before its last day.", "starts_on")
    if ends_on > today():
        raise SelfPayProblem("A superbill covers sessions already held: end it today at the "
                             "latest.", "ends_on")
    if (ends_on - starts_on).days > 366:
        raise SelfPayProblem("A superbill covers at most a year.", "starts_on")
    details = details_for(spc.provider)
    if details is None:
        raise SelfPayProblem("Add your Tax ID, office address and phone first: a superbill "
                             "must show them.", "starts_on", 409)
    if spc.date_of_birth is None or not spc.street:
        raise SelfPayProblem("Add the client's date of birth and address first: a superbill "
                             "must show them.", "starts_on", 409)
    sessions = sessions_of(spc, starts_on, ends_on)
    if not sessions:
        raise SelfPayProblem("No sessions are logged in that range.", "starts_on")
    total = sum(s.fee_cents for s in sessions)
    paid = sum(s.paid_cents for s in sessions)
    number = _number("SB")
    snapshot = {
        "number": number, "issued_on": today().isoformat(),
        "provider": _provider_part(spc.provider, details), "client": _client_part(spc),
        "range": [starts_on.isoformat(), ends_on.isoformat()],
        "sessions": [{"held_on": s.held_on.isoformat(), "cpt_code": s.cpt_code,
                      "description": CPT_CODES.get(s.cpt_code, ""),
                      "diagnosis_codes": s.codes, "place_of_service": s.place_of_service,
                      "place": PLACES_OF_SERVICE[s.place_of_service],
                      "fee_cents": s.fee_cents, "paid_cents": s.paid_cents} for s in sessions],
        "total_cents": total, "paid_cents": paid}
    with db.atomic():
        try:
            with db.atomic():
                bill = Superbill.create(
                    number=number, provider=spc.provider_id, self_pay_client=spc,
                    client=spc.client_id, starts_on=starts_on, ends_on=ends_on,
                    total_cents=total, paid_cents=paid,
                    snapshot=json.dumps(snapshot, sort_keys=True), issued_by=actor,
                    submission_key=key)
        except IntegrityError:
            return Superbill.get(Superbill.submission_key == key)
        audit.record("issued", "superbill", bill.id, client=spc.client_id, actor=actor,
                     detail=f"{number}: {starts_on} to {ends_on}, {money(total)}")
        send_superbill(bill)
    return bill


def send_superbill(bill):
    token = links.create(SUPERBILL_LINK, bill.id, DOCUMENT_LINK_TTL)
    mail.queue("superbill_sent", bill.client.email, bill=bill, provider=bill.provider,
               content=bill.content, link=absolute_url("selfpay.superbill_link", token=token),
               days=DOCUMENT_LINK_TTL.days)
