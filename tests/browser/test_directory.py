"""The directory in a real browser: searching in place, history, no-JS, accessibility, phones.

Expected results come from the same committed demo directory the server
reads, through the directory's own search service, so no count is hard-coded.
"""
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from werkzeug.datastructures import MultiDict

from alma.directory import criteria as search_criteria
from alma.directory import service, vocab
from tests.browser.support import SCREENS, in_app

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


@pytest.fixture(scope="module")
def facts(app, live_server):
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


# --- Searching with JavaScript ----------------------------------------------------------

def test_it_updates_results_in_place_when_a_filter_changes(page, facts):
    page.goto("/providers")
    expect_results(page, facts.everyone)
    mark_page(page)

    page.select_option("#state", facts.state)
    expect(page).to_have_url(re.compile(rf"[?&]state={facts.state}(&|$)"))
    expect_results(page, facts.in_state)

    page.select_option("#payment", facts.payer)
    expect(page).to_have_url(re.compile(rf"[?&]payment={facts.payer}(&|$)"))
    expect_results(page, facts.with_payer)

    assert_not_reloaded(page)
    query = query_of(page)
    assert ("state", facts.state) in query
    assert all(value for _, value in query), f"empty parameters in {page.url}"
    assert "q" not in dict(query)
    expect(page).to_have_title(re.compile(r"^Find a therapist"))


def test_it_names_the_chosen_state_in_the_title_after_updating_in_place(page, no_js_page,
                                                                        facts):
    # The page loaded with ?state= says where in its title (see search.html);
    # the same search made in place should leave the same title (it is also
    # what the history entry and a screen reader's window list show).
    no_js_page.goto(f"/providers?state={facts.state}")
    title = no_js_page.title()
    assert title != "Find a therapist · Alma"

    page.goto("/providers")
    page.select_option("#state", facts.state)
    expect_results(page, facts.in_state)
    assert page.title() == title


def test_it_searches_as_you_type_after_a_short_pause(page, facts):
    page.goto("/providers")
    mark_page(page)
    searches = []
    page.on("request", lambda request: searches.append(request.url)
            if request.headers.get("hx-request") == "true" else None)

    page.locator("#q").press_sequentially(facts.word, delay=40)

    expect(page).to_have_url(re.compile(rf"[?&]q={facts.word}(&|$)"))
    expect_results(page, facts.with_word)
    assert_not_reloaded(page)
    # One search once the typing stops, not one per key.
    assert len(searches) == 1, searches


def test_it_restores_earlier_results_and_form_values_on_back_and_forward(page, facts):
    state, payment = page.locator("#state"), page.locator("#payment")
    page.goto("/providers")
    expect_results(page, facts.everyone)
    page.select_option("#state", facts.state)
    expect_results(page, facts.in_state)
    page.select_option("#payment", facts.payer)
    expect_results(page, facts.with_payer)
    mark_page(page)

    page.go_back()
    expect(page).not_to_have_url(re.compile("payment="))
    expect(page).to_have_url(re.compile(rf"[?&]state={facts.state}(&|$)"))
    expect_results(page, facts.in_state)
    expect(state).to_have_value(facts.state)
    expect(payment).to_have_value("")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/providers$"))
    expect_results(page, facts.everyone)
    expect(state).to_have_value("")
    expect(payment).to_have_value("")

    page.go_forward()
    expect(page).to_have_url(re.compile(rf"[?&]state={facts.state}(&|$)"))
    expect_results(page, facts.in_state)
    expect(state).to_have_value(facts.state)
    expect(payment).to_have_value("")

    page.go_forward()
    expect(page).to_have_url(re.compile(rf"[?&]payment={facts.payer}(&|$)"))
    expect_results(page, facts.with_payer)
    expect(state).to_have_value(facts.state)
    expect(payment).to_have_value(facts.payer)
    assert_not_reloaded(page)

    # The restored form still searches in place.
    page.select_option("#payment", "")
    expect_results(page, facts.in_state)
    assert_not_reloaded(page)


def test_it_pages_through_results_in_place(page, facts):
    page.goto("/providers")
    page.select_option("#payment", facts.busiest_payer)
    expect(page).to_have_url(re.compile(rf"[?&]payment={facts.busiest_payer}(&|$)"))
    mark_page(page)

    page.get_by_role("link", name="Next →").click()

    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(page).to_have_url(re.compile(rf"[?&]payment={facts.busiest_payer}(&|$)"))
    expect_results(page, facts.busiest_payer_page_2)
    expect(page.get_by_role("link", name="← Previous")).to_be_visible()
    assert_not_reloaded(page)


def test_it_shows_the_new_page_from_its_top_after_paging_in_place(page, facts):
    # A keyboard user on "Next →": that link is replaced by the new results, so
    # focus must go somewhere useful (not back to the start of the document) and
    # the new page must be shown from its first result, as a page load would.
    page.goto("/providers")
    expect_results(page, facts.everyone)
    page.get_by_role("link", name="Next →").focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect_results(page, facts.everyone_page_2)
    first_new_result = page.locator(RESULT_LINKS).first
    faults = []
    if _describe_focus(page) == "body":
        faults.append("focus was lost to the start of the document")
    if not first_new_result.evaluate("""link => {
            const box = link.getBoundingClientRect();
            return box.bottom > 0 && box.top < window.innerHeight;
        }"""):
        faults.append(f"the first new result is out of sight "
                      f"(scrolled to {page.evaluate('window.scrollY')}px)")
    assert not faults, faults


# --- Searching without JavaScript ---------------------------------------------------------

def test_it_submits_the_same_search_as_a_plain_form_without_javascript(page, no_js_page, facts):
    page.goto("/providers")
    page.select_option("#state", facts.state)
    expect_results(page, facts.in_state)
    page.select_option("#payment", facts.payer)
    expect_results(page, facts.with_payer)
    with_js = (page.locator("#result-count").inner_text(), result_names(page))

    no_js_page.goto("/providers")
    no_js_page.select_option("#state", facts.state)
    no_js_page.select_option("#payment", facts.payer)
    no_js_page.get_by_role("button", name="Show therapists").click()

    expect(no_js_page).to_have_url(re.compile(rf"[?&]payment={facts.payer}(&|$)"))
    expect(no_js_page).to_have_url(re.compile(rf"[?&]state={facts.state}(&|$)"))
    expect_results(no_js_page, facts.with_payer)
    assert (no_js_page.locator("#result-count").inner_text(), result_names(no_js_page)) == with_js


def test_it_pages_without_javascript_too(no_js_page, facts):
    no_js_page.goto("/providers")
    no_js_page.get_by_role("link", name="Next →").click()
    expect(no_js_page).to_have_url(re.compile(r"/providers\?page=2$"))
    expect_results(no_js_page, facts.everyone_page_2)


# --- Problems with a search -------------------------------------------------------------

def test_it_explains_a_bad_value_and_still_searches_with_the_rest(page, app):
    wanted = expected(app, state="CA")
    page.goto("/providers?zip=abc&state=CA")

    problems = page.locator(".problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("Part of your search couldn't be used")
    expect(problems.get_by_role("link")).to_have_text(["Enter a 5-digit US zip code, like 10001."])
    expect(problems.get_by_role("link")).to_have_attribute("href", "#zip")
    zip_field = page.locator("#zip")
    expect(zip_field).to_be_visible()   # "More filters" opens to show it
    expect(zip_field).to_have_value("abc")
    expect(zip_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#state")).to_have_value("CA")
    expect_results(page, wanted)


def test_it_explains_a_bad_zip_typed_into_the_form_in_place(page, app):
    wanted = expected(app, state="CA")
    page.goto("/providers?state=CA")
    expect_results(page, wanted)
    mark_page(page)

    page.get_by_text("More filters").click()
    page.locator("#zip").fill("abc")
    page.locator("#zip").press("Tab")   # a change event

    expect(page.locator(".problems")).to_contain_text("Enter a 5-digit US zip code, like 10001.")
    expect(page).to_have_url(re.compile(r"[?&]zip=abc(&|$)"))
    expect_results(page, wanted)
    assert_not_reloaded(page)


# --- Profiles ---------------------------------------------------------------------------

def test_it_opens_a_profile_from_a_result(page, facts):
    page.goto("/providers")
    page.select_option("#state", facts.state)
    expect_results(page, facts.in_state)
    search_url = page.url
    first = page.locator(RESULT_LINKS).first
    name = facts.in_state.names[0]

    first.click()

    expect(page).to_have_url(re.compile(rf"/providers/{facts.in_state.slugs[0]}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(rf"^{re.escape(name)}(, .+)?$"))
    expect(page).to_have_title(re.compile(rf"^{re.escape(name)}"))
    expect(page.locator(".profile-head .availability")).to_have_text(
        re.compile(r"^(Accepting new clients|Not accepting new clients) · (confirmed "
                   r"(today|yesterday|\d+ days ago)|never confirmed)"))
    # The way back keeps the search that led here.
    back = page.get_by_role("link", name="← Back to the directory")
    origin = page.evaluate("location.origin")
    expect(back).to_have_attribute("href", search_url.removeprefix(origin))
    back.click()
    expect(page).to_have_url(search_url)
    expect_results(page, facts.in_state)
    expect(page.locator("#state")).to_have_value(facts.state)


def test_it_gives_browsers_an_icon(page):
    # Browsers ask for one on every site; without it, each first visit logs a 404.
    page.goto("/")
    icon = page.evaluate("""() => {
        const link = document.querySelector('link[rel~="icon"]');
        return link ? link.href : new URL("/favicon.ico", location.href).href;
    }""")
    if not icon.startswith("data:"):
        response = page.request.get(icon)
        assert response.ok, f"{icon} answers {response.status}"


@pytest.mark.parametrize("name", ["home", "search", "profile"])
def test_it_has_no_broken_links(page, facts, name):
    path = {"home": "/", "search": "/providers",
            "profile": f"/providers/{facts.everyone.slugs[0]}"}[name]
    page.goto(path)
    origin = page.evaluate("location.origin")
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    targets = sorted({link.split("#")[0] for link in links if link.startswith(origin)})
    assert targets
    broken = [f"{target} answers {status}" for target, status in
              ((target, page.request.get(target).status) for target in targets)
              if status != 200]
    assert not broken, broken


# --- Accessibility ----------------------------------------------------------------------

AXE_PAGES = {
    "home": "/",
    "search": "/providers",
    "search with more filters open": "/providers?state=CA&payment=aetna&zip=94110",
    "profile": None,            # the first result's profile
    "search with a problem": "/providers?zip=abc&state=CA",
    "no results": "/providers?q=zzyzxqk",
    "not found": "/providers/no-such-therapist",
}


def check_axe(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_it_has_no_axe_violations(page, page_problems, facts, name):
    path = AXE_PAGES[name] or f"/providers/{facts.everyone.slugs[0]}"
    if name == "not found":
        page_problems.allow(r"status of 404", "the test asks for a page that doesn't exist")
    response = page.goto(path)
    assert response.status == (404 if name == "not found" else 200)
    if name == "search with more filters open":
        more = page.locator("details.more-filters")
        if more.get_attribute("open") is None:
            more.locator("summary").click()
        expect(more).to_have_attribute("open", "")
        expect(page.locator("#zip")).to_be_visible()
    if name == "no results":
        expect(page.locator(".empty")).to_be_visible()
    check_axe(page)


def test_it_has_no_axe_violations_after_updating_results_in_place(page, facts):
    page.goto("/providers")
    page.select_option("#state", facts.state)
    expect_results(page, facts.in_state)
    check_axe(page)


# --- Keyboard ---------------------------------------------------------------------------

def _describe_focus(page):
    return page.evaluate("""() => {
        const e = document.activeElement;
        if (!e || e === document.body) return "body";
        if (e.id) return "#" + e.id;
        if (e.tagName === "A") return "a " + e.getAttribute("href");
        return e.tagName.toLowerCase() + " " + e.textContent.trim();
    }""")


def test_it_lets_keyboard_users_skip_to_the_main_content(page):
    page.goto("/providers")
    skip = page.get_by_role("link", name="Skip to main content")

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#q")).to_be_focused()


def test_it_reaches_the_filters_and_the_first_result_with_tab_alone(page, facts):
    page.goto("/providers")
    first_result = f"a /providers/{facts.everyone.slugs[0]}"
    visited = []
    for _ in range(40):
        page.keyboard.press("Tab")
        visited.append(_describe_focus(page))
        if visited[-1] == first_result:
            break
    assert visited[-1] == first_result, visited
    assert visited[0] == "a #main", visited
    wanted = ["#q", "#state", "#payment", "#accepting", "summary More filters",
              "button Show therapists", "#sort"]
    assert [v for v in visited if v in wanted] == wanted, visited


def test_it_updates_results_when_the_state_is_changed_with_the_keyboard(page, app, facts):
    page.goto("/providers")
    expect_results(page, facts.everyone)
    mark_page(page)
    state = page.locator("#state")
    next_state = state.locator("option").nth(1).get_attribute("value")
    wanted = expected(app, state=next_state)

    state.focus()
    page.keyboard.press("ArrowDown")

    expect(state).to_have_value(next_state)
    expect(page).to_have_url(re.compile(rf"[?&]state={next_state}(&|$)"))
    expect_results(page, wanted)
    expect(state).to_be_focused()
    assert_not_reloaded(page)


def test_it_keeps_focus_on_the_sort_menu_when_results_are_reordered(page, app, facts):
    page.goto(f"/providers?state={facts.state}")
    expect_results(page, facts.in_state)
    wanted = expected(app, state=facts.state, sort="price")

    page.locator("#sort").focus()
    page.keyboard.press("ArrowDown")

    expect(page).to_have_url(re.compile(r"[?&]sort=price(&|$)"))
    expect_results(page, wanted)
    expect(page.locator("#sort")).to_have_value("price")
    expect(page.locator("#sort")).to_be_focused()


# --- Small screens ----------------------------------------------------------------------

PHONE_PAGES = {
    "search": "/providers",
    "search-with-problems": "/providers?state=CA&payment=aetna&zip=abc",
    "profile": None,
}


@pytest.mark.parametrize("name", list(PHONE_PAGES))
def test_it_fits_a_360px_screen_without_sideways_scrolling(phone_page, facts, name):
    path = PHONE_PAGES[name] or f"/providers/{facts.everyone.slugs[0]}"
    phone_page.goto(path)
    SCREENS.mkdir(exist_ok=True)
    phone_page.screenshot(path=SCREENS / f"{name}-360.png", full_page=True)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width}px wide on a 360px screen"
