"""A provider's sessions page, /practice/sessions: log a session, see what was billed."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from alma import audit
from alma.accounts.access import me, provider_required
from alma.claims import sessions, voiding
from alma.claims.forms import VisitForm, VoidVisitForm
from alma.claims.models import Claim, Visit
from alma.claims.sandbox import OTHER_MEMBERS, TEST_MEMBERS
from alma.clock import today
from alma.program.clients import program_client_or_none
from alma.program.enrolment import open_enrollment
from alma.program.problems import ProgramProblem
from alma.web import whole_number

bp = Blueprint("claims", __name__)


def _provider():
    return me().provider


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
    return render_template("claims/sessions.html", provider=provider, rows=rows,
                           claim_test_members={**TEST_MEMBERS,
                                               "Any other member ID": OTHER_MEMBERS},
                           form=form or _visit_form(provider), today=today(),
                           enrollment=open_enrollment(provider)), status


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
    program_client = program_client_or_none(provider, whole_number(form.client.data) or 0)
    if program_client is None:
        form.client.errors.append("Choose one of your program clients.")
        return _sessions_page(provider, form, 422)
    try:
        visit = sessions.log_visit(provider, program_client, form.held_on.data,
                                   form.cpt_code.data, form.format.data == "telehealth",
                                   form.attendance.data, charge_fee=form.charge_fee.data,
                                   actor=me())
    except ProgramProblem as problem:
        form[problem.field or "client"].errors.append(str(problem))
        return _sessions_page(provider, form, 422)
    flash(f"Session logged. {visit.billing_note}")
    return redirect(url_for("claims.sessions_page"), 303)


def _own_visit_or_404(provider, visit_id):
    visit = Visit.get_or_none((Visit.id == visit_id) & (Visit.provider == provider.id))
    if visit is None:
        abort(404)
    return visit


@bp.get("/practice/sessions/<int:visit_id>/void")
@provider_required
def void_page(visit_id):
    """What voiding the session would do, and the button that does it (no JavaScript)."""
    provider = _provider()
    visit = _own_visit_or_404(provider, visit_id)
    audit.record("viewed", "visit", visit.id, client=visit.program_client.client_id, actor=me())
    problem = voiding.voidable(visit, list(Claim.select().where(Claim.visit == visit.id)))
    return render_template("claims/void.html", visit=visit, problem=problem,
                           form=VoidVisitForm())


@bp.post("/practice/sessions/<int:visit_id>/void")
@provider_required
def void_session(visit_id):
    provider = _provider()
    form = VoidVisitForm()
    if not form.validate():
        visit = _own_visit_or_404(provider, visit_id)
        return render_template("claims/void.html", visit=visit, problem=None, form=form), 422
    try:
        said = voiding.void_visit(provider, visit_id, actor=me(), why=form.reason.data.strip())
    except voiding.NotFound:
        abort(404)
    except ProgramProblem as problem:
        visit = _own_visit_or_404(provider, visit_id)
        return render_template("claims/void.html", visit=visit, problem=str(problem),
                               form=form), 409
    flash(f"{said} You can log the real session now.")
    return redirect(url_for("claims.sessions_page"), 303)
