"""The insurance program's pages: a provider's /practice/insurance and /practice/sessions,
the credentialing queue at /team/credentialing, and a client's benefit check at /benefits."""
from decimal import ROUND_HALF_UP, Decimal

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from wtforms.fields.choices import SelectChoice

from alma import audit
from alma.accounts.access import me, provider_required, team_required
from alma.clock import today
from alma.directory import vocab
from alma.extensions import limiter
from alma.insurance import benefits, service, sessions
from alma.insurance.forms import (AnswersForm, BenefitsForm, DecisionForm, EnrolForm, FeesForm,
                                  MoveInForm, VisitForm)
from alma.insurance.models import SUBMITTED, CredentialingCase, InsuranceEnrollment
from alma.network.models import Payer
from alma.templating import money
from alma.web import whole_number

bp = Blueprint("insurance", __name__)
BROWSER_KEY = "benefit_check"


def _provider():
    return me().provider


def _cents(value):
    """Dollars typed as a Decimal, to the nearest cent."""
    if value is None:
        return None
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- The provider's program page ----------------------------------------------------------------

def _move_in_form(provider, formdata=None):
    form = MoveInForm(formdata=formdata) if formdata is not None else MoveInForm()
    form.payer.choices = [SelectChoice("", "Choose…")] + [
        SelectChoice(str(p.id), p.name) for p in service.approved_payers(provider)]
    form.state.choices = [SelectChoice("", "Choose…")] + [
        SelectChoice(s.code, s.name) for s in vocab.current().states.values()]
    return form


def _program_page(provider, enrol_form=None, move_in_form=None, fees_form=None,
                  problem=None, notice_plan=None, status=200):
    enrollment = service.open_enrollment(provider)
    may, why = service.eligibility(provider)
    clients = sessions.current_clients(provider) if enrollment else []
    audit.record_many("viewed", "program_client", [(c.id, c.client_id) for c in clients], me())
    latest = benefits.latest_checks([c.id for c in clients])
    rates = {}
    past = (InsuranceEnrollment.select().where((InsuranceEnrollment.provider == provider.id)
                                               & InsuranceEnrollment.open_for.is_null())
            .order_by(InsuranceEnrollment.id.desc()).first())
    fees_form = fees_form or FeesForm(data={
        "late_cancel_fee": (provider.late_cancel_fee_cents or 0) / 100 or None,
        "no_show_fee": (provider.no_show_fee_cents or 0) / 100 or None})
    return render_template(
        "insurance/program.html", provider=provider, enrollment=enrollment, may=may, why=why,
        cases=list(enrollment.cases) if enrollment else [], past=past,
        enrol_form=enrol_form or EnrolForm(), fees_form=fees_form,
        move_in_form=move_in_form or _move_in_form(provider), clients=clients, latest=latest,
        approved=service.approved_payers(provider), payers=service.program_payers(),
        expected_days=service.expected_days(), problem=problem, notice_plan=notice_plan,
        effective=service.notice_takes_effect(), today=today(),
        estimates={c.id: benefits.estimate(latest.get(c.id), rates=rates)
                   for c in clients}), status


@bp.get("/practice/insurance")
@provider_required
def program():
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
        service.enroll(provider, form.caqh_id.data, form.caqh_attested_on.data,
                       form.malpractice_carrier.data, form.malpractice_expires_on.data,
                       form.attest.data, individually)
    except service.ProgramProblem as problem:
        if problem.field and problem.field in form:
            form[problem.field].errors.append(str(problem))
            return _program_page(provider, enrol_form=form, status=422)
        return _program_page(provider, enrol_form=form, problem=str(problem), status=409)
    flash("You're enrolled. Credentialing has started; we'll email you as each payer "
          "approves you.")
    return redirect(url_for("insurance.program"), 303)


@bp.post("/practice/insurance/notice")
@provider_required
def notice():
    provider = _provider()
    if service.open_enrollment(provider) is None:
        return _program_page(provider, problem="You aren't in the insurance program.",
                             status=409)
    if request.form.get("confirm") != "1":
        return _program_page(provider, notice_plan=True)
    try:
        enrollment = service.give_notice(provider)
    except service.ProgramProblem as problem:
        return _program_page(provider, problem=str(problem), status=409)
    flash(f"Notice given. You leave the insurance program on "
          f"{enrollment.ends_on:%B %-d, %Y}; until then nothing changes.")
    return redirect(url_for("insurance.program"), 303)


@bp.post("/practice/insurance/fees")
@provider_required
def fees():
    provider = _provider()
    if service.open_enrollment(provider) is None:
        return _program_page(provider, problem="Enrol in the insurance program first: these "
                                               "fees apply to its sessions.", status=409)
    form = FeesForm()
    if not form.validate():
        return _program_page(provider, fees_form=form, status=422)
    try:
        sessions.set_fees(provider, _cents(form.late_cancel_fee.data),
                          _cents(form.no_show_fee.data))
    except service.ProgramProblem as problem:
        return _program_page(provider, fees_form=form, problem=str(problem), status=422)
    flash("Your cancellation fees are saved.")
    return redirect(url_for("insurance.program"), 303)


@bp.post("/practice/insurance/clients")
@provider_required
def move_in():
    provider = _provider()
    if service.open_enrollment(provider) is None:
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
        program_client = sessions.move_in(provider, values, form.tell.data, actor=me())
    except service.ProgramProblem as problem:
        form[problem.field or "payer"].errors.append(str(problem))
        return _program_page(provider, move_in_form=form, status=422)
    message = f"{program_client.name} is in the program."
    try:
        check = benefits.check_for_program_client(program_client, actor=me())
        estimate = benefits.estimate(check)
        message += (f" Benefits checked: about {money(estimate.cents)} a session for them."
                    if estimate else " Benefits checked: see below.")
    except benefits.CheckUnavailable as problem:
        message += f" Their benefits couldn't be checked yet: {problem}"
    flash(message)
    return redirect(url_for("insurance.program"), 303)


def _program_client_or_404(program_client_id):
    found = sessions.program_client_or_none(_provider(), program_client_id)
    if found is None:
        abort(404)
    return found


@bp.post("/practice/insurance/clients/<int:program_client_id>/check")
@provider_required
@limiter.limit("30 per hour")
def check_client(program_client_id):
    program_client = _program_client_or_404(program_client_id)
    try:
        benefits.check_for_program_client(program_client, actor=me())
    except benefits.CheckUnavailable as problem:
        return _program_page(_provider(), problem=str(problem), status=503)
    flash(f"{program_client.name}'s benefits are checked.")
    return redirect(url_for("insurance.program"), 303)


@bp.post("/practice/insurance/clients/<int:program_client_id>/remove")
@provider_required
def remove_client(program_client_id):
    program_client = _program_client_or_404(program_client_id)
    sessions.remove(program_client, actor=me())
    flash(f"{program_client.name} is out of the program. Their past sessions stay on record.")
    return redirect(url_for("insurance.program"), 303)


# --- Sessions -----------------------------------------------------------------------------------

def _visit_form(provider, formdata=None):
    form = VisitForm(formdata=formdata) if formdata is not None else VisitForm(
        data={"held_on": today()})
    form.client.choices = [SelectChoice("", "Choose…")] + [
        SelectChoice(str(c.id), f"{c.name} ({c.payer.name})" if c.removed_at is None else
                     f"{c.name} ({c.payer.name}; left the program {c.removed_at:%b %-d})")
        for c in sessions.loggable_clients(provider)]
    return form


def _sessions_page(provider, form=None, status=200):
    rows = sessions.visits(provider)
    audit.record_many("viewed", "visit", [(v.id, v.program_client.client_id) for v in rows],
                      me())
    return render_template("insurance/sessions.html", provider=provider, rows=rows,
                           form=form or _visit_form(provider), today=today(),
                           enrollment=service.open_enrollment(provider)), status


@bp.get("/practice/sessions")
@provider_required
def sessions_page():
    return _sessions_page(_provider())


@bp.post("/practice/sessions")
@provider_required
def log_session():
    provider = _provider()
    form = _visit_form(provider, request.form)
    if not form.validate():
        return _sessions_page(provider, form, 422)
    program_client = sessions.program_client_or_none(provider, whole_number(form.client.data)
                                                     or 0)
    if program_client is None:
        form.client.errors.append("Choose one of your program clients.")
        return _sessions_page(provider, form, 422)
    try:
        visit = sessions.log_visit(provider, program_client, form.held_on.data,
                                   form.cpt_code.data, form.format.data == "telehealth",
                                   form.attendance.data, charge_fee=form.charge_fee.data,
                                   actor=me())
    except service.ProgramProblem as problem:
        form[problem.field or "client"].errors.append(str(problem))
        return _sessions_page(provider, form, 422)
    flash(f"Session logged. {visit.billing_note}")
    return redirect(url_for("insurance.sessions_page"), 303)


# --- The credentialing team ---------------------------------------------------------------------

@bp.get("/team/credentialing")
@team_required("credentialing")
def queue():
    show = request.args.get("show", "open")
    cases = (CredentialingCase.select(CredentialingCase, InsuranceEnrollment)
             .join(InsuranceEnrollment).order_by(CredentialingCase.opened_on,
                                                 CredentialingCase.id))
    if show != "all":
        show = "open"
        cases = cases.where(CredentialingCase.status == SUBMITTED)
    return render_template("insurance/queue.html", cases=list(cases.limit(500)), show=show,
                           today=today(), expected_days=service.expected_days(),
                           checklist=service.CHECKLIST)


def _case_or_404(case_id):
    case = CredentialingCase.get_or_none(CredentialingCase.id == case_id)
    if case is None:
        abort(404)
    return case


def _case_page(case, form=None, problem=None, status=200):
    provider = case.enrollment.provider
    audit.record("viewed", "credentialing_case", case.id, actor=me())
    return render_template(
        "insurance/case.html", case=case, enrollment=case.enrollment, provider=provider,
        licences=list(provider.licenses), checklist=service.CHECKLIST,
        form=form or DecisionForm(data={"effective_on": today(), "notes": case.notes}),
        covered=service.covered_payers(case.payer), age=service.case_age(case),
        expected_days=service.expected_days(), problem=problem), status


@bp.get("/team/credentialing/<int:case_id>")
@team_required("credentialing")
def case(case_id):
    return _case_page(_case_or_404(case_id))


@bp.post("/team/credentialing/<int:case_id>")
@team_required("credentialing")
def decide(case_id):
    found = _case_or_404(case_id)
    form = DecisionForm()
    if not form.validate():
        return _case_page(found, form, status=422)
    action = request.form.get("action")
    try:
        if action == "checklist":
            service.update_checklist(found, set(request.form.getlist("checked")),
                                     form.notes.data or "", me())
            flash("Checklist saved.")
        elif action == "approve":
            if form.effective_on.data is None:
                form.effective_on.errors.append("Enter the date the payer's approval "
                                                "takes effect.")
                return _case_page(found, form, status=422)
            service.approve(found, form.effective_on.data, me())
            flash(f"Approved: {found.enrollment.provider.full_name} is in network with "
                  f"{found.payer.name} from {form.effective_on.data:%B %-d, %Y}.")
        elif action == "deny":
            service.deny(found, form.reason.data or "", me())
            flash("Denied; the provider is told why.")
        else:
            return _case_page(found, form, problem="Choose what to do with this case.",
                              status=422)
    except service.ProgramProblem as problem:
        if problem.field and problem.field in form:
            form[problem.field].errors.append(str(problem))
            return _case_page(found, form, status=422)
        return _case_page(found, form, problem=str(problem), status=409)
    return redirect(url_for("insurance.case", case_id=found.id), 303)


# --- A client's own benefit check ---------------------------------------------------------------

def _benefits_form(formdata=None):
    form = BenefitsForm(formdata=formdata) if formdata is not None else BenefitsForm()
    payers = sorted(vocab.current().payers.values(), key=lambda p: (not p.checkable_via_optum,
                                                                    p.name))
    form.payer.choices = [SelectChoice("", "Choose…")] + [
        SelectChoice(p.slug, p.name) for p in payers]
    return form


def _benefits_page(form, problem=None, status=200):
    checkable = [p for p in vocab.current().payers.values() if benefits.checkable(p)]
    from alma.insurance import sandbox

    sandboxed = current_app.config["ELIGIBILITY_GATEWAY"] == "sandbox"
    return render_template("insurance/benefits.html", form=form, problem=problem,
                           checkable=checkable, current=_current_check(),
                           test_members=sandbox.TEST_MEMBERS if sandboxed else None,
                           provider_slug=request.values.get("provider", "")), status


def _current_check():
    return benefits.for_browser(session.get(BROWSER_KEY))


@bp.get("/benefits")
def check_benefits():
    form = _benefits_form()
    payer = request.args.get("payer", "")
    if payer:
        form.payer.data = payer
    return _benefits_page(form)


@bp.post("/benefits")
@limiter.limit("10 per hour")
def check_benefits_post():
    form = _benefits_form(request.form)
    if not form.validate():
        return _benefits_page(form, status=422)
    payer = Payer.get_or_none(Payer.slug == form.payer.data)
    if payer is None:
        form.payer.errors.append("Choose your insurance from the list.")
        return _benefits_page(form, status=422)
    if not benefits.checkable(payer):
        return redirect(url_for("insurance.ask", payer=payer.slug), 303)
    if form.date_of_birth.data >= today():
        form.date_of_birth.errors.append("Your date of birth must be in the past.")
        return _benefits_page(form, status=422)
    try:
        check = benefits.check_for_visitor(payer, form.member_id.data, form.first_name.data,
                                           form.last_name.data, form.date_of_birth.data)
    except benefits.CheckUnavailable as problem:
        if problem.field in ("member_id", "payer"):
            form[problem.field].errors.append(str(problem))
            return _benefits_page(form, status=422)
        return _benefits_page(form, problem=str(problem), status=503)
    session[BROWSER_KEY] = check.browser_key
    return redirect(url_for("insurance.result", provider=request.form.get("provider") or None),
                    303)


@bp.get("/benefits/result")
def result():
    check = _current_check()
    if check is None:
        return redirect(url_for("insurance.check_benefits"), 303)
    provider_slug = request.args.get("provider", "")
    return render_template("insurance/result.html", check=check,
                           estimate=benefits.estimate(check), provider_slug=provider_slug)


@bp.route("/benefits/ask", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def ask():
    payer = Payer.get_or_none(Payer.slug == request.values.get("payer", ""))
    form = AnswersForm()
    if request.method == "POST" and payer is None:
        abort(404)
    if request.method == "POST":
        if form.validate():
            try:
                check = benefits.note_answers(
                    payer, _cents(form.copay.data),
                    _cents(form.coinsurance.data),
                    _cents(form.deductible_left.data), _cents(form.oop_left.data),
                    form.in_network.data)
            except benefits.CheckUnavailable as problem:
                form.copay.errors.append(str(problem))
            else:
                session[BROWSER_KEY] = check.browser_key
                return redirect(url_for("insurance.result"), 303)
        return render_template("insurance/ask.html", payer=payer, form=form), 422
    return render_template("insurance/ask.html", payer=payer, form=form)


@bp.post("/benefits/forget")
def forget():
    check = _current_check()
    session.pop(BROWSER_KEY, None)
    if check is not None:  # a visitor's own check: nothing else refers to it
        check.delete_instance()
    flash("Your benefit check is forgotten: it's deleted, here and on our side.")
    return redirect(url_for("insurance.check_benefits"), 303)


def estimate_for_visitor():
    """For the directory: the visitor's benefit check and its estimate, or (None, None)."""
    check = _current_check()
    if check is None:
        return None, None
    return check, benefits.estimate(check)


@bp.app_template_filter("percent")
def percent(basis_points):
    return f"{basis_points / 100:g}%"
