"""The client's page (/me) and the way back to it from any dead link: a fresh one by email."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from alma.accounts import links
from alma.accounts.service import normalise_email
from alma.clients import service
from alma.clients.forms import NewLinkForm
from alma.consultations import client_links
from alma.extensions import limiter

bp = Blueprint("clients", __name__)


def _email_key():
    return "client-link:" + normalise_email(request.form.get("email"))


def _problem(problem):
    return render_template("accounts/client_link_problem.html",
                           message=client_links.LINK_PROBLEMS[problem.reason],
                           form=NewLinkForm(formdata=None)), 410


@bp.get("/me")
def home():
    email = client_links.signed_in_email()
    if email is None:
        return render_template("clients/signed_out.html", form=NewLinkForm(formdata=None)), 401
    found = service.overview(email)
    # The invoices (and their explanations) listed here open from here too.
    session["invoice_ids"] = sorted(set(session.get("invoice_ids", []))
                                    | {row.invoice.id for row in found.invoices})
    return render_template("clients/home.html", found=found,
                           idle_minutes=client_links.CLIENT_IDLE_SECONDS // 60)


@bp.post("/me/forget")
def forget():
    client_links.forget()
    flash("This browser has forgotten you. Your page opens again from a new emailed link.")
    return redirect(url_for("clients.home"), 303)


@bp.get("/me/link")
def new_link():
    return render_template("clients/new_link.html", form=NewLinkForm(formdata=None))


@bp.post("/me/link")
@limiter.limit("20 per hour")
@limiter.limit("5 per hour", key_func=_email_key)
def send_link():
    form = NewLinkForm()
    if not form.validate():
        return render_template("clients/new_link.html", form=form), 422
    service.email_new_link(form.email.data)
    return render_template("clients/link_sent.html", email=form.email.data,
                           minutes=int(service.CLIENT_HOME_TTL.total_seconds() // 60))


@bp.get("/me/link/<token>")
def link(token):
    # A GET changes nothing (mail scanners open links): a button spends the link.
    already = client_links.signed_in_email()
    if already is not None and already == service.sent_to(token):
        return redirect(url_for("clients.home"))  # this browser opened it already
    try:
        service.email_of_link(token)
    except links.LinkProblem as problem:
        return _problem(problem)
    return render_template("clients/link.html")


@bp.post("/me/link/<token>")
@limiter.limit("30 per hour")
def link_post(token):
    try:
        email = service.open_link(token)
    except links.LinkProblem as problem:
        return _problem(problem)
    client_links.remember(email)
    return redirect(url_for("clients.home"), 303)
