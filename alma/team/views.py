"""The team console: dashboard, states and waitlists, members, the audit trail."""
import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from peewee import fn

from alma import audit
from alma.accounts import service as accounts
from alma.accounts.access import me, team_required
from alma.accounts.models import User
from alma.billing_desk import ledger
from alma.clock import today
from alma.consultations import service as consultations
from alma.consultations.models import WaitlistEntry
from alma.directory.service import UnknownState
from alma.mail.models import FAILED, OutboundEmail
from alma.matching import service as matching
from alma.network import vocab
from alma.network.models import License, ServiceState
from alma.team import charts as team_charts
from alma.team.forms import InviteForm

bp = Blueprint("team", __name__, url_prefix="/team")


@bp.get("")
@team_required()
def dashboard():
    failed = None
    if me().has_role("admin"):
        # Addresses and subjects of emails about clients: the admins who run the mail
        # server need them; the other roles have no reason to read them.
        failed = list(OutboundEmail.select().where(OutboundEmail.status == FAILED)
                      .order_by(OutboundEmail.id.desc()).limit(20))
    week = None
    if me().has_role("billing", "admin"):
        week = ledger.by_day(today() - datetime.timedelta(days=6), today())
    return render_template("team/dashboard.html", numbers=matching.dashboard(),
                           failed=failed, week=week, pictures=team_charts.dashboard())


# --- States and waitlists -----------------------------------------------------------------

@bp.get("/states")
@team_required("matching")
def states():
    waiting = dict(WaitlistEntry.select(WaitlistEntry.state, fn.COUNT(WaitlistEntry.id))
                   .where(WaitlistEntry.notified_at.is_null())
                   .group_by(WaitlistEntry.state).tuples())
    return render_template("team/states.html", states=vocab.current().states.values(),
                           waiting=waiting)


def _state_or_404(code):
    state = ServiceState.get_or_none(ServiceState.code == (code or "").upper()[:2])
    if state is None:
        abort(404)
    return state


@bp.get("/states/<code>/launch")
@team_required("matching")
def confirm_launch(code):
    """What launching a state does, and the button that does it: a launch is never one
    stray click (it shows the state's providers to everyone and emails its waitlist)."""
    state = _state_or_404(code)
    waiting = WaitlistEntry.select().where((WaitlistEntry.state == state.code)
                                           & WaitlistEntry.notified_at.is_null()).count()
    licensed = (License.select(License.provider).where(License.state == state.code)
                .distinct().count())
    return render_template("team/launch.html", state=state, waiting=waiting,
                           licensed=licensed)


@bp.post("/states/<code>/launch")
@team_required("matching")
def launch(code):
    state = _state_or_404(code)
    if request.form.get("confirm") != state.code:
        # Not from the confirmation page: show it instead of launching.
        return redirect(url_for("team.confirm_launch", code=state.code), 303)
    if state.operating:
        flash(f"Alma operates in {state.name} already.")
        return redirect(url_for("team.states"), 303)
    try:
        state, told = consultations.launch_state(state.code)
    except UnknownState:
        abort(404)
    audit.record("launched", "state", actor=me(), detail=(
        f"{state.code} ({state.name}) launched; {told} on its waitlist emailed."))
    flash(f"Alma operates in {state.name} now; {told} on its waitlist will get one email.")
    return redirect(url_for("team.states"), 303)


# --- Members --------------------------------------------------------------------------------

def _members():
    return User.select().where(User.roles != "").order_by(User.name)


@bp.get("/members")
@team_required("admin")
def members():
    return render_template("team/members.html", members=_members(), form=InviteForm(),
                           roles=accounts.ROLES)


@bp.post("/members")
@team_required("admin")
def invite():
    form = InviteForm()
    if form.validate():
        try:
            user = accounts.invite(form.email.data, form.name.data, form.roles.data, me())
        except accounts.TeamProblem as problem:
            form.email.errors.append(str(problem))
        else:
            flash(f"{user.email} is invited: they'll choose a password from the email.")
            return redirect(url_for("team.members"), 303)
    return render_template("team/members.html", members=_members(), form=form,
                           roles=accounts.ROLES), 422


@bp.post("/members/<int:user_id>/remove")
@team_required("admin")
def remove(user_id):
    user = User.get_or_none((User.id == user_id) & (User.roles != ""))
    if user is None:
        abort(404)
    try:
        accounts.remove_from_team(user, me())
    except accounts.TeamProblem as problem:
        flash(str(problem))
    else:
        flash(f"{user.email} is off the team, and signed out everywhere.")
    return redirect(url_for("team.members"), 303)


# --- The audit trail ------------------------------------------------------------------------

@bp.get("/audit")
@team_required("admin")
def audit_trail():
    email = (request.args.get("client") or "").strip().lower()
    trails = audit.trails_for(email) if email else []
    return render_template("team/audit.html", email=email, trails=trails)
