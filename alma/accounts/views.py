"""Signing in (password, or a link by email) and out; choosing a password."""
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_required

from alma.accounts import links, pauses, service
from alma.accounts.forms import LinkForm, PasswordForm, SetPasswordForm, SignInForm
from alma.extensions import limiter, login_manager

bp = Blueprint("accounts", __name__)

LINK_PROBLEMS = {
    "unknown": "This link isn't one of ours, or it was copied incompletely.",
    "used": "This link has been used already: each link works once.",
    "expired": "This link has expired: sign-in links work for 10 minutes.",
}


def _email_key():
    typed = request.form.get("email") or request.form.get("link_email")
    return "email:" + service.normalise_email(typed)


def safe_next(target, user=None):
    """Only a path on this site: never send someone elsewhere after signing in."""
    try:
        parts = urlsplit(target or "")
    except ValueError:  # "//[x" is no address at all (an unclosed IPv6 host)
        return home_for(user)
    if target and not parts.scheme and not parts.netloc and target.startswith("/") \
            and not target.startswith("//"):
        return target
    return home_for(user)


def home_for(user):
    if user is not None and user.is_team and not user.provider_id:
        return url_for("team.dashboard")
    if user is not None and user.provider_id and user.provider.listing_hidden and \
            not user.provider.bio:
        return url_for("practice.listing")  # a new member starts with their listing
    return url_for("inbox.index")


@bp.get("/sign-in")
def sign_in():
    return render_template("accounts/sign_in.html", form=SignInForm(next=request.args.get("next")),
                           link_form=LinkForm(next=request.args.get("next")))


# No limit per email address here: anyone could spend an account's, and keep its owner
# out even after the emailed link reopens password sign-in. The pause (pauses.py) is the
# limit per account, with that way back.
@bp.post("/sign-in")
@limiter.limit("10 per minute")
def sign_in_post():
    form = SignInForm()
    if form.validate():
        try:
            user = service.sign_in_with_password(form.email.data, form.password.data)
        except service.SignInProblem as problem:
            form.password.errors.append(str(problem))
        else:
            return redirect(safe_next(form.next.data, user), 303)
    return render_template("accounts/sign_in.html", form=form,
                           link_form=LinkForm(link_email=form.email.data, next=form.next.data)), 422


@bp.post("/sign-in/link")
@limiter.limit("20 per hour")
@limiter.limit("5 per hour", key_func=_email_key)
def send_link():
    form = LinkForm()
    if not form.validate():
        return render_template("accounts/sign_in.html", form=SignInForm(next=form.next.data),
                               link_form=form), 422
    service.email_sign_in_link(form.link_email.data)
    return render_template("accounts/link_sent.html", email=form.link_email.data)


@bp.get("/sign-in/link/<token>")
def link_sign_in(token):
    # A GET never signs anyone in: mail scanners open links too.
    try:
        links.check(token, service.SIGN_IN)
    except links.LinkProblem as problem:
        return render_template("accounts/link_problem.html",
                               message=LINK_PROBLEMS[problem.reason]), 410
    return render_template("accounts/link_sign_in.html", token=token)


@bp.post("/sign-in/link/<token>")
@limiter.limit("30 per minute")
def link_sign_in_post(token):
    try:
        user = service.sign_in_with_link(token)
    except links.LinkProblem as problem:
        return render_template("accounts/link_problem.html",
                               message=LINK_PROBLEMS[problem.reason]), 410
    return redirect(home_for(user), 303)


REOPEN_PROBLEMS = {
    "unknown": LINK_PROBLEMS["unknown"],
    "used": LINK_PROBLEMS["used"],
    "expired": "This link has expired: it worked for 24 hours. Password sign-in reopens by "
               "itself 15 minutes after a pause begins.",
}


@bp.get("/sign-in/reopen/<token>")
def reopen_password(token):
    """The owner's link after a run of wrong passwords. A GET changes nothing."""
    try:
        links.check(token, pauses.REOPEN)
    except links.LinkProblem as problem:
        return render_template("accounts/link_problem.html",
                               message=REOPEN_PROBLEMS[problem.reason]), 410
    return render_template("accounts/reopen.html")


@bp.post("/sign-in/reopen/<token>")
@limiter.limit("30 per minute")
def reopen_password_post(token):
    try:
        pauses.reopen(token)
    except links.LinkProblem as problem:
        return render_template("accounts/link_problem.html",
                               message=REOPEN_PROBLEMS[problem.reason]), 410
    flash("Password sign-in is open again for your account. Sign in below.")
    return redirect(url_for("accounts.sign_in"), 303)


@bp.post("/sign-out")
def sign_out():
    if current_user.is_authenticated:
        service.end_sessions(current_user._get_current_object())
    flash("You're signed out, on this device and any other.")
    return redirect(url_for("accounts.sign_in"), 303)


@bp.get("/account/password")
@login_required
def password():
    return render_template("accounts/password.html", form=PasswordForm(),
                           needs_current=_needs_current())


@bp.post("/account/password")
@login_required
@limiter.limit("10 per hour")
def password_post():
    form = PasswordForm()
    user = current_user._get_current_object()
    if form.validate():
        try:
            service.set_password(user, form.new_password.data, form.current_password.data)
        except service.PasswordProblem as problem:
            form.new_password.errors.append(str(problem))
        else:
            flash("Your password is set. You can sign in with it from now on.")
            return redirect(home_for(user), 303)
    return render_template("accounts/password.html", form=form,
                           needs_current=_needs_current()), 422


WELCOME_PROBLEM = "This link has expired or been used. Ask us for a new one, or sign in."


@bp.get("/welcome/<token>")
def welcome(token):
    """A new account (a member, or someone on the team) chooses its password."""
    try:
        link = links.check(token, service.WELCOME)
    except links.LinkProblem:
        return render_template("accounts/link_problem.html", message=WELCOME_PROBLEM), 410
    return render_template("accounts/welcome.html", user=service.User.get_by_id(link.subject_id),
                           form=SetPasswordForm())


@bp.post("/welcome/<token>")
@limiter.limit("10 per hour")
def welcome_post(token):
    form = SetPasswordForm()
    try:
        link = links.check(token, service.WELCOME)
    except links.LinkProblem:
        return render_template("accounts/link_problem.html", message=WELCOME_PROBLEM), 410
    if form.validate():
        try:
            user = service.accept_welcome(token, form.password.data)
        except service.PasswordProblem as problem:
            form.password.errors.append(str(problem))
        except links.LinkProblem:
            return render_template("accounts/link_problem.html", message=WELCOME_PROBLEM), 410
        else:
            return redirect(home_for(user), 303)
    return render_template("accounts/welcome.html", user=service.User.get_by_id(link.subject_id),
                           form=form), 422


def _needs_current():
    user = current_user._get_current_object()
    return bool(user.password_hash) and not service.recently_signed_in(user)


def init_app(app):
    login_manager.init_app(app)
    login_manager.user_loader(service.load_user)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.session_protection = None  # sessions end by version and idle time instead

    @app.before_request
    def _end_idle_sessions():
        # Without a signed-in session there is nothing to end, and no user to load
        # (the check costs a twentieth of a public page otherwise).
        if "_user_id" not in session or not current_user.is_authenticated:
            return
        if service.idle_too_long(current_app.config["IDLE_TIMEOUT_MINUTES"]):
            service.end_this_session()  # only this browser: the user's other devices stay
            flash("You were signed out after a while without activity. Please sign in again.")
        else:
            session["seen"] = service.utcnow().timestamp()
