"""Joining: the application, the applicant's page (book, move or cancel the call), and the
growth team's queue and calendar."""
import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from alma import audit
from alma.accounts import link_pages
from alma.accounts.access import me, team_required
from alma.accounts.models import User
from alma.accounts.service import normalise_email
from alma.clients.forms import NewLinkForm
from alma.clock import utcnow
from alma.extensions import limiter
from alma.inputs import parse_day
from alma.membership import service, zones
from alma.membership.forms import ApplyForm, DecisionNotesForm, RejectForm, SlotsForm
from alma.membership.models import APPLIED, CALL_BOOKED, MembershipApplication, OnboardingSlot
from alma.network import vocab
from alma.web import whole_number

bp = Blueprint("membership", __name__)

APPLICANT_IDLE_SECONDS = 60 * 60
YEAR = datetime.timedelta(days=366)
LINK_PROBLEM = "This link has expired or been used already. The newest email we sent has a " \
               "fresh one, or ask for a new one here."
LINK_PROBLEM_PAGE = "membership/link_problem.html"


# --- Applying ---------------------------------------------------------------------------------

@bp.get("/join")
def join():
    return render_template("membership/join.html", form=ApplyForm(vocab.current()))


@bp.post("/join")
@limiter.limit("5 per minute;20 per hour")
def join_post():
    form = ApplyForm(vocab.current())
    if form.website.data:
        return render_template("membership/applied.html", application=None)  # a robot
    if not form.validate():
        return render_template("membership/join.html", form=form), 422
    if not service.npi_is_valid(form.npi.data):
        form.npi.errors.append("That NPI doesn't check out: please look at it again.")
        return render_template("membership/join.html", form=form), 422
    answers = [service.LicenseAnswer(
        state=row.form.state.data, license_type=row.form.license_type.data,
        number=row.form.number.data.strip(), level=row.form.level.data,
        under_supervision=row.form.under_supervision.data,
        supervisor_name=(row.form.supervisor_name.data or "").strip() or None,
        supervisor_license=(row.form.supervisor_license.data or "").strip() or None)
        for row in form.licenses if row.form.started()]
    application, _ = service.apply(
        name=form.name.data.strip(), email=form.email.data, phone=(form.phone.data or "").strip(),
        npi=form.npi.data, gender=form.gender.data,
        practice_name=(form.practice_name.data or "").strip(),
        practice_city=(form.practice_city.data or "").strip(),
        practice_state=form.practice_state.data, about=(form.about_practice.data or "").strip(),
        wants_insurance=form.wants_insurance.data, licenses=answers,
        submission_key=form.submission_key.data)
    return render_template("membership/applied.html", application=application)


# --- The applicant's page ------------------------------------------------------------------------

def signed_in_applicant():
    application_id, seen = session.get("application_id"), session.get("application_seen", 0)
    if application_id is None or utcnow().timestamp() - seen > APPLICANT_IDLE_SECONDS:
        session.pop("application_id", None)
        return None
    session["application_seen"] = utcnow().timestamp()
    return MembershipApplication.get_or_none(MembershipApplication.id == application_id)


@bp.get("/join/link/<token>")
def applicant_link(token):
    def already_open(application_id):
        current = signed_in_applicant()
        if current is not None and current.id == application_id:
            return url_for("membership.application")
        return None
    return link_pages.confirm(token, service.APPLICANT_LINK, "membership/link.html",
                              LINK_PROBLEM, already_open, for_client=LINK_PROBLEM_PAGE)


@bp.post("/join/link/<token>")
@limiter.limit("30 per hour")
def applicant_link_post(token):
    def remember(application_id):
        session.clear()
        session["application_id"] = application_id
        session["application_seen"] = utcnow().timestamp()
        return url_for("membership.application")
    return link_pages.spend(token, service.APPLICANT_LINK, LINK_PROBLEM, remember,
                            for_client=LINK_PROBLEM_PAGE)


def _email_key():
    return "applicant-link:" + normalise_email(request.form.get("email"))


@bp.get("/join/new-link")
def new_link():
    return render_template(LINK_PROBLEM_PAGE, message=None, form=NewLinkForm(formdata=None))


@bp.post("/join/new-link")
@limiter.limit("20 per hour")
@limiter.limit("5 per hour", key_func=_email_key)
def send_new_link():
    form = NewLinkForm()
    if not form.validate():
        return render_template(LINK_PROBLEM_PAGE, message=None, form=form), 422
    service.email_new_link(form.email.data)
    return render_template("membership/link_sent.html", email=form.email.data,
                           days=service.APPLICANT_LINK_TTL.days)


def _applicant_or_401():
    application = signed_in_applicant()
    if application is None:
        abort(401)
    return application


@bp.get("/join/application")
def application():
    current = _applicant_or_401()
    # The times in their zone: the one they chose to see (?zone=), else theirs.
    zone = zones.valid(request.args.get("zone")) or current.zone
    return render_template("membership/application.html", application=current,
                           booked=service.booked_slot(current), zone=zone, zones=zones.ZONES,
                           slots=list(service.open_slots().limit(40)))


@bp.post("/join/application/book")
@limiter.limit("20 per hour")
def book():
    current = _applicant_or_401()
    slot_id = whole_number(request.form.get("slot_id"))
    try:
        if slot_id is None:
            raise service.ApplicationProblem("Choose a time.")
        service.book(current, slot_id, time_zone=request.form.get("time_zone"))
    except service.ApplicationProblem as problem:
        flash(str(problem))
        return redirect(url_for("membership.application"), 303)
    flash("Booked. We've emailed you a calendar invitation.")
    return redirect(url_for("membership.application"), 303)


@bp.post("/join/application/cancel")
@limiter.limit("20 per hour")
def cancel():
    current = _applicant_or_401()
    try:
        service.cancel_call(current)
    except service.ApplicationProblem as problem:
        flash(str(problem))
    else:
        flash("Your call is cancelled. Choose another time whenever suits you.")
    return redirect(url_for("membership.application"), 303)


# --- The growth team ----------------------------------------------------------------------------

@bp.get("/team/applications")
@team_required("growth")
def applications():
    status = request.args.get("status", "open")
    query = MembershipApplication.select().order_by(MembershipApplication.created_at.desc())
    if status == "open":
        query = query.where(MembershipApplication.status.in_([APPLIED, CALL_BOOKED]))
    elif status != "all":
        query = query.where(MembershipApplication.status == status)
    applications = list(query.limit(200))
    booked = {s.application_id: s for s in OnboardingSlot.select(OnboardingSlot, User)
              .join(User).where(OnboardingSlot.application.in_([a.id for a in applications]))}
    return render_template("membership/applications.html", applications=applications,
                           status=status, booked=booked, my_zone=_my_zone())


def _application_or_404(application_id):
    found = MembershipApplication.get_or_none(MembershipApplication.id == application_id)
    if found is None:
        abort(404)
    return found


def _detail(found, status=200, **forms):
    return render_template(
        "membership/application_detail.html", application=found,
        booked=service.booked_slot(found), problem=forms.get("problem"),
        notes_form=forms.get("notes_form") or DecisionNotesForm(notes=found.notes),
        reject_form=forms.get("reject_form") or RejectForm(),
        today=utcnow().date(), my_zone=_my_zone()), status


@bp.get("/team/applications/<int:application_id>")
@team_required("growth")
def application_detail(application_id):
    return _detail(_application_or_404(application_id))


@bp.post("/team/applications/<int:application_id>/notes")
@team_required("growth")
def notes(application_id):
    found = _application_or_404(application_id)
    form = DecisionNotesForm()
    if not form.validate():
        return _detail(found, 422, notes_form=form)
    found.notes = form.notes.data or ""
    found.save()
    flash("Saved.")
    return redirect(url_for("membership.application_detail", application_id=found.id), 303)


@bp.post("/team/applications/<int:application_id>/approve")
@team_required("growth")
def approve(application_id):
    found = _application_or_404(application_id)
    # A verified expiry: licences renew every year or few, so within ten years from now.
    expiries = {lic.id: parse_day(request.form.get(f"expires_{lic.id}"), earliest=-YEAR,
                                  latest=10 * YEAR)
                for lic in found.licenses}
    try:
        provider = service.approve(found, expiries, me())
    except service.ApplicationProblem as problem:
        return _detail(found, 422, problem=str(problem))
    audit.record("approved", "application", found.id, actor=me())
    flash(f"Approved: {provider.full_name} has a draft listing and an email to set a password.")
    return redirect(url_for("membership.applications"), 303)


@bp.post("/team/applications/<int:application_id>/reject")
@team_required("growth")
def reject(application_id):
    found = _application_or_404(application_id)
    form = RejectForm()
    if not form.validate():
        return _detail(found, 422, reject_form=form)
    try:
        service.reject(found, form.reason.data.strip(), me())
    except service.ApplicationProblem as problem:
        return _detail(found, 409, problem=str(problem))
    flash("Not approved; they've been told, kindly.")
    return redirect(url_for("membership.applications"), 303)


def _my_zone():
    """The signed-in team member's zone, for the times they are shown."""
    return zones.valid(me().time_zone) or zones.DEFAULT


def _slots_form(formdata=None):
    form = SlotsForm(formdata=formdata) if formdata is not None else SlotsForm(
        time_zone=_my_zone())
    form.time_zone.choices = list(zones.ZONES.items())
    return form


def _upcoming_mine():
    return list(OnboardingSlot.select().where((OnboardingSlot.host == me().id)
                                              & (OnboardingSlot.starts_at > utcnow()))
                .order_by(OnboardingSlot.starts_at))


@bp.get("/team/availability")
@team_required("growth")
def availability():
    return render_template("membership/availability.html", slots=_upcoming_mine(),
                           form=_slots_form(), my_zone=_my_zone())


@bp.post("/team/availability")
@team_required("growth")
def availability_post():
    form = _slots_form(request.form)
    if form.validate():
        # Typed in the zone chosen beside it (theirs from now on); kept in UTC.
        user = me()
        if user.time_zone != form.time_zone.data:
            user.time_zone = form.time_zone.data
            user.save()
        start = zones.to_utc(form.start.data, form.time_zone.data)
        if start <= utcnow():
            form.start.errors.append("Choose a time in the future.")
        else:
            starts = [start + datetime.timedelta(minutes=service.CALL_MINUTES * i)
                      for i in range(form.count.data)]
            made = service.publish_slots(user, starts)
            flash(f"{made} new times are open for booking.")
            return redirect(url_for("membership.availability"), 303)
    return render_template("membership/availability.html", slots=_upcoming_mine(), form=form,
                           my_zone=_my_zone()), 422


@bp.app_template_filter("call_time")
def call_time(moment, zone, day=True, short=False):
    """A call's time in a zone, stated: "Tuesday 9 Dec, 10:00 Pacific time (PT)"."""
    return zones.stated(moment, zone, day=day, short=short)
