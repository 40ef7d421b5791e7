"""A client's own benefit check: /benefits, its answer, what to ask an insurer we can't
check, and forgetting it."""
import math
import time

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from wtforms.fields.choices import SelectChoice

from alma.benefits import checks, sandbox
from alma.benefits.estimates import estimate
from alma.benefits.forms import AnswersForm, BenefitsForm
from alma.benefits.outcomes import accuracy
from alma.clock import today
from alma.errors import render_error
from alma.extensions import limiter
from alma.inputs import cents
from alma.network import vocab
from alma.network.models import Payer

bp = Blueprint("benefits", __name__)


def _payers():
    """Every payer, by name."""
    return list(vocab.current().payers.values())


def _benefits_form(formdata=None):
    form = BenefitsForm(formdata=formdata) if formdata is not None else BenefitsForm()
    payers = sorted(_payers(), key=lambda p: (not p.checkable_via_optum, p.name))
    form.payer.choices = [SelectChoice("", "Choose…")] + [
        SelectChoice(p.slug, p.name) for p in payers]
    return form


def _benefits_page(form, problem=None, status=200, headers=None):
    checkable = [p for p in _payers() if checks.checkable(p)]
    chosen = vocab.current().payers.get(form.payer.data or "")
    sandboxed = current_app.config["ELIGIBILITY_GATEWAY"] == "sandbox"
    return render_template("benefits/benefits.html", form=form, problem=problem,
                           checkable=checkable, current=checks.for_this_browser(),
                           # an insurer we can't check, chosen already: no card details asked
                           cannot_check=chosen if chosen and not checks.checkable(chosen)
                           else None,
                           test_members=sandbox.TEST_MEMBERS if sandboxed else None,
                           provider_slug=request.values.get("provider", "")), status, \
        headers or {}


def _asked_insurer(response):
    """Only a check that reached the insurer counts against the hourly limit (each may cost
    the group a clearinghouse fee); a form sent back for a mistake never does."""
    return g.get("asked_insurer", False)


def _answers_noted(response):
    return response.status_code == 303


@bp.get("/benefits")
def check():
    form = _benefits_form()
    payer = request.args.get("payer", "")
    if payer:
        form.payer.data = payer
    return _benefits_page(form)


@bp.post("/benefits")
@limiter.limit("10 per hour", deduct_when=_asked_insurer)
def check_post():
    form = _benefits_form(request.form)
    payer = Payer.get_or_none(Payer.slug == form.payer.data) if form.payer.data else None
    if payer is not None and not checks.checkable(payer):
        # Nothing on the card helps with an insurer we can't ask: what to ask them instead.
        return redirect(url_for("benefits.ask", payer=payer.slug), 303)
    if payer is None:
        # Only the insurer is asked for until it is one we can check.
        form.payer.validate(form)
        if not form.payer.errors:
            form.payer.errors.append("Choose your insurance from the list.")
        return _benefits_page(form, status=422)
    if not form.validate():
        return _benefits_page(form, status=422)
    if form.date_of_birth.data >= today():
        form.date_of_birth.errors.append("Your date of birth must be in the past.")
        return _benefits_page(form, status=422)
    g.asked_insurer = True
    try:
        found = checks.check_for_visitor(payer, form.member_id.data, form.first_name.data,
                                         form.last_name.data, form.date_of_birth.data)
    except checks.CheckUnavailable as problem:
        if problem.field in ("member_id", "payer"):
            form[problem.field].errors.append(str(problem))
            return _benefits_page(form, status=422)
        return _benefits_page(form, problem=str(problem), status=503)
    session[checks.BROWSER_KEY] = found.browser_key
    return redirect(url_for("benefits.result", provider=request.form.get("provider") or None),
                    303)


@bp.get("/benefits/result")
def result():
    found = checks.for_this_browser()
    if found is None:
        return redirect(url_for("benefits.check"), 303)
    provider_slug = request.args.get("provider", "")
    found_estimate = estimate(found)
    return render_template("benefits/result.html", check=found, estimate=found_estimate,
                           provider_slug=provider_slug,
                           accuracy=accuracy() if found_estimate else None)


@bp.route("/benefits/ask", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], deduct_when=_answers_noted)
def ask():
    payer = Payer.get_or_none(Payer.slug == request.values.get("payer", ""))
    form = AnswersForm()
    if request.method == "POST" and payer is None:
        abort(404)
    if request.method == "POST":
        if form.validate():
            try:
                noted = checks.note_answers(
                    payer, cents(form.copay.data), cents(form.coinsurance.data),
                    cents(form.deductible_left.data), cents(form.oop_left.data),
                    form.in_network.data)
            except checks.CheckUnavailable as problem:
                form.copay.errors.append(str(problem))
            else:
                session[checks.BROWSER_KEY] = noted.browser_key
                return redirect(url_for("benefits.result"), 303)
        return render_template("benefits/ask.html", payer=payer, form=form), 422
    return render_template("benefits/ask.html", payer=payer, form=form)


@bp.errorhandler(429)
def too_many_tries(error):
    """Too many checks from here this hour: the form again, with what was typed."""
    limit = limiter.current_limit
    minutes = max(1, math.ceil((limit.reset_at - time.time()) / 60)) if limit else 60
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    headers = {"Retry-After": str(minutes * 60)}
    if request.endpoint == "benefits.check_post":
        return _benefits_page(_benefits_form(request.form), status=429, headers=headers,
                              problem=f"That's as many benefit checks as we can make from here "
                                      f"in an hour. Please try again in {wait}: what you typed "
                                      "is kept below.")
    if request.endpoint == "benefits.ask" and request.method == "POST":
        payer = Payer.get_or_none(Payer.slug == request.values.get("payer", ""))
        if payer is not None:
            return render_template(
                "benefits/ask.html", payer=payer, form=AnswersForm(),
                problem=f"That's as many answers as we can note from here in an hour. Please "
                        f"try again in {wait}: what you typed is kept below."), 429, headers
    return render_error(429)


@bp.post("/benefits/forget")
def forget():
    found = checks.for_this_browser()
    session.pop(checks.BROWSER_KEY, None)
    if found is not None:  # a visitor's own check: nothing else refers to it
        found.delete_instance()
    flash("Your benefit check is forgotten: it's deleted, here and on our side.")
    return redirect(url_for("benefits.check"), 303)


@bp.app_template_filter("percent")
def percent(basis_points):
    return f"{basis_points / 100:g}%"
