"""The public directory: search and profiles."""
from urllib.parse import urlsplit

from flask import (Blueprint, Response, abort, current_app, make_response, render_template,
                   request, url_for)

from alma.accounts import links
from alma.benefits import checks as benefit_checks
from alma.benefits.estimates import costs_for, estimate
from alma.benefits.outcomes import accuracy
from alma.directory import cards
from alma.directory import criteria as search_criteria
from alma.directory import honesty, photos, service
from alma.extensions import limiter
from alma.network import vocab
from alma.web import page_or_partial

bp = Blueprint("directory", __name__)


@bp.get("/")
def home():
    return render_template("directory/home.html",
                           choices=search_criteria.choices(vocab.current()))


@bp.get("/providers")
def search():
    words = vocab.current()
    criteria = search_criteria.parse(request.args, words)
    check = benefit_checks.for_this_browser()
    priced = estimate(check)
    if priced is not None:
        criteria.your_cost = (check.payer_id, priced.cents)
    elif criteria.sort == "cost":
        criteria.sort = "best"
        criteria.problems["sort"] = (
            "Check your insurance benefits to sort by your cost; results are by best match.")
    found = service.search(criteria, page_size=current_app.config["DIRECTORY_PAGE_SIZE"],
                           cap=current_app.config["DIRECTORY_RESULT_CAP"])
    costs = costs_for(check, [r.provider.id for r in found.results]) if priced else {}
    choices = search_criteria.choices(words)
    return _shared(page_or_partial("directory/search.html", "directory/_results.html",
                           criteria=criteria, found=found, choices=choices,
                           filters=lambda: cards.filters(criteria, choices),
                           benefit=check,
                           priced=priced, accuracy=accuracy() if costs else None,
                           cards=cards.render(found.results, costs, check, priced)))


@bp.get("/providers/<slug>")
def profile(slug):
    found = service.listed_provider_or_404(slug)
    check = benefit_checks.for_this_browser()
    costs = costs_for(check, [found.provider.id]) if check is not None else {}
    return _shared(make_response(render_template(
        "directory/profile.html", profile=found, vocab=vocab.current(),
        back=_search_we_came_from(), benefit=check,
        priced=estimate(check) if check is not None else None,
        cost=costs.get(found.provider.id), accuracy=accuracy() if costs else None)))


# A directory page is the same for every visitor without a cookie (no session, no benefit
# check): a proxy or CDN in front may answer repeats for a minute, and a browser asking
# again with the page's ETag is told it has not changed (304, no body). A browser itself
# asks every time (max-age=0): a visitor reloading sees a listing's change at once.
SHARED_SECONDS = 60


def _shared(response):
    if request.cookies or response.status_code != 200 or "Set-Cookie" in response.headers:
        return response
    response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={SHARED_SECONDS}"
    response.add_etag()
    return response.make_conditional(request)


YEAR = 365 * 24 * 3600


@bp.get("/photos/<digest>/<size>.jpg")
def photo(digest, size):
    """One size of a provider's photo. Its URL names its content, so it never changes."""
    data = photos.image(digest, size) if len(digest) == 32 and digest.isalnum() else None
    if data is None:
        abort(404)
    response = Response(bytes(data), mimetype="image/jpeg")
    response.set_etag(f"{digest}-{size}")
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response.make_conditional(request)


def _search_we_came_from():
    """The directory search that led here, so "Back" keeps the client's filters."""
    try:
        came_from = urlsplit(request.referrer or "")
    except ValueError:  # a Referer like "http://[x" is no address: start the search again
        return url_for("directory.search")
    if came_from.netloc == request.host and came_from.path == url_for("directory.search"):
        return came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return url_for("directory.search")


@bp.get("/availability/<token>")
def confirm_accepting(token):
    """The one-click answer from the "still accepting new clients?" email: a page, then a POST."""
    try:
        link = links.check(token, honesty.CONFIRM_LINK)
    except links.LinkProblem as problem:
        return render_template("directory/availability.html", problem=problem.reason), 410
    provider = service.Provider.get_by_id(link.subject_id)
    return render_template("directory/availability.html", provider=provider)


@bp.post("/availability/<token>")
@limiter.limit("30 per hour")
def confirm_accepting_post(token):
    answer = request.form.get("accepting")
    if answer not in {"yes", "no"}:
        abort(400)
    try:
        provider = honesty.confirm_accepting(token, accepting=answer == "yes")
    except links.LinkProblem as problem:
        return render_template("directory/availability.html", problem=problem.reason), 410
    return render_template("directory/availability.html", provider=provider, done=True)
