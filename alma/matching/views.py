"""Matching: the client's form and status page, the provider's opportunity, the team's queue."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from alma import audit
from alma.accounts import links
from alma.accounts.access import me, team_required
from alma.accounts.models import User
from alma.clock import utcnow
from alma.consultations import client_links
from alma.consultations import service as consultations
from alma.directory.criteria import SELF_PAY
from alma.extensions import limiter
from alma.matching import service
from alma.matching.forms import CloseForm, MatchForm, MatchWaitlistForm, ProposeForm, WorkForm
from alma.matching.models import MatchOpportunity, MatchRequest
from alma.network import vocab
from alma.network.models import Provider
from alma.web import whole_number

bp = Blueprint("matching", __name__)


# --- The client --------------------------------------------------------------------------

# The query string /match reads (the directory's names) and the form field each fills.
PREFILL = {"state": "state", "payment": "payment", "specialty": "specialty",
           "modality": "modality", "language": "language", "gender": "gender",
           "format": "preferred_format", "zip": "zip_code"}


def _prefilled(words, args):
    """What the client told us already, from the query string: only values the form offers."""
    form = MatchForm(words)
    data = {}
    for name, field_name in PREFILL.items():
        value = (args.get(name) or "").strip()
        if field_name == "zip_code":
            if len(value) == 5 and value.isascii() and value.isdigit():
                data[field_name] = value
        elif value and any(value == choice.value for choice in form[field_name].choices):
            data[field_name] = value
    return MatchForm(words, **data)


def _unserved(words, code):
    state = words.states.get(code or "")
    return state if state is not None and not state.operating else None


def _ask_page(form, words, status=200, waitlist_form=None):
    unserved = _unserved(words, form.state.data)
    if unserved is not None and waitlist_form is None:
        waitlist_form = MatchWaitlistForm(formdata=None, prefix="waitlist",
                                          state=unserved.code, email=form.email.data)
    return render_template("matching/ask.html", form=form, unserved=unserved,
                           waitlist_form=waitlist_form), status


@bp.get("/match")
def ask():
    words = vocab.current()
    return _ask_page(_prefilled(words, request.args), words)


@bp.post("/match")
@limiter.limit("5 per minute;20 per hour")
def ask_post():
    words = vocab.current()
    form = MatchForm(words)
    if form.website.data:
        return redirect(url_for("matching.asked"), 303)  # a robot: nothing stored
    if not form.validate():
        return _ask_page(form, words, 422)
    unserved = _unserved(words, form.state.data)
    if unserved is not None:
        # Nobody could be matched there: say so, keep what was typed, offer the waitlist,
        # and give the team nothing it can't do.
        form.state.errors.append(f"Alma doesn't operate in {unserved.name} yet, so nobody can "
                                 "be matched there: join its waitlist, or choose the state "
                                 "you'll be in during sessions.")
        return _ask_page(form, words, 422)
    self_pay = form.payment.data == SELF_PAY
    budget = form.budget.data.lstrip("$") if form.budget.data else None
    needs = service.Needs(
        name=form.name.data.strip(), email=form.email.data, phone=(form.phone.data or "").strip(),
        state=form.state.data, payer=None if self_pay else words.payers.get(form.payment.data),
        plan=(form.plan.data or "").strip(), self_pay=self_pay,
        budget_cents=int(budget) * 100 if budget and self_pay else None,
        concerns=(form.concerns.data or "").strip(),
        specialty=words.specialties.get(form.specialty.data), gender=form.gender.data or None,
        language=words.languages.get(form.language.data), modality=words.modalities.get(
            form.modality.data), preferred_format=form.preferred_format.data,
        availability=form.availability.data.strip(), zip_code=form.zip_code.data or None,
        submission_key=form.submission_key.data)
    service.ask_to_be_matched(needs)
    return redirect(url_for("matching.asked"), 303)


@bp.post("/match/waitlist")
@limiter.limit("10 per hour")
def join_waitlist():
    words = vocab.current()
    form = MatchWaitlistForm(prefix="waitlist")
    state = _unserved(words, form.state.data)
    if state is None:
        abort(400)
    if not form.validate():
        return _ask_page(_prefilled(words, {"state": state.code}), words, 422,
                         waitlist_form=form)
    consultations.join_waitlist(form.email.data, state.code)
    return render_template("consultations/waitlist_joined.html", state=state)


@bp.get("/match/sent")
def asked():
    return render_template("matching/asked.html")


def _status_url(match):
    return url_for("matching.status", match_id=match.id)


@bp.get("/match/link/<token>")
def status_link(token):
    return client_links.show_link(token, service.MATCH_LINK, MatchRequest, _status_url)


@bp.post("/match/link/<token>")
@limiter.limit("30 per hour")
def status_link_post(token):
    return client_links.spend_link(token, service.MATCH_LINK, MatchRequest, _status_url)


@bp.get("/match/<int:match_id>")
def status(match_id):
    client, match = client_links.owned_or_404(MatchRequest, match_id)
    if client is None:
        return render_template("consultations/status_signed_out.html"), 401
    return render_template("matching/status.html", match=match,
                           proposals=list(match.proposals),
                           idle_minutes=client_links.CLIENT_IDLE_SECONDS // 60)


@bp.post("/match/<int:match_id>/withdraw")
def withdraw(match_id):
    client, match = client_links.owned_or_404(MatchRequest, match_id)
    if client is None:
        return render_template("consultations/status_signed_out.html"), 401
    try:
        service.close(match, "withdrawn")
    except service.MatchProblem:
        pass
    return redirect(url_for("matching.status", match_id=match_id), 303)


# --- The provider's opportunity -------------------------------------------------------------

def _provider_link_problem(problem):
    """A provider's link: their way back is signing in, not a client's new link."""
    return render_template("accounts/link_problem.html",
                           message=client_links.LINK_PROBLEMS[problem.reason]), 410


@bp.get("/opportunities/<token>")
def opportunity(token):
    try:
        link = links.check(token, service.OPPORTUNITY_LINK)
    except links.LinkProblem as problem:
        return _provider_link_problem(problem)
    chance = MatchOpportunity.get_by_id(link.subject_id)
    return render_template("matching/opportunity.html", chance=chance,
                           state=vocab.current().states.get(chance.match.state))


@bp.post("/opportunities/<token>")
@limiter.limit("30 per hour")
def opportunity_post(token):
    try:
        chance, won = service.answer_opportunity(token)
    except links.LinkProblem as problem:
        return _provider_link_problem(problem)
    return render_template("matching/opportunity_answered.html", chance=chance, won=won)


# --- The team's queue ------------------------------------------------------------------------

@bp.get("/team/matching")
@team_required("matching")
def queue():
    show_closed = request.args.get("show") == "closed"
    matches = list(service.queue(include_closed=show_closed).limit(200))
    return render_template("matching/queue.html", matches=matches, now=utcnow(),
                           show_closed=show_closed, states=vocab.current().states)


def team_match_or_404(match_id):
    match = MatchRequest.get_or_none(MatchRequest.id == match_id)
    if match is None:
        abort(404)
    return match


def _work_form(match, formdata=None):
    form = WorkForm(formdata=formdata, obj=None, assignee=str(match.assignee_id or ""),
                    notes=match.notes)
    team = User.select().where(User.roles.contains("matching") | User.roles.contains("admin"))
    form.assignee.choices = [SelectChoice("", "Nobody yet")] + [
        SelectChoice(str(u.id), u.name) for u in team]
    return form


def _detail(match, status=200, **forms):
    audit.record("viewed", "match", match.id, client=match.client, actor=me())
    return render_template(
        "matching/detail.html", match=match, now=utcnow(), proposals=list(match.proposals),
        state=vocab.current().states.get(match.state or ""),
        opportunities=list(match.opportunities), suggestions=service.suggestions(match),
        propose_form=forms.get("propose_form") or ProposeForm(),
        work_form=forms.get("work_form") or _work_form(match),
        close_form=forms.get("close_form") or CloseForm(),
        problem=forms.get("problem")), status


@bp.get("/team/matching/<int:match_id>")
@team_required("matching")
def detail(match_id):
    return _detail(team_match_or_404(match_id))


@bp.post("/team/matching/<int:match_id>/propose")
@team_required("matching")
def propose(match_id):
    match = team_match_or_404(match_id)
    form = ProposeForm()
    provider_id = whole_number(form.provider_id.data)
    provider = Provider.get_or_none(Provider.id == provider_id) if provider_id else None
    if not form.validate() or provider is None:
        return _detail(match, 422, propose_form=form,
                       problem="Choose a provider and say why, for the client.")
    try:
        service.propose(match, provider, form.why.data.strip(), actor=me())
    except service.MatchProblem as problem:
        return _detail(match, 409, propose_form=form, problem=str(problem))
    flash(f"Proposed {provider.full_name}: the request is in their inbox, and the client knows.")
    return redirect(url_for("matching.detail", match_id=match.id), 303)


@bp.post("/team/matching/<int:match_id>/opportunities")
@team_required("matching")
def send_opportunities(match_id):
    match = team_match_or_404(match_id)
    ids = [i for i in map(whole_number, request.form.getlist("provider_id")) if i][:10]
    providers = list(Provider.select().where(Provider.id.in_(ids))) if ids else []
    try:
        service.send_opportunities(match, providers, me())
    except service.MatchProblem as problem:
        return _detail(match, 422, problem=str(problem))
    flash(f"Asked {len(providers)} providers; the first to say yes becomes the proposal.")
    return redirect(url_for("matching.detail", match_id=match.id), 303)


@bp.post("/team/matching/<int:match_id>/work")
@team_required("matching")
def work(match_id):
    match = team_match_or_404(match_id)
    form = _work_form(match, formdata=request.form)
    if not form.validate():
        return _detail(match, 422, work_form=form)
    assignee = User.get_or_none(User.id == form.assignee.data) if form.assignee.data else None
    service.assign(match, assignee, form.notes.data, me())
    flash("Saved.")
    return redirect(url_for("matching.detail", match_id=match.id), 303)


@bp.post("/team/matching/<int:match_id>/waitlist")
@team_required("matching")
def waitlist(match_id):
    match = team_match_or_404(match_id)
    try:
        service.waitlist_and_close(match, actor=me())
    except service.MatchProblem as problem:
        return _detail(match, 409, problem=str(problem))
    flash(f"{match.first_name} is on the waitlist; the request is closed.")
    return redirect(url_for("matching.queue"), 303)


@bp.post("/team/matching/<int:match_id>/close")
@team_required("matching")
def close(match_id):
    match = team_match_or_404(match_id)
    form = CloseForm()
    if not form.validate():
        return _detail(match, 422, close_form=form)
    try:
        service.close(match, form.outcome.data, actor=me())
    except service.MatchProblem as problem:
        return _detail(match, 409, close_form=form, problem=str(problem))
    flash("Closed.")
    return redirect(url_for("matching.queue"), 303)
