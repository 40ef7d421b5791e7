"""The directory in a real browser, for everyone: axe, the keyboard alone, a phone's screen."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.directory_expected import (assert_not_reloaded, describe_focus,
                                              expect_results, expected, gather_facts, mark_page)
from tests.browser.support import SCREENS


@pytest.fixture(scope="module")
def facts(app, live_server):
    return gather_facts(app)


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
        visited.append(describe_focus(page))
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
