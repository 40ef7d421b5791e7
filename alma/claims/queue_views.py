"""/team/claims: the billing team's queue of claims, each claim's whole history, and the
three things done to a claim the payer refused or decided (queue.py, queue_actions.py).
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from alma import audit
from alma.accounts.access import me, team_required
from alma.claims import queue, queue_actions
from alma.claims.models import Claim, Visit
from alma.claims.queue_forms import CorrectForm, FilingLimitForm, VoidForm, WriteOffForm
from alma.clock import today
from alma.network.models import Payer, Provider
from alma.web import whole_number

bp = Blueprint("claims_queue", __name__, url_prefix="/team/claims")
FORMS = {"correct": CorrectForm, "void": VoidForm, "write_off": WriteOffForm}


def _filters(args):
    """The query string as Filters, and the problems with it (each typed value is kept)."""
    problems = []
    state = args.get("state", "needs_action") or "needs_action"
    if state not in queue.STATE_FILTERS:
        problems.append("Choose a state from the list.")
    numbers = {}
    for name in ("payer", "provider", "page"):
        text = args.get(name, "")
        numbers[name] = whole_number(text) if text else None
        if text and not numbers[name]:
            problems.append(f"The {name} must be chosen from the list.")
    reason = queue.reason_code(args.get("reason", "")) if args.get("reason") else ""
    if reason is None:
        problems.append("A reason is a code like CO-16, 16, MA130 or A7:164.")
    return queue.Filters(state=state, payer=numbers["payer"], provider=numbers["provider"],
                         reason=reason or "", page=numbers["page"] or 1), problems


def _choices():
    payers = list(Payer.select().where(Payer.id.in_(Claim.select(Claim.payer)))
                  .order_by(Payer.name))
    providers = list(Provider.select().where(Provider.id.in_(Visit.select(Visit.provider)
                                                             .join(Claim)))
                     .order_by(Provider.last_name, Provider.first_name))
    return payers, providers


def _limit_form(formdata=None):
    form = FilingLimitForm(formdata=formdata) if formdata is not None else FilingLimitForm()
    form.payer.choices = [SelectChoice("", "Choose…")] + [
        SelectChoice(str(p.id), p.name) for p in Payer.select().order_by(Payer.name)]
    return form


@bp.get("")
@team_required("billing")
def queue_page(limit_form=None, status=None):
    filters, problems = _filters(request.args)
    rows, total, pages = ([], 0, 1) if problems else queue.search(filters)
    audit.record_many("viewed", "claim",
                      [(c.id, c.visit.program_client.client_id) for c in rows], me())
    payers, providers = _choices()
    return render_template("claims/queue/list.html", rows=rows, total=total, pages=pages,
                           filters=filters, problems=problems, typed=request.args,
                           payers=payers, providers=providers,
                           states=queue.STATE_FILTERS, limits=queue.filing_limits(),
                           limit_form=limit_form or _limit_form(),
                           default_days=queue.DEFAULT_FILING_DAYS), status or (
        400 if problems else 200)


@bp.post("/filing-limits")
@team_required("billing")
def filing_limit():
    form = _limit_form(request.form)
    if not form.validate():
        return queue_page(form, 422)
    payer = Payer.get_or_none(Payer.id == (whole_number(form.payer.data) or 0))
    if payer is None:
        form.payer.errors.append("Choose the payer.")
        return queue_page(form, 422)
    queue.set_filing_limit(payer, form.days.data, me())
    flash(f"{payer.name}'s filing limit is {form.days.data} days from the session.")
    return redirect(url_for("claims_queue.queue_page") + "#limits-h", 303)


def _claim_or_404(claim_id):
    claim = Claim.get_or_none(Claim.id == claim_id)
    if claim is None:
        abort(404)
    return claim


def _detail(claim, forms=None, problem=None, status=200):
    action = queue.action_of(claim)
    events, payments = queue.history(claim)
    program_client = claim.visit.program_client
    forms = forms or {}
    for name in queue.available(claim, action):
        if name not in forms:
            forms[name] = FORMS[name]() if name != "correct" else CorrectForm(data={
                "member_id": program_client.member_id, "cpt_code": claim.visit.cpt_code,
                "place_of_service": claim.place_of_service,
                "diagnosis_code": program_client.diagnosis_code})
    audit.record("viewed", "claim", claim.id, client=program_client.client_id, actor=me())
    filing = queue.filing(claim, queue.filing_limit_days(claim.payer_id), today())
    return render_template(
        "claims/queue/detail.html", claim=claim, action=action, events=events,
        payments=payments, chain=queue.chain(claim), forms=forms, problem=problem,
        program_client=program_client, filing=filing,
        write_off=queue_actions.write_off_amounts(claim),
        made_by=claim.made_by_action.first() if claim.replaces_id else None), status


@bp.get("/<int:claim_id>")
@team_required("billing")
def claim_page(claim_id):
    return _detail(_claim_or_404(claim_id))


def _act(claim_id, name, do):
    claim = _claim_or_404(claim_id)
    form = FORMS[name]()
    if not form.validate():
        return _detail(claim, {name: form}, status=422)
    try:
        action = do(claim, form)
    except queue_actions.QueueProblem as problem:
        if problem.field and problem.field in form:
            form[problem.field].errors = [*form[problem.field].errors, str(problem)]
            return _detail(claim, {name: form}, status=422)
        return _detail(_claim_or_404(claim_id), {name: form}, problem=str(problem),
                       status=409)
    flash(f"{action.label}: {action.claim.patient_control_number}."
          + (f" The new claim {action.new_claim.patient_control_number} goes with the next "
             "batch." if action.new_claim_id else ""))
    return redirect(url_for("claims_queue.claim_page", claim_id=claim.id), 303)


@bp.post("/<int:claim_id>/correct")
@team_required("billing")
def correct(claim_id):
    return _act(claim_id, "correct", lambda claim, form: queue_actions.correct_and_resubmit(
        claim.id, form.form_key.data, form.reason.data, {
            "member_id": form.member_id.data, "cpt_code": form.cpt_code.data,
            "place_of_service": form.place_of_service.data,
            "diagnosis_code": form.diagnosis_code.data}, me()))


@bp.post("/<int:claim_id>/void")
@team_required("billing")
def void(claim_id):
    return _act(claim_id, "void", lambda claim, form: queue_actions.void(
        claim.id, form.form_key.data, form.reason.data, me()))


@bp.post("/<int:claim_id>/write-off")
@team_required("billing")
def write_off(claim_id):
    return _act(claim_id, "write_off", lambda claim, form: queue_actions.write_off(
        claim.id, form.form_key.data, form.reason.data, me()))
