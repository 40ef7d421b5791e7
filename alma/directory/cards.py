"""Result cards and the search form's fields, rendered once for what they show.

A search page is twenty cards, and rendering them was most of its time (the
macros, the escaping). A card is a pure function of a few values, so those
values are gathered first, into a `Card` (a named tuple: hashable, and the only
thing the card macro is given), and the markup of each distinct `Card` is kept
for a while. A provider who changes their listing, a new day ("confirmed 3 days
ago"), another distance or another visitor's benefit check is another `Card`,
so a kept card is never out of date: what it would show is its key. The filter
form is kept the same way, by the query string as typed and its problems.
"""
from typing import NamedTuple

from flask import get_template_attribute, render_template, request
from markupsafe import Markup

from alma.directory.kept import keep

# Cards kept per process: about 1.5 KB each, so a few MB; enough for the searches people
# repeat (a state and a payer), while a rarely seen card just renders again.
KEPT = 3000
_kept = {}
# Filter forms: a few KB each, one per distinct query string.
KEPT_FILTERS = 500
_kept_filters = {}
_kept_filters_choices = [None]


class Payer(NamedTuple):
    name: str


class Benefit(NamedTuple):
    """Of a visitor's benefit check, what a card says: whether a plan was found, and whose."""
    outcome: str
    payer: Payer


class Cost(NamedTuple):
    cents: int
    certainty_label: str


class Card(NamedTuple):
    # Who
    id: int
    slug: str
    first_name: str
    last_name: str
    initials: str
    pronouns: str
    credentials: tuple
    photo_digest: str
    words: str
    specialties: tuple
    # Room
    accepting_new_clients: bool
    answers_within: str
    confirmed_days_ago: int
    confirmation_is_fresh: bool
    # Cost
    in_network: tuple
    cost: Cost
    benefit: Benefit
    priced: bool
    cash_rate_cents: int
    sliding_scale: bool
    sliding_scale_min_cents: int
    # How and where
    formats: tuple
    offers_in_person: bool
    office_city: str
    office_state: str
    distance: str          # "3.2", or None without a place to measure from
    # Where the app is mounted: the links are in the markup
    script_root: str


def card(result, cost=None, benefit=None, priced=None):
    """What one result card shows, for this visitor."""
    p = result.provider
    return Card(
        id=p.id, slug=p.slug, first_name=p.first_name, last_name=p.last_name,
        initials=p.initials, pronouns=p.pronouns, credentials=tuple(result.credentials),
        photo_digest=result.photo_digest, words=result.words,
        specialties=tuple(result.specialties),
        accepting_new_clients=p.accepting_new_clients, answers_within=p.answers_within,
        confirmed_days_ago=result.confirmed_days_ago,
        confirmation_is_fresh=result.confirmation_is_fresh,
        in_network=tuple(result.in_network),
        cost=None if cost is None else Cost(cost.cents, cost.certainty.label),
        benefit=None if benefit is None else Benefit(benefit.outcome,
                                                     Payer(benefit.payer.name)),
        priced=priced is not None,
        cash_rate_cents=p.cash_rate_cents, sliding_scale=p.sliding_scale,
        sliding_scale_min_cents=p.sliding_scale_min_cents,
        formats=tuple(p.formats), offers_in_person=p.offers_in_person,
        office_city=p.office_city, office_state=p.office_state,
        distance=None if result.distance_miles is None else f"{result.distance_miles:.1f}",
        script_root=request.script_root,
    )


def render(results, costs, benefit, priced):
    """The cards of one page of results, as markup."""
    macro = get_template_attribute("directory/_cards.html", "card")
    html = []
    for result in results:
        key = card(result, costs.get(result.provider.id), benefit, priced)
        html.append(keep(_kept, KEPT, key, lambda: str(macro(key))))
    return Markup("".join(html))


def filters(criteria, choices):
    """The search form's fields, as markup: what they show is the query string as
    typed, its problems and the options in choices (built once per vocabulary, so
    another choices object is another vocabulary: the kept forms are dropped)."""
    if _kept_filters_choices[0] is not choices:
        _kept_filters.clear()
        _kept_filters_choices[0] = choices
    key = (tuple(criteria.raw.items()), tuple(sorted(criteria.problems.items())),
           request.script_root)
    return Markup(keep(_kept_filters, KEPT_FILTERS, key, lambda: render_template(
        "directory/_filters.html", criteria=criteria, choices=choices)))


def forget():
    """Drop every kept card and form (tests that change a template or a URL rule)."""
    _kept.clear()
    _kept_filters.clear()
