"""/practice: the provider's own pages, starting with their listing."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from alma.consultations.inbox import provider_required
from alma.directory import vocab
from alma.practice import service
from alma.practice.forms import ListingForm
from alma.team.access import me

bp = Blueprint("practice", __name__, url_prefix="/practice")


def _provider():
    return me().provider


def _page(form, provider, preview=None, status=200):
    return render_template("practice/listing.html", form=form, provider=provider,
                           preview=preview, missing=service.missing_for_directory(provider),
                           vocab=vocab.current()), status


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
