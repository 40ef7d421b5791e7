"""A provider's insurance program page, /practice/insurance: enrolling, their credentialing
cases, moving clients in and checking their benefits, their fees, and opting out."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from alma import audit
from alma.accounts.access import me, provider_required
from alma.benefits import checks, estimates
from alma.clock import today
from alma.extensions import limiter
from alma.inputs import cents
from alma.network import vocab
from alma.network.group import approved_payers, program_payers
from alma.network.models import Payer
from alma.program import clients, enrolment, opting_out
from alma.program.credentialing import expected_days
from alma.program.forms import EnrolForm, FeesForm, MoveInForm
from alma.program.models import InsuranceEnrollment
from alma.program.problems import ProgramProblem
from alma.templating import money
from alma.web import whole_number

bp = Blueprint("program", __name__)


def _provider():
    return me().provider


def _move_in_form(provider, formdata=None):
    form = MoveInForm(formdata=formdata) if formdata is not None else MoveInForm()
    form.payer.choices = [SelectChoice("", "Choose…")] + [
        SelectChoice(str(p.id), p.name) for p in approved_payers(provider)]
    form.state.choices = [SelectChoice("", "Choose…")] + [
        SelectChoice(s.code, s.name) for s in vocab.current().states.values()]
    return form


def _program_page(provider, enrol_form=None, move_in_form=None, fees_form=None,
                  problem=None, notice_plan=None, status=200):
    enrollment = enrolment.open_enrollment(provider)
    may, why = enrolment.eligibility(provider)
    current = clients.current_clients(provider) if enrollment else []
    audit.record_many("viewed", "program_client", [(c.id, c.client_id) for c in current], me())
    latest = checks.latest_checks([c.id for c in current])
    rates = {}
    past = (InsuranceEnrollment.select().where((InsuranceEnrollment.provider == provider.id)
                                               & InsuranceEnrollment.open_for.is_null())
            .order_by(InsuranceEnrollment.id.desc()).first())
    fees_form = fees_form or FeesForm(data={
        "late_cancel_fee": (provider.late_cancel_fee_cents or 0) / 100 or None,
        "no_show_fee": (provider.no_show_fee_cents or 0) / 100 or None})
    return render_template(
        "program/program.html", provider=provider, enrollment=enrollment, may=may, why=why,
        cases=list(enrollment.cases) if enrollment else [], past=past,
        enrol_form=enrol_form or EnrolForm(), fees_form=fees_form,
        move_in_form=move_in_form or _move_in_form(provider), clients=current, latest=latest,
        approved=approved_payers(provider), payers=program_payers(),
        expected_days=expected_days(), problem=problem, notice_plan=notice_plan,
        effective=opting_out.notice_takes_effect(), today=today(),
        estimates={c.id: estimates.estimate(latest.get(c.id), rates=rates)
                   for c in current}), status


@bp.get("/practice/insurance")
@provider_required
def page():
    return _program_page(_provider())


@bp.post("/practice/insurance/enrol")
@provider_required
def enrol():
    provider = _provider()
    form = EnrolForm()
    if not form.validate():
        return _program_page(provider, enrol_form=form, status=422)
    individually = {"": (), "both": ("optum", "aetna")}.get(form.individually.data,
                                                             (form.individually.data,))
    try:
        enrolment.enroll(provider, form.caqh_id.data, form.caqh_attested_on.data,
                       form.malpractice_carrier.data, form.malpractice_expires_on.data,
                       form.attest.data, individually)
    except ProgramProblem as problem:
        if problem.field and problem.field in form:
            form[problem.field].errors.append(str(problem))
            return _program_page(provider, enrol_form=form, status=422)
        return _program_page(provider, enrol_form=form, problem=str(problem), status=409)
    flash("You're enrolled. Credentialing has started; we'll email you as each payer "
          "approves you.")
    return redirect(url_for("program.page"), 303)


@bp.post("/practice/insurance/notice")
@provider_required
def notice():
    provider = _provider()
    if enrolment.open_enrollment(provider) is None:
        return _program_page(provider, problem="You aren't in the insurance program.",
                             status=409)
    if request.form.get("confirm") != "1":
        return _program_page(provider, notice_plan=True)
    try:
        enrollment = opting_out.give_notice(provider)
    except ProgramProblem as problem:
        return _program_page(provider, problem=str(problem), status=409)
    flash(f"Notice given. You leave the insurance program on "
          f"{enrollment.ends_on:%B %-d, %Y}; until then nothing changes.")
    return redirect(url_for("program.page"), 303)


@bp.post("/practice/insurance/fees")
@provider_required
def fees():
    provider = _provider()
    if enrolment.open_enrollment(provider) is None:
        return _program_page(provider, problem="Enrol in the insurance program first: these "
                                               "fees apply to its sessions.", status=409)
    form = FeesForm()
    if not form.validate():
        return _program_page(provider, fees_form=form, status=422)
    try:
        clients.set_fees(provider, cents(form.late_cancel_fee.data),
                         cents(form.no_show_fee.data))
    except ProgramProblem as problem:
        return _program_page(provider, fees_form=form, problem=str(problem), status=422)
    flash("Your cancellation fees are saved.")
    return redirect(url_for("program.page"), 303)


@bp.post("/practice/insurance/clients")
@provider_required
def move_in():
    provider = _provider()
    if enrolment.open_enrollment(provider) is None:
        return _program_page(provider, problem="Enrol in the insurance program first.",
                             status=409)
    form = _move_in_form(provider, request.form)
    if not form.validate():
        return _program_page(provider, move_in_form=form, status=422)
    payer = Payer.get_or_none(Payer.id == (whole_number(form.payer.data) or 0))
    if payer is None:
        form.payer.errors.append("Choose their insurance.")
        return _program_page(provider, move_in_form=form, status=422)
    values = {name: form[name].data for name in (
        "first_name", "last_name", "email", "date_of_birth", "gender", "member_id", "address",
        "city", "state", "zip", "diagnosis_code")}
    values["payer"] = payer
    try:
        program_client = clients.move_in(provider, values, form.tell.data, actor=me())
    except ProgramProblem as problem:
        form[problem.field or "payer"].errors.append(str(problem))
        return _program_page(provider, move_in_form=form, status=422)
    message = f"{program_client.name} is in the program."
    try:
        check = checks.check_for_program_client(program_client, actor=me())
        cost = estimates.estimate(check)
        message += (f" Benefits checked: about {money(cost.cents)} a session for them."
                    if cost else " Benefits checked: see below.")
    except checks.CheckUnavailable as problem:
        message += f" Their benefits couldn't be checked yet: {problem}"
    flash(message)
    return redirect(url_for("program.page"), 303)


def _program_client_or_404(program_client_id):
    found = clients.program_client_or_none(_provider(), program_client_id)
    if found is None:
        abort(404)
    return found


@bp.post("/practice/insurance/clients/<int:program_client_id>/check")
@provider_required
@limiter.limit("30 per hour")
def check_client(program_client_id):
    program_client = _program_client_or_404(program_client_id)
    try:
        checks.check_for_program_client(program_client, actor=me())
    except checks.CheckUnavailable as problem:
        return _program_page(_provider(), problem=str(problem), status=503)
    flash(f"{program_client.name}'s benefits are checked.")
    return redirect(url_for("program.page"), 303)


@bp.post("/practice/insurance/clients/<int:program_client_id>/remove")
@provider_required
def remove_client(program_client_id):
    program_client = _program_client_or_404(program_client_id)
    clients.remove(program_client, actor=me())
    flash(f"{program_client.name} is out of the program. Their past sessions stay on record.")
    return redirect(url_for("program.page"), 303)
