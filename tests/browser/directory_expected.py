"""What the directory's browser tests expect, found through the directory's own search service
from the same committed demo directory the server reads, so no count is hard-coded."""
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import expect
from werkzeug.datastructures import MultiDict

from alma.directory import criteria as search_criteria
from alma.directory import service
from alma.network import vocab
from tests.browser.support import in_app

RESULT_LINKS = ".results .card h3 a"


# --- What the directory holds ----------------------------------------------------------

@dataclass
class Expected:
    """What a search for `args` should show on its page of results."""
    args: dict
    total: int
    names: list
    slugs: list
    count: re.Pattern   # the text of #result-count


def _count_pattern(criteria, found):
    if criteria.state_not_served:
        name = re.escape(criteria.state.name)
        return re.compile(rf"^No therapists: Alma doesn't operate in {name} yet\.$")
    if found.total == 0:
        return re.compile(r"^No therapists match this search\.$")
    showing = ""
    if found.pages > 1:
        showing = rf" Showing {found.first_index}–{found.last_index}\."
    return re.compile(rf"^{found.total:,} therapists? match(es)?\.{showing}$")


def expected(app, **args):
    def work():
        criteria = search_criteria.parse(MultiDict(args), vocab.current())
        assert not criteria.problems, criteria.problems
        found = service.search(criteria, page_size=app.config["DIRECTORY_PAGE_SIZE"],
                               cap=app.config["DIRECTORY_RESULT_CAP"])
        return Expected(args, found.total, [r.provider.full_name for r in found.results],
                        [r.provider.slug for r in found.results],
                        _count_pattern(criteria, found))
    return in_app(app, work)


@dataclass
class Facts:
    everyone: Expected       # /providers, no filters
    everyone_page_2: Expected
    state: str               # the state with the most therapists
    in_state: Expected
    payer: str               # the payer with most therapists in that state, not all of them
    with_payer: Expected
    busiest_payer: str       # the payer with most therapists anywhere: several pages of them
    busiest_payer_page_2: Expected
    word: str                # a last name that narrows the unfiltered search
    with_word: Expected
    nothing: Expected        # a search that finds no one


def gather_facts(app):
    """What the demo directory holds, found through the search service itself."""
    states = in_app(app, lambda: list(vocab.current().operating_states()))
    by_state = sorted((expected(app, state=code) for code in states),
                      key=lambda e: (-e.total, e.args["state"]))
    in_state = by_state[0]
    state = in_state.args["state"]
    payers = in_app(app, lambda: list(vocab.current().payers))
    with_payers = sorted((e for e in (expected(app, state=state, payment=slug) for slug in payers)
                          if 0 < e.total < in_state.total),
                         key=lambda e: (-e.total, e.args["payment"]))
    assert with_payers, f"no payer narrows the search in {state}"
    busiest_payer = sorted((expected(app, payment=slug) for slug in payers),
                           key=lambda e: (-e.total, e.args["payment"]))[0].args["payment"]
    everyone = expected(app)
    word, with_word = None, None
    for full_name in everyone.names:
        candidate = full_name.split()[-1]
        if candidate.isalpha():
            found = expected(app, q=candidate)
            if 0 < found.total < everyone.total:
                word, with_word = candidate, found
                break
    facts = Facts(
        everyone=everyone,
        everyone_page_2=expected(app, page="2"),
        state=state,
        in_state=in_state,
        payer=with_payers[0].args["payment"],
        with_payer=with_payers[0],
        busiest_payer=busiest_payer,
        busiest_payer_page_2=expected(app, payment=busiest_payer, page="2"),
        word=word,
        with_word=with_word,
        nothing=expected(app, q="zzyzxqk"),
    )
    # The demo directory is big enough for every test below.
    assert facts.everyone.total > app.config["DIRECTORY_PAGE_SIZE"], "paging needs a second page"
    assert facts.busiest_payer_page_2.names, "paging needs a second page"
    assert facts.with_word is not None
    assert facts.nothing.total == 0
    return facts


# --- Helpers ----------------------------------------------------------------------------

def result_names(page):
    return page.locator(RESULT_LINKS).all_inner_texts()


def query_of(page):
    return parse_qsl(urlsplit(page.url).query, keep_blank_values=True)


def mark_page(page):
    """Set a marker that only survives if the page is never reloaded."""
    page.evaluate("window.__stillTheSamePage = true")


def assert_not_reloaded(page):
    assert page.evaluate("window.__stillTheSamePage === true"), "the page was reloaded"


def expect_results(page, wanted):
    expect(page.locator("#result-count")).to_have_text(wanted.count)
    expect(page.locator(RESULT_LINKS)).to_have_text(wanted.names)


def describe_focus(page):
    """Where the keyboard focus is, in words a failure message can show."""
    return page.evaluate("""() => {
        const e = document.activeElement;
        if (!e || e === document.body) return "body";
        if (e.id) return "#" + e.id;
        if (e.tagName === "A") return "a " + e.getAttribute("href");
        return e.tagName.toLowerCase() + " " + e.textContent.trim();
    }""")
