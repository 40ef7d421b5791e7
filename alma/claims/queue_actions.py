"""What the billing team does with a claim the payer refused or decided (issue 12, item 4):
correct it and send it again, void it, or write it off; and what a void's answer does.

Each action is done once, whatever is clicked twice or by two people at once: it is a
ClaimAction row, unique per claim and per form key, made in the transaction that locks the
claim (posting.locked_claim) and checks its state. The claims it makes go out with the
next run of the submit job, like any ready claim.
"""
import dataclasses

from peewee import IntegrityError

from alma import audit
from alma.benefits.estimates import allowed_cents
from alma.claims import insurer, x12
from alma.claims.events import remittance_posted
from alma.claims.models import ACCEPTED, REJECTED, REVERSED, SUBMITTED, Claim
from alma.claims.posting import locked_claim
from alma.claims.queue import CORRECTABLE, VOIDABLE, WRITABLE_OFF, action_of
from alma.claims.queue_models import REPLACED, RESUBMITTED, VOIDED, WRITTEN_OFF, ClaimAction
from alma.claims.remittance_models import ClaimEvent
from alma.db import db
from alma.templating import money


class QueueProblem(ValueError):
    """Why an action can't be done, in words for the billing team; `field` names the form
    field it is about, if any."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field



def _begin(claim_id, form_key, allowed, what):
    """The locked claim, if `form_key` is new and the claim may still have `what` done;
    (claim, None). If this form was sent before: (claim, its action)."""
    done = ClaimAction.get_or_none(ClaimAction.form_key == form_key)
    if done is not None and done.claim_id != claim_id:
        raise QueueProblem("This form belongs to another claim: reload the page.")
    if done is not None:
        return Claim.get_by_id(done.claim_id), done
    claim = locked_claim(claim_id)
    if claim is None:
        raise QueueProblem("There is no such claim.")
    action = action_of(claim)
    if action is not None:
        who = action.made_by.name if action.made_by else "someone"
        raise QueueProblem(f"{who} already acted on this claim ({action.label.lower()}, "
                           f"{action.made_at:%b %-d %H:%M} UTC): nothing was done again.")
    if claim.status not in allowed or claim.frequency_code == "8":
        raise QueueProblem(f"A claim that is {claim.status_label.lower()} can't be {what}"
                           + (" (it is a void)." if claim.frequency_code == "8" else "."))
    return claim, None


def _record(claim, kind, form_key, reason, actor, **values):
    """The action's row: a second one for the same claim or form fails here, and the whole
    transaction with it (nothing half-written)."""
    try:
        with db.atomic():
            return ClaimAction.create(claim=claim, kind=kind, form_key=form_key,
                                      reason=reason, made_by=actor, **values)
    except IntegrityError:
        raise QueueProblem("Someone acted on this claim at the same moment: nothing was "
                           "done twice. Reload the claim to see what was done.") from None


def _audit(claim, what, actor):
    client_id = claim.visit.program_client.client_id
    audit.record(what, "claim", claim.id, client=client_id, actor=actor)


def correct_and_resubmit(claim_id, form_key, reason, corrections, actor):
    """A rejected claim is sent again as a new original; a decided one is replaced
    (frequency 7, REF*F8 the payer's claim number). `corrections`: member_id, cpt_code,
    place_of_service, diagnosis_code as the billing member left them. Returns the action."""
    with db.atomic():
        claim, done = _begin(claim_id, form_key, CORRECTABLE, "corrected and sent again")
        if done is not None:
            return done
        replace = claim.status != REJECTED
        if replace and not claim.payer_claim_number:
            raise QueueProblem("The payer gave no claim number for this claim, so a "
                               "replacement can't name it.")
        first_code = claim.visit.cpt_code
        changed = _apply_corrections(claim, corrections)
        new = _new_claim(claim, "7" if replace else "1", corrections,
                         recharge=corrections["cpt_code"] != first_code)
        action = _record(claim, REPLACED if replace else RESUBMITTED, form_key, reason,
                         actor, new_claim=new, corrections="; ".join(changed))
        what = "replacement (frequency 7)" if replace else "new claim"
        words = (f"Corrected by the billing team ({'; '.join(changed) or 'nothing changed'})"
                 f": a {what} {new.patient_control_number} goes with the next batch.")
        ClaimEvent.create(claim=claim, kind="action", code=action.kind, words=words)
        ClaimEvent.create(claim=new, kind="action", code="made",
                          words=f"Made to {'replace' if replace else 'correct'} claim "
                                f"{claim.patient_control_number}: {reason}")
        _audit(claim, f"claim {action.kind}", actor)
        return action


def _apply_corrections(claim, corrections):
    """Keep each correction where it belongs: the member ID and diagnosis on the client's
    program record, the service code on the session; the place of service goes on the new
    claim. Returns what changed, in words."""
    program_client, visit = claim.visit.program_client, claim.visit
    changed = []
    for label, owner, field, value in (
            ("member ID", program_client, "member_id", corrections["member_id"]),
            ("diagnosis", program_client, "diagnosis_code", corrections["diagnosis_code"]),
            ("service code", visit, "cpt_code", corrections["cpt_code"])):
        old = getattr(owner, field)
        if value != old:
            changed.append(f"{label} {old} → {value}")
            setattr(owner, field, value)
    if corrections["place_of_service"] != claim.place_of_service:
        changed.append(f"place of service {claim.place_of_service} → "
                       f"{corrections['place_of_service']}")
    try:
        with db.atomic():
            program_client.save()
            visit.save()
    except IntegrityError:
        raise QueueProblem("Another record already has that member ID with this payer, or "
                           "this session's client has that service logged that day.",
                           "member_id") from None
    return changed


def _new_claim(claim, frequency, corrections=None, recharge=False):
    """The claim's successor (1 corrected original, 7 replacement, 8 void), its 837P made
    as the first one was: refused whole if the data can't make a valid one."""
    visit = claim.visit
    corrections = corrections or {"cpt_code": visit.cpt_code,
                                  "place_of_service": claim.place_of_service}
    charge = claim.charge_cents
    if recharge:  # another service: the group's rate for it
        charge = allowed_cents(claim.payer, corrections["cpt_code"], visit.held_on)
        if charge is None:
            raise QueueProblem(f"The group has no {claim.payer.name} rate for "
                               f"{corrections['cpt_code']}.", "cpt_code")
    estimate = {} if frequency == "8" else dict(
        deductible_cents=claim.deductible_cents, coinsurance_cents=claim.coinsurance_cents,
        copay_cents=claim.copay_cents, patient_share_cents=claim.patient_share_cents)
    new = Claim.create(visit=visit, payer=claim.payer, charge_cents=charge,
                       allowed_cents=charge, **{"deductible_cents": 0, "coinsurance_cents": 0,
                                                "copay_cents": 0, "patient_share_cents": 0,
                                                **estimate},
                       place_of_service=corrections["place_of_service"],
                       modifiers=claim.modifiers, x12="", frequency_code=frequency,
                       replaces=claim)
    check = visit.eligibility_check
    if check is None:
        raise QueueProblem("The benefit check this session was billed under is gone, so no "
                           "claim can be made for it.")
    data = insurer.claim_data(new, visit, visit.provider, visit.program_client, check)
    data = dataclasses.replace(
        data, cpt_code=corrections["cpt_code"], place_of_service=new.place_of_service,
        modifiers=[m for m in claim.modifiers.split(",") if m], frequency_code=frequency,
        payer_claim_number=claim.payer_claim_number if frequency != "1" else "")
    try:
        new.x12 = x12.claim_837p(data)
    except x12.ClaimDataProblem as problem:
        field = str(problem).split(":", 1)[0]
        raise QueueProblem(f"No claim could be made: {problem}.",
                           field if field in ("member_id", "cpt_code", "place_of_service",
                                              "diagnosis_code") else None) from None
    new.save()
    return new


def void(claim_id, form_key, reason, actor):
    """A void (frequency 8, REF*F8) for a claim that should never have been paid: the payer
    takes its payment back on a later 835."""
    with db.atomic():
        claim, done = _begin(claim_id, form_key, VOIDABLE, "voided")
        if done is not None:
            return done
        if not claim.payer_claim_number:
            raise QueueProblem("The payer gave no claim number for this claim, so a void "
                               "can't name it.")
        new = _new_claim(claim, "8")
        action = _record(claim, VOIDED, form_key, reason, actor, new_claim=new)
        ClaimEvent.create(claim=claim, kind="action", code=VOIDED,
                          words=f"Voided by the billing team: the void "
                                f"{new.patient_control_number} asks the insurer to take its "
                                f"payment back. {reason}")
        ClaimEvent.create(claim=new, kind="action", code="made",
                          words=f"Made to void claim {claim.patient_control_number}: {reason}")
        _audit(claim, "claim voided", actor)
        return action


def write_off_amounts(claim):
    """(written off, charge, insurer paid, client's share): what nobody will pay, worked
    out from the charge less what the insurer paid and what the client owes (the plan's
    share when it said one, else the estimate the client was invoiced)."""
    paid = claim.paid_cents or 0
    share = (claim.patient_responsibility_cents if claim.patient_responsibility_cents
             is not None else claim.patient_share_cents)
    return max(0, claim.charge_cents - paid - share), claim.charge_cents, paid, share


def write_off(claim_id, form_key, reason, actor):
    with db.atomic():
        claim, done = _begin(claim_id, form_key, WRITABLE_OFF, "written off")
        if done is not None:
            return done
        amount, charge, paid, share = write_off_amounts(claim)
        action = _record(claim, WRITTEN_OFF, form_key, reason, actor,
                         written_off_cents=amount, charge_cents=charge,
                         insurer_paid_cents=paid, client_share_cents=share)
        ClaimEvent.create(claim=claim, kind="action", code=WRITTEN_OFF,
                          words=f"Written off by the billing team: {money(amount)} (charge "
                                f"{money(charge)} less {money(paid)} paid by the insurer "
                                f"less the client's {money(share)}). {reason}")
        _audit(claim, "claim written off", actor)
        return action


# --- A void's answer ---------------------------------------------------------------------------

@remittance_posted.connect
def _voided(claim, payment):
    """When the payer takes back a claim's payment, a void sent for it has done its work
    (the payer answers a void with the reversal of the claim it names)."""
    if payment.status_code != "22":
        return
    for each in Claim.select().where((Claim.replaces == claim.id) & (Claim.frequency_code == "8")
                                     & Claim.status.in_((SUBMITTED, ACCEPTED))):
        each.status = REVERSED
        each.status_note = (f"The insurer took back the payment of claim "
                            f"{claim.patient_control_number}, as this void asked.")
        each.remitted_at = payment.remittance.posted_at
        each.save()
        ClaimEvent.create(claim=each, kind="reversal", code="22", words=each.status_note)
