"""The client's side: the request form, the request's status page, the waitlist."""
from flask import Blueprint, abort, redirect, render_template, request, url_for

from alma.accounts import links
from alma.consultations import client_links, service
from alma.consultations.forms import RequestForm, WaitlistForm
from alma.consultations.models import ConsultationRequest
from alma.directory import service as directory
from alma.directory.criteria import SELF_PAY
from alma.extensions import limiter
from alma.network import vocab

bp = Blueprint("consultations", __name__)



# --- The request form ------------------------------------------------------------------

def _form_page(profile, form, problem=None, suggest_state=None, status=200):
    return render_template("consultations/request.html", profile=profile, form=form,
                           problem=problem, suggest_state=suggest_state), status


@bp.get("/providers/<slug>/request")
def request_form(slug):
    profile = directory.listed_provider_or_404(slug)
    if not profile.provider.accepting_new_clients:
        return render_template("consultations/not_accepting.html", profile=profile)
    form = RequestForm(vocab.current(), state=request.args.get("state", ""),
                       payment=request.args.get("payment", ""))
    return _form_page(profile, form)


@bp.post("/providers/<slug>/request")
@limiter.limit("5 per minute;20 per hour")
def request_form_post(slug):
    profile = directory.listed_provider_or_404(slug)
    if not profile.provider.accepting_new_clients:
        return render_template("consultations/not_accepting.html", profile=profile), 409
    words = vocab.current()
    form = RequestForm(words)
    if form.website.data:
        # A robot filled in the hidden field: it learns nothing, we store nothing.
        return redirect(url_for("consultations.request_sent", slug=slug), 303)
    if not form.validate():
        return _form_page(profile, form, status=422)
    payer = None if form.payment.data == SELF_PAY else words.payers.get(form.payment.data)
    submission = service.Submission(
        name=form.name.data.strip(), email=form.email.data, phone=(form.phone.data or "").strip(),
        state=form.state.data, payer=payer, member_id=(form.member_id.data or "").strip(),
        self_pay=form.payment.data == SELF_PAY, concerns=form.concerns.data.strip(),
        preferred_format=form.preferred_format.data,
        availability=form.availability.data.strip(), submission_key=form.submission_key.data)
    try:
        consultation, outcome = service.submit(profile.provider, submission)
    except service.RequestProblem as problem:
        if problem.field:
            form[problem.field].errors.append(str(problem))
            suggest = form.state.data if problem.field == "state" else None
            return _form_page(profile, form, suggest_state=suggest, status=422)
        return _form_page(profile, form, problem=str(problem), status=422)
    if outcome == "state_not_served":
        return render_template("consultations/state_not_served.html", consultation=consultation,
                               state=words.states[consultation.state],
                               form=WaitlistForm(submission_key=consultation.submission_key))
    return redirect(url_for("consultations.request_sent", slug=slug), 303)


@bp.get("/providers/<slug>/request/sent")
def request_sent(slug):
    profile = directory.listed_provider_or_404(slug)
    return render_template("consultations/sent.html", profile=profile)


# --- The waitlist --------------------------------------------------------------------------

@bp.post("/waitlist")
@limiter.limit("10 per hour")
def join_waitlist():
    form = WaitlistForm()
    declined = ConsultationRequest.get_or_none(
        ConsultationRequest.submission_key == (form.submission_key.data or ""))
    if not form.validate() or declined is None or declined.decline_reason != "state_not_served":
        abort(400)
    service.join_waitlist(declined.client.email, declined.state, declined.client)
    return render_template("consultations/waitlist_joined.html",
                           state=vocab.current().states[declined.state])


@bp.get("/waitlist/link/<token>")
def waitlist_link(token):
    try:
        link = links.check(token, service.WAITLIST_LINK)
    except links.LinkProblem as problem:
        return client_links.link_problem(problem)
    declined = ConsultationRequest.get_by_id(link.subject_id)
    return render_template("consultations/waitlist_confirm.html",
                           state=vocab.current().states[declined.state])


@bp.post("/waitlist/link/<token>")
@limiter.limit("30 per hour")
def waitlist_link_post(token):
    try:
        entry = service.join_waitlist_by_link(token)
    except links.LinkProblem as problem:
        return client_links.link_problem(problem)
    return render_template("consultations/waitlist_joined.html",
                           state=vocab.current().states[entry.state])


# --- The client's own request --------------------------------------------------------------

def _status_url(consultation):
    return url_for("consultations.status", request_id=consultation.id)


@bp.get("/requests/link/<token>")
def status_link(token):
    return client_links.show_link(token, service.CLIENT_LINK, ConsultationRequest, _status_url)


@bp.post("/requests/link/<token>")
@limiter.limit("30 per hour")
def status_link_post(token):
    return client_links.spend_link(token, service.CLIENT_LINK, ConsultationRequest, _status_url)


@bp.get("/requests/<int:request_id>")
def status(request_id):
    client, consultation = client_links.owned_or_404(ConsultationRequest, request_id)
    if client is None:
        return render_template("consultations/status_signed_out.html"), 401
    return render_template("consultations/status.html", consultation=consultation,
                           others=service.other_providers(consultation)
                           if consultation.status != "accepted" else [])


@bp.post("/requests/<int:request_id>/withdraw")
def withdraw(request_id):
    client, consultation = client_links.owned_or_404(ConsultationRequest, request_id)
    if client is None:
        return render_template("consultations/status_signed_out.html"), 401
    try:
        service.withdraw(consultation, client)
    except service.IllegalMove:
        pass  # the status page shows what happened instead
    return redirect(url_for("consultations.status", request_id=request_id), 303)

