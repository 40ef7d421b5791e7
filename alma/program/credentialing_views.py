"""The credentialing team's pages, /team/credentialing: the queue of cases, and a case to
work through its checklist to approval or denial."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from alma import audit
from alma.accounts.access import me, team_required
from alma.clock import today
from alma.network.group import covered_payers
from alma.program import credentialing
from alma.program.credentialing import expected_days
from alma.program.forms import DecisionForm
from alma.program.models import SUBMITTED, CredentialingCase, InsuranceEnrollment
from alma.program.problems import ProgramProblem

bp = Blueprint("credentialing", __name__)


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
    return render_template("program/queue.html", cases=list(cases.limit(500)), show=show,
                           today=today(), expected_days=expected_days(),
                           checklist=credentialing.CHECKLIST)


def _case_or_404(case_id):
    case = CredentialingCase.get_or_none(CredentialingCase.id == case_id)
    if case is None:
        abort(404)
    return case


def _case_page(case, form=None, problem=None, status=200):
    provider = case.enrollment.provider
    audit.record("viewed", "credentialing_case", case.id, actor=me())
    return render_template(
        "program/case.html", case=case, enrollment=case.enrollment, provider=provider,
        licences=list(provider.licenses), checklist=credentialing.CHECKLIST,
        form=form or DecisionForm(data={"effective_on": today(), "notes": case.notes}),
        covered=covered_payers(case.payer), age=credentialing.case_age(case),
        expected_days=expected_days(), problem=problem), status


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
            credentialing.update_checklist(found, set(request.form.getlist("checked")),
                                           form.notes.data or "", me())
            flash("Checklist saved.")
        elif action == "approve":
            if form.effective_on.data is None:
                form.effective_on.errors.append("Enter the date the payer's approval "
                                                "takes effect.")
                return _case_page(found, form, status=422)
            credentialing.approve(found, form.effective_on.data, me())
            flash(f"Approved: {found.enrollment.provider.full_name} is in network with "
                  f"{found.payer.name} from {form.effective_on.data:%B %-d, %Y}.")
        elif action == "deny":
            credentialing.deny(found, form.reason.data or "", me())
            flash("Denied; the provider is told why.")
        else:
            return _case_page(found, form, problem="Choose what to do with this case.",
                              status=422)
    except ProgramProblem as problem:
        if problem.field and problem.field in form:
            form[problem.field].errors.append(str(problem))
            return _case_page(found, form, status=422)
        return _case_page(found, form, problem=str(problem), status=409)
    return redirect(url_for("credentialing.case", case_id=found.id), 303)
