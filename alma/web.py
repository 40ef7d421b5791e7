"""Helpers every feature's views share."""
from urllib.parse import urlsplit

from flask import current_app, make_response, render_template, request
from werkzeug.routing import IntegerConverter


def wants_partial():
    """An htmx request for a fragment: not boosted, not a history restore."""
    return bool(request.htmx) and not request.htmx.boosted \
        and not request.htmx.history_restore_request


def page_or_partial(page, partial, **context):
    """One URL, two renderings: the partial for htmx, the whole page otherwise.

    The page includes the partial, so both always show the same thing.
    """
    is_partial = wants_partial()
    response = make_response(render_template(partial if is_partial else page,
                                             partial=is_partial, **context))
    # Every header wants_partial reads: a cache (the browser's, a proxy) must not
    # answer one rendering with the other.
    response.vary.update(["HX-Request", "HX-Boosted", "HX-History-Restore-Request"])
    return response


def absolute_url(endpoint, **values):
    """A full URL on BASE_URL, for emails: works in a request, a job or the CLI."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def whole_number(text):
    """A whole number typed as ASCII digits, or None ("²".isdigit() is True, int() refuses it)."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


class RowId(IntegerConverter):
    """<int:…> in a URL: a row id, so at most what the databases' integer ids hold.

    A larger number is a 404 like any unknown id, instead of an overflow in the driver.
    """

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)
