"""Template filters and globals shared by every page."""
import datetime
from urllib.parse import quote, urlencode

from flask import g, has_request_context, request, url_for
from markupsafe import Markup, escape

from alma.web import absolute_url

_options_html = {}
def money(cents):
    """Integer cents as dollars: 15000 -> "$150", 12550 -> "$125.50", -1550 -> "−$15.50"."""
    if cents is None:
        return ""
    sign = "\u2212" if cents < 0 else ""
    dollars, rest = divmod(abs(int(cents)), 100)
    return f"{sign}${dollars:,}" if rest == 0 else f"{sign}${dollars:,}.{rest:02d}"


def days_ago(days):
    if days is None:
        return "never confirmed"
    if days == 0:
        return "confirmed today"
    if days == 1:
        return "confirmed yesterday"
    return f"confirmed {days} days ago"


def url_with(**changes):
    """The current URL with some query values changed (None removes one)."""
    args = {k: v for k, v in request.args.to_dict().items() if v != ""}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    query = urlencode(args)
    return request.path + ("?" + query if query else "")


# What /match reads from its query string to fill in its form: the directory's own names.
MATCH_PREFILL = ("state", "payment", "specialty", "modality", "language", "gender", "format",
                 "zip")


def match_url(_args=None, _external=False, **values):
    """/match, its form filled in with what the client told us already.

    `_args` (a page's query string, e.g. the directory search) gives values, and `values`
    override them. Only the form's own choices travel: never a name, an email address or
    what someone wrote about their health (a URL ends up in logs and browser histories).
    """
    picked = {key: (_args or {}).get(key) for key in MATCH_PREFILL}
    picked.update({key: value for key, value in values.items() if key in MATCH_PREFILL})
    picked = {key: str(value) for key, value in picked.items() if value}
    if picked.get("format") == "either":
        picked.pop("format")
    if _external:
        return absolute_url("matching.ask", **picked)
    return url_for("matching.ask", **picked)


def match_values(request_or_match):
    """What a consultation or match request tells /match: state, payment, format."""
    r = request_or_match
    payment = "self-pay" if r.self_pay else (r.payer.slug if r.payer_id else None)
    return {"state": r.state, "payment": payment, "format": r.preferred_format}


def options(pairs, selected):
    """<option> elements for (value, label) pairs, one of them selected.

    A search page has about 150 options; escaping them anew for every
    request was a tenth of its time, so the markup of a list is kept (for as
    long as the list itself lives) and only the selection is marked.
    """
    cached = _options_html.get(id(pairs))
    if cached is None or cached[0] is not pairs:
        if len(_options_html) > 64:
            _options_html.clear()
        html = "".join(f'<option value="{escape(value)}">{escape(label)}</option>'
                       for value, label in pairs)
        cached = _options_html[id(pairs)] = (pairs, html)
    html = cached[1]
    if selected:
        marker = f'<option value="{escape(selected)}">'
        html = html.replace(marker, marker[:-1] + " selected>", 1)
    return Markup(html)


def described_by(problems, name, hint=False):
    """aria-describedby (and aria-invalid) for a form field with a hint and/or a problem."""
    ids = ([f"{name}-hint"] if hint else []) + ([f"{name}-error"] if problems.get(name) else [])
    html = f' aria-describedby="{" ".join(ids)}"' if ids else ""
    if problems.get(name):
        html += ' aria-invalid="true"'
    return Markup(html)


_SLUG = "__slug__"


def slug_url(endpoint, slug, _name="slug", **values):
    """url_for(endpoint, slug=slug, **values) (or with the slug as `_name`), its shape built
    once a request for each endpoint and other values: a page of cards needs three links a
    card, and url_for was a fifth of the directory's time."""
    shapes = g.setdefault("slug_urls", {})
    key = (endpoint, _name, tuple(sorted(values.items())))
    if key not in shapes:
        shapes[key] = url_for(endpoint, **{_name: _SLUG}, **values)
    return shapes[key].replace(_SLUG, quote(str(slug), safe=""))


def plural(count, singular, plural_form=None):
    return singular if count == 1 else (plural_form or singular + "s")


class KeptLinks:
    """url_for for one app's templates, each path kept once built (in production, where
    static files' hashed names are fixed at start): a page builds a dozen of the same (the
    menus, the stylesheet), and building one cost about 15 µs. Only a path relative to the
    request's script root is kept: not a relative endpoint, nor _external, _anchor…"""

    LIMIT = 5000

    def __init__(self):
        self.kept = {}

    def __call__(self, endpoint, **values):
        if endpoint.startswith(".") or not has_request_context() or \
                any(name.startswith("_") for name in values):
            return url_for(endpoint, **values)
        try:
            key = (endpoint, request.script_root, tuple(sorted(values.items())))
            found = self.kept.get(key)
        except TypeError:  # a value that can't be a key (a list): built each time
            return url_for(endpoint, **values)
        if found is None:
            if len(self.kept) >= self.LIMIT:
                self.kept.clear()
            found = self.kept[key] = url_for(endpoint, **values)
        return found


def init_app(app):
    app.jinja_env.filters.update(money=money, days_ago=days_ago)
    if not app.jinja_env.auto_reload:
        app.jinja_env.globals["url_for"] = KeptLinks()  # one per app: its own static names
    app.jinja_env.globals.update(url_with=url_with, plural=plural, options=options,
                                  described_by=described_by, absolute_url=absolute_url,
                                  match_url=match_url, match_values=match_values,
                                  slug_url=slug_url,
                                  timedelta=datetime.timedelta)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
