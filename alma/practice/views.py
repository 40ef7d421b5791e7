"""/practice: the provider's own pages, starting with their listing."""
import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from alma import audit
from alma.accounts.access import me, provider_required
from alma.billing.models import Invoice
from alma.billing.service import amounts_for
from alma.consultations.models import ACCEPTED, ConsultationRequest
from alma.directory import photos
from alma.errors import render_error
from alma.membership import fees, leaving
from alma.membership.models import Membership, OutsideClient
from alma.network import vocab
from alma.network.models import Client
from alma.practice import service
from alma.practice.forms import ListingForm, OutsideClientForm
from alma.web import whole_number

bp = Blueprint("practice", __name__, url_prefix="/practice")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A photo's upload may be larger than a form (alma/http.py): the photo's limit, and room
# for the multipart framing. Anything larger is refused (413) before it is read.
PHOTO_BODY_BYTES = photos.MAX_BYTES + 64 * 1024


@bp.record_once
def _photo_upload_limit(state):
    state.app.config["UPLOAD_LIMITS"]["/practice/photo"] = PHOTO_BODY_BYTES


def _provider():
    return me().provider


def _page(form, provider, preview=None, status=200, photo_problem=None):
    return render_template("practice/listing.html", form=form, provider=provider,
                           preview=preview, missing=service.missing_for_directory(provider),
                           vocab=vocab.current(), photo=photos.current_digest(provider),
                           photo_problem=photo_problem), status


@bp.get("")
@provider_required
def listing():
    provider = _provider()
    form = ListingForm(vocab.current(), data=service.current_choices(provider))
    return _page(form, provider)


@bp.post("")
@provider_required
def listing_post():
    provider = _provider()
    words = vocab.current()
    form = ListingForm(words)
    if not form.validate():
        return _page(form, provider, status=422)
    try:
        if request.form.get("action") == "preview":
            # Nothing is saved: the provider sees their changes as clients would.
            draft = service.apply_changes(type(provider).get_by_id(provider.id), form.data, words)
            return _page(form, provider, preview=draft)
        service.save_listing(provider, form.data, words)
    except service.ListingProblem as problem:
        form[problem.field].errors.append(str(problem))
        return _page(form, provider, status=422)
    flash("Saved." + ("" if provider.listing_hidden else " Your listing shows the changes now."))
    return redirect(url_for("practice.listing"), 303)


@bp.post("/photo")
@provider_required
def photo_upload():
    """A new photo, checked and re-encoded (alma/directory/photos.py); a bad file changes
    nothing and says why, beside the form."""
    provider = _provider()
    upload = request.files.get("photo")
    data = upload.read(photos.MAX_BYTES + 1) if upload else b""
    try:
        photos.replace(provider, data)
    except photos.PhotoProblem as problem:
        form = ListingForm(vocab.current(), data=service.current_choices(provider))
        return _page(form, provider, status=422, photo_problem=str(problem))
    flash("Your new photo is on your listing." if not provider.listing_hidden else
          "Your new photo is saved; it shows when your listing does.")
    return redirect(url_for("practice.listing", _anchor="photo-h"), 303)


@bp.errorhandler(413)
def _photo_too_large(error):
    """A phone's photo is often over the limit: say so beside the form, not on a page that
    leads only to the directory (the body was refused unread, alma/http.py)."""
    if (request.endpoint != "practice.photo_upload" or not current_user.is_authenticated
            or current_user.provider_id is None):
        return render_error(413)
    provider = _provider()
    form = ListingForm(vocab.current(), data=service.current_choices(provider))
    return _page(form, provider, status=413, photo_problem=(
        f"That file is more than {photos.MAX_BYTES // 1024 // 1024} MB; a photo may be at "
        f"most {photos.MAX_BYTES // 1024 // 1024} MB. Choose a smaller one, or save it "
        f"smaller first."))


@bp.post("/photo/remove")
@provider_required
def photo_remove():
    removed = photos.remove(_provider())
    flash("Your photo is removed; your listing shows your initials." if removed else
          "There was no photo to remove.")
    return redirect(url_for("practice.listing", _anchor="photo-h"), 303)


@bp.post("/visibility")
@provider_required
def visibility():
    provider = _provider()
    show = request.form.get("show") == "1"
    try:
        service.set_visible(provider, show)
    except service.ListingProblem as problem:
        flash(str(problem))
    else:
        flash("Your listing is in the directory." if show else
              "Your listing is hidden. Nothing is deleted; show it again any time.")
    return redirect(url_for("practice.listing"), 303)


# --- Billing: the membership fee, pauses, cancelling --------------------------------------------

def _membership():
    membership = Membership.get_or_none(Membership.provider == _provider().id)
    if membership is None:
        abort(404)
    return membership


def _billing_page(plan=None, kind=None, months=None, problem=None, status=200):
    membership = _membership()
    invoices = list(Invoice.select().where(Invoice.owed_by_provider == _provider().id)
                    .order_by(Invoice.issued_on.desc()))
    today = fees.today()
    return render_template(
        "practice/billing.html", membership=membership, invoices=invoices,
        amounts=amounts_for(invoices), today=today,
        next_period=fees.period_for(membership, today)[1],
        change_month=fees.effective_month(today), plan=plan, plan_kind=kind, months=months,
        problem=problem), status


@bp.get("/billing")
@provider_required
def billing():
    if Membership.get_or_none(Membership.provider == _provider().id) is None:
        # Listed without a membership (the menu doesn't offer this page): say why.
        return render_template("practice/billing_none.html")
    return _billing_page()


# The practice menu, in order: (endpoint, label, for members only?).
MENU = (("practice.listing", "Listing", False), ("inbox.index", "Inbox", False),
        ("practice.clients", "Clients", False), ("program.page", "Insurance", False),
        ("claims.sessions_page", "Sessions", False), ("practice.invoices", "Invoices", False),
        ("payouts.page", "Payouts", False),
        ("selfpay.index", "Self-pay", False), ("practice.billing", "Billing", True))


def practice_menu():
    """The practice pages this provider can use: Billing (the membership fee) only for a
    member. Every practice page shows it (templates/practice/_nav.html)."""
    provider_id = getattr(current_user, "provider_id", None)
    member = provider_id is not None and Membership.select().where(
        Membership.provider == provider_id).exists()
    return [(endpoint, label) for endpoint, label, members_only in MENU
            if member or not members_only]


@bp.app_context_processor
def _menu():
    return {"practice_menu": practice_menu}


@bp.post("/billing/pause")
@provider_required
def pause():
    months = whole_number(request.form.get("months")) or 0
    membership = _membership()
    try:
        if request.form.get("confirm") == "1":
            plan = fees.pause(membership, months)
            flash(f"Paused from {plan.effective_on:%B %-d} to {plan.until:%B %-d, %Y}.")
            return redirect(url_for("practice.billing"), 303)
        plan = fees.plan_pause(membership, months)
    except fees.MembershipProblem as problem:
        return _billing_page(problem=str(problem), status=422)
    return _billing_page(plan=plan, kind="pause", months=months)


@bp.post("/billing/cancel")
@provider_required
def cancel():
    membership = _membership()
    try:
        if request.form.get("confirm") == "1":
            plan = fees.cancel(membership)
            flash(f"Your membership ends on {plan.effective_on:%B %-d, %Y}.")
            return redirect(url_for("practice.billing"), 303)
        plan = fees.plan_cancel(membership)
    except fees.MembershipProblem as problem:
        return _billing_page(problem=str(problem), status=409)
    return _billing_page(plan=plan, kind="cancel")


# --- Leaving now ------------------------------------------------------------------------------------

@bp.get("/leave")
@provider_required
def leave():
    provider = _provider()
    return render_template("practice/leave.html", provider=provider,
                           outcomes=leaving.payer_outcomes(provider),
                           open_invoices=leaving.open_invoices(provider))


@bp.post("/leave")
@provider_required
def leave_post():
    provider = _provider()
    if request.form.get("confirm") != provider.email:
        flash("To leave, type your email address exactly as shown.")
        return redirect(url_for("practice.leave"), 303)
    if provider.membership_status == "left":
        return redirect(url_for("practice.clients"), 303)
    leaving.leave(provider)
    flash("You've left the Alma network. Your clients and their records stay with you.")
    return redirect(url_for("practice.clients"), 303)


# --- Clients from anywhere ----------------------------------------------------------------------------

def _clients(provider):
    rows = []
    for request_ in (ConsultationRequest.select(ConsultationRequest, Client).join(Client)
                     .where((ConsultationRequest.provider == provider.id)
                            & (ConsultationRequest.status == ACCEPTED))
                     .order_by(ConsultationRequest.answered_at.desc())):
        # What the client typed with their request (not what anyone else typed before).
        rows.append({"name": request_.name, "email": request_.client.email,
                     "phone": request_.phone or "",
                     "source": "Matching team" if request_.source == "matching" else "Directory",
                     "since": request_.answered_at.date(), "client_id": request_.client_id})
    for outside in OutsideClient.select().where(OutsideClient.provider == provider.id).order_by(
            OutsideClient.created_at.desc()):
        rows.append({"name": outside.name, "email": outside.email or "",
                     "phone": outside.phone or "", "source": "Outside Alma",
                     "since": outside.created_at.date(), "client_id": None})
    return rows


@bp.get("/clients")
@login_required
def clients():
    return _clients_page(_provider_even_if_left(), OutsideClientForm())


def _clients_page(provider, form, status=200):
    rows = _clients(provider)
    audit.record_many("viewed", "client_list", [(None, r["client_id"]) for r in rows
                                                if r["client_id"]], me())
    return render_template("practice/clients.html", rows=rows, form=form,
                           provider=provider), status


@bp.post("/clients")
@login_required
def add_client():
    provider = _provider_even_if_left()
    form = OutsideClientForm()
    if not form.validate():
        return _clients_page(provider, form, 422)
    OutsideClient.create(provider=provider, name=form.name.data.strip(),
                         email=(form.email.data or "").strip().lower() or None,
                         phone=(form.phone.data or "").strip() or None,
                         notes=(form.notes.data or "").strip())
    flash(f"{form.name.data.strip()} is in your client list.")
    return redirect(url_for("practice.clients"), 303)


def _csv(filename, header, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        # A leading =, +, -, @, tab or carriage return would be read as a formula by
        # spreadsheets (OWASP's CSV injection advice); an empty cell stays empty.
        writer.writerow(["'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v
                         for v in row])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/clients.csv")
@login_required
def clients_csv():
    provider = _provider_even_if_left()
    rows = _clients(provider)
    audit.record_many("exported", "client_list", [(None, r["client_id"]) for r in rows
                                                  if r["client_id"]], me())
    return _csv("clients.csv", ["name", "email", "phone", "source", "since"],
                [[r["name"], r["email"], r["phone"], r["source"], r["since"].isoformat()]
                 for r in rows])


@bp.get("/invoices.csv")
@login_required
def invoices_csv():
    provider = _provider_even_if_left()
    invoices = Invoice.select().where((Invoice.owed_by_provider == provider.id)
                                      | (Invoice.collecting_provider == provider.id))
    rows = []
    invoices = list(invoices.order_by(Invoice.issued_on))
    sums = amounts_for(invoices)
    for invoice in invoices:
        a = sums[invoice.id]
        rows.append([invoice.number, invoice.kind_label, invoice.issued_on.isoformat(),
                     invoice.due_on.isoformat(), invoice.status, f"{a.total / 100:.2f}",
                     f"{a.credited / 100:.2f}", f"{a.net_paid / 100:.2f}", f"{a.due / 100:.2f}"])
    return _csv("invoices.csv", ["number", "what for", "issued", "due", "status", "total",
                                 "credited", "paid", "due now"], rows)


def _provider_even_if_left():
    """Clients stay with a provider who left: their list and exports remain theirs."""
    if current_user.provider_id is None:
        abort(403)
    return current_user.provider
