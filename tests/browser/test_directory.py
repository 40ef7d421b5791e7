"""The directory in a real browser: searching in place, history, no-JS, problems, profiles.

Expected results come from the same committed demo directory the server
reads, through the directory's own search service, so no count is hard-coded.
"""
import contextlib
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser.directory_expected import (RESULT_LINKS, assert_not_reloaded, describe_focus,
                                              expect_results, expected, gather_facts, mark_page,
                                              query_of, result_names)


@pytest.fixture(scope="module")
def facts(app, live_server):
    return gather_facts(app)


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
    # Focus moves once htmx has settled the new results, a moment after they show.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "document.activeElement && document.activeElement !== document.body", timeout=5000)
    if describe_focus(page) == "body":
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
    expect(page.locator(".cta .availability")).to_have_text(
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
