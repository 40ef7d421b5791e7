"""The provider's inbox: requests newest first, answered inline or from an emailed link.

Every action works as a plain form (303 back to the request) and with htmx
(the request's card re-renders in place). A provider sees a client's contact
details only after accepting; every view of a client's request is audited.
"""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from alma import audit
from alma.accounts import links
from alma.accounts.access import provider_required
from alma.consultations import service
from alma.consultations.forms import DeclineForm
from alma.consultations.models import ConsultationRequest
from alma.db import db
from alma.extensions import limiter
from alma.web import wants_partial

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

SHOW = {"waiting": True, "answered": False, "all": None}


def provider_consultation_or_404(request_id):
    """One of this provider's requests; anyone else's is a 404, never a hint it exists."""
    consultation = ConsultationRequest.get_or_none(
        (ConsultationRequest.id == request_id)
        & (ConsultationRequest.provider == current_user.provider_id))
    if consultation is None:
        abort(404)
    return consultation


def _user():
    return current_user._get_current_object()


@bp.get("")
@provider_required
def index():
    show = request.args.get("show", "waiting")
    if show not in SHOW:
        show = "waiting"
    provider = _user().provider
    consultations = list(service.for_provider(provider, SHOW[show]).limit(100))
    audit.record_many("viewed", "consultation",
                      [(c.id, c.client_id) for c in consultations], _user())
    counts = {"waiting": service.for_provider(provider, True).count()}
    return render_template("consultations/inbox.html", consultations=consultations, show=show,
                           counts=counts, decline_form=DeclineForm(), hours=service.hours_waiting)


@bp.get("/requests/<int:request_id>", endpoint="request")
@provider_required
def show(request_id):
    consultation = provider_consultation_or_404(request_id)
    audit.record("viewed", "consultation", consultation.id, client=consultation.client,
                 actor=_user())
    return render_template("consultations/inbox_request.html", c=consultation,
                           decline_form=DeclineForm(), hours=service.hours_waiting)


def _after_action(consultation, problem=None):
    if wants_partial():
        consultation = ConsultationRequest.get_by_id(consultation.id)
        waiting = service.for_provider(_user().provider, True).count()
        response = render_template("consultations/_inbox_card.html", c=consultation,
                                   decline_form=DeclineForm(), hours=service.hours_waiting,
                                   problem=problem, waiting_count=waiting)
        return response, (409 if problem else 200), {"Vary": "HX-Request"}
    if problem:
        return render_template("consultations/inbox_request.html", c=consultation,
                               decline_form=DeclineForm(), hours=service.hours_waiting,
                               problem=problem), 409
    return redirect(url_for("inbox.request", request_id=consultation.id), 303)


def _act(request_id, act):
    consultation = provider_consultation_or_404(request_id)
    try:
        act(consultation)
    except service.IllegalMove as problem:
        return _after_action(consultation, str(problem))
    return _after_action(consultation)


@bp.post("/requests/<int:request_id>/accept")
@provider_required
def accept(request_id):
    return _act(request_id, lambda c: service.accept(c, actor=_user()))


@bp.post("/requests/<int:request_id>/decline")
@provider_required
def decline(request_id):
    form = DeclineForm()
    if not form.validate():
        return _after_action(provider_consultation_or_404(request_id),
                             "Choose why you're declining.")
    return _act(request_id, lambda c: service.decline(c, form.reason.data, form.note.data,
                                                      actor=_user()))


@bp.post("/requests/<int:request_id>/not-a-fit")
@provider_required
def not_a_fit(request_id):
    return _act(request_id, lambda c: service.hand_to_matching(c, actor=_user()))


# --- From the email ----------------------------------------------------------------------

def _link_for(request_id, token):
    link = links.check(token, service.PROVIDER_LINK)
    if link.subject_id != request_id:
        raise links.LinkProblem("unknown")
    return link


@bp.get("/requests/<int:request_id>/email/<token>")
def email_action(request_id, token):
    """A confirmation page: following a link never acts by itself."""
    try:
        _link_for(request_id, token)
    except links.LinkProblem as problem:
        return render_template("accounts/link_problem.html",
                               message=_link_message(problem)), 410
    consultation = ConsultationRequest.get_by_id(request_id)
    audit.record("viewed", "consultation", consultation.id, client=consultation.client,
                 actor_label="email link")
    return render_template("consultations/email_action.html", c=consultation,
                           chosen=request.args.get("do"), decline_form=DeclineForm())


@bp.post("/requests/<int:request_id>/email/<token>")
@limiter.limit("30 per hour")
def email_action_post(request_id, token):
    action = request.form.get("action")
    form = DeclineForm()
    consultation = ConsultationRequest.get_or_none(ConsultationRequest.id == request_id)
    if consultation is None or action not in {"accept", "decline", "not_a_fit"}:
        abort(400)
    if action == "decline" and not form.validate():
        return render_template("consultations/email_action.html", c=consultation,
                               chosen="decline", decline_form=form), 422
    try:
        with db.atomic():
            _link_for(request_id, token)
            links.spend(token, service.PROVIDER_LINK)
            if action == "accept":
                service.accept(consultation)
            elif action == "decline":
                service.decline(consultation, form.reason.data, form.note.data)
            else:
                service.hand_to_matching(consultation)
    except links.LinkProblem as problem:
        return render_template("accounts/link_problem.html",
                               message=_link_message(problem)), 410
    except service.IllegalMove as problem:
        return render_template("consultations/email_action.html", c=consultation,
                               problem=str(problem), decline_form=form), 409
    return render_template("consultations/email_action_done.html",
                           c=ConsultationRequest.get_by_id(request_id))


def _link_message(problem):
    return {"unknown": "This link isn't one of ours, or it was copied incompletely.",
            "used": "This link has been used already: you answered this request.",
            "expired": "This link has expired, like the request it was for."}[problem.reason]
