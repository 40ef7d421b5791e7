"""What a client asked the directory for, read from the query string.

Every value is checked on its own. A value we can't use gets a plain message
and is left out; the rest of the search still runs. What the person typed is
kept in `raw` so the form shows it back to them.
"""
import re
from dataclasses import dataclass, field

from alma import geo
from alma.network.models import AGE_GROUPS, FORMATS, GENDERS
from alma.web import whole_number

RADIUS_CHOICES = (5, 10, 25, 50, 100)
DEFAULT_RADIUS = 25
SORTS = {"best": "Best match", "cost": "Your cost", "distance": "Distance",
         "price": "Self-pay price"}
MAX_TEXT = 200
MAX_RATE_DOLLARS = 1000
SELF_PAY = "self-pay"
# English words too common to search for. PostgreSQL's full-text search leaves these out of
# every document and every query (its "english" configuration: the Snowball list), SQLite's
# FTS5 keeps them; leaving them out of the words searched makes both answer alike.
STOP_WORDS = frozenset("""
    a about above after again against all am an and any are as at be because been before
    being below between both but by can did do does doing don down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own s same she should so some such t than that the their theirs
    them themselves then there these they this those through to too under until up very was
    we were what when where which while who whom why will with you your yours yourself
    yourselves
""".split())
FIELDS = ("state", "payment", "max_rate", "sliding_scale", "accepting", "specialty",
          "modality", "language", "gender", "ages", "format", "zip", "radius", "q",
          "sort", "page")


@dataclass
class Criteria:
    state: object = None          # ServiceState
    payer: object = None          # Payer
    self_pay: bool = False
    max_rate_cents: int = None
    sliding_scale: bool = False
    accepting_only: bool = True
    specialty: object = None
    modality: object = None
    language: object = None
    gender: str = None
    age_group: str = None
    format: str = None
    place: geo.Place = None
    radius_miles: int = DEFAULT_RADIUS
    text: str = ""
    words: list = field(default_factory=list)
    sort: str = "best"
    page: int = 1
    raw: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    # (payer id, cents): a benefit check's payer and a session's cost in network through
    # the group; set by the view, from the visitor's check, for sort=cost.
    your_cost: tuple = None

    @property
    def state_not_served(self):
        return self.state is not None and not self.state.operating

    def is_filtered(self):
        """Whether anything narrows the search beyond the defaults."""
        return any([self.state, self.payer, self.self_pay, self.specialty, self.modality,
                    self.language, self.gender, self.age_group, self.format, self.place,
                    self.words])


def _choice(value, options, problem, criteria, name):
    if value in options:
        return options[value]
    criteria.problems[name] = problem
    return None


def parse(args, vocab):
    """Read a query string (a MultiDict) into Criteria."""
    # A plain dict: MultiDict.get raises and catches an exception per missing key.
    given = args.to_dict()
    raw = {name: given.get(name, "").strip() for name in FIELDS}
    c = Criteria(raw=raw)

    if raw["state"]:
        c.state = _choice(raw["state"].upper(), vocab.states,
                          f"We don't know the state “{raw['state']}”, so we're showing every state.",
                          c, "state")

    if raw["payment"] == SELF_PAY:
        c.self_pay = True
    elif raw["payment"]:
        c.payer = _choice(raw["payment"], vocab.payers,
                          "We don't know that insurance, so we're showing every payment option.",
                          c, "payment")

    if raw["max_rate"]:
        typed = raw["max_rate"].strip().lstrip("$")
        # A comma only as a thousands separator: "1,00" (a decimal comma) is not $100.
        if "," in typed and not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+", typed):
            typed = "not a whole number"
        amount = whole_number(typed.replace(",", ""))
        if amount is not None and 1 <= amount <= MAX_RATE_DOLLARS:
            c.max_rate_cents = amount * 100
        else:
            c.problems["max_rate"] = (
                f"Enter a price per session in whole dollars, from 1 to {MAX_RATE_DOLLARS}.")
    c.sliding_scale = raw["sliding_scale"] in {"1", "on", "yes", "true"}
    # Both are about a self-pay rate: with insurance (or no choice) they can't narrow
    # anything, so the page says so instead of ignoring them.
    if not c.self_pay and "payment" not in c.problems:
        if c.max_rate_cents is not None:
            c.problems["max_rate"] = "The price limit applies when you choose to pay yourself."
            c.max_rate_cents = None
        if c.sliding_scale:
            c.problems["sliding_scale"] = ("A sliding scale applies when you choose to pay "
                                           "yourself.")

    if raw["accepting"] in {"", "1", "yes"}:
        c.accepting_only = True
    elif raw["accepting"] == "any":
        c.accepting_only = False
    else:
        c.problems["accepting"] = "Choose who to show: accepting new clients, or everyone."

    for name, options, what in (("specialty", vocab.specialties, "concern"),
                                ("modality", vocab.modalities, "type of therapy"),
                                ("language", vocab.languages, "language")):
        if raw[name]:
            setattr(c, name, _choice(raw[name], options,
                                     f"We don't know that {what}, so we've left it out.", c, name))

    for name, options, attr, problem in (
            ("gender", GENDERS, "gender", "We don't know that gender option, so we've left it out."),
            ("ages", AGE_GROUPS, "age_group", "We don't know that age group, so we've left it out."),
            ("format", FORMATS, "format", "Choose telehealth or in person.")):
        if raw[name] in options:
            setattr(c, attr, raw[name])
        elif raw[name]:
            c.problems[name] = problem

    if raw["zip"]:
        if re.fullmatch(r"[0-9]{5}", raw["zip"]):
            c.place = geo.lookup_zip(raw["zip"])
            if c.place is None:
                c.problems["zip"] = f"We couldn't find the zip code {raw['zip']}."
        else:
            c.problems["zip"] = "Enter a 5-digit US zip code, like 10001."
    if raw["radius"]:
        if whole_number(raw["radius"]) in RADIUS_CHOICES:
            c.radius_miles = whole_number(raw["radius"])
        else:
            c.problems["radius"] = "Choose a distance: 5, 10, 25, 50 or 100 miles."

    if raw["q"]:
        text = raw["q"][:MAX_TEXT]
        c.text = text
        typed = re.findall(r"\w+", text.lower())
        c.words = [word for word in typed if word not in STOP_WORDS][:8]
        if typed and not c.words:
            c.problems["q"] = (f"“{text}” is too common to search for. Try a name, or a word "
                               "like grief, EMDR or couples.")
        elif not c.words:
            c.problems["q"] = "Type a word or a name to search for."
        if len(raw["q"]) > MAX_TEXT:
            c.problems["q"] = f"We searched for the first {MAX_TEXT} characters."

    if raw["sort"]:
        if raw["sort"] not in SORTS:
            c.problems["sort"] = "We don't know that order, so results are by best match."
        elif raw["sort"] == "distance" and c.place is None:
            c.problems["sort"] = "Add a zip code to sort by distance."
        else:
            c.sort = raw["sort"]

    if raw["page"]:
        if (whole_number(raw["page"]) or 0) >= 1:
            c.page = whole_number(raw["page"])
        else:
            c.problems["page"] = "That page number isn't valid, so here is the first page."
    return c


_choices = {}


def choices(vocab):
    """The options the search form offers, as (value, label) pairs.

    Built once per vocabulary (it is cached for a minute, see vocab.py), so
    the form's option lists keep their identity and their HTML can be cached.
    """
    cached = _choices.get(id(vocab))
    if cached is None or cached[0] is not vocab:
        _choices.clear()
        cached = _choices[id(vocab)] = (vocab, _build_choices(vocab))
    return cached[1]


def _build_choices(vocab):
    return {
        "state": [(code, s.name if s.operating else f"{s.name} (not served yet)")
                  for code, s in vocab.states.items()],
        "payment": [(slug, p.name) for slug, p in vocab.payers.items()]
        + [(SELF_PAY, "I'll pay myself")],
        "specialty": [(slug, row.name) for slug, row in vocab.specialties.items()],
        "modality": [(slug, row.name) for slug, row in vocab.modalities.items()],
        "language": [(slug, row.name) for slug, row in vocab.languages.items()],
        "format": list(FORMATS.items()),
        "gender": list(GENDERS.items()),
        "ages": [(key, label) for key, (_column, label) in AGE_GROUPS.items()],
        "radius": [(str(miles), f"{miles} miles") for miles in RADIUS_CHOICES],
        "sort": list(SORTS.items()),
        "accepting": [("", "Accepting now"), ("any", "Everyone, including full")],
    }
