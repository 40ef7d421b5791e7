"""Launching a state, in Chromium: never one stray click.

An admin, at a desk or on a phone, follows "Launch…" from the states page to a page that says
what a launch does (the providers licensed there appear, its waitlist is emailed, it can't be
undone); "Not now" leaves the state as it was, "Yes, launch" launches it: its provider shows
in the directory and the waitlist gets its one email. A team member of another role (billing)
can neither see the page nor launch.
"""
import pytest
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.consultations.models import WaitlistEntry
from alma.network.models import ServiceState
from tests import factories
from tests.browser.support import PASSWORD, SCREENS, assert_accessible, fits, in_app, sign_in

ADMIN = "ada.launch@alma.example"
BILLING = "bill.launch@alma.example"
# States the demo directory doesn't operate in, one for each width: (code, name, zip, city).
STATES = {1280: ("UT", "Utah", "84101", "Salt Lake City"),
          360: ("NM", "New Mexico", "87501", "Santa Fe")}


@pytest.fixture(scope="module")
def team(app, live_server):
    def make():
        for email, name, role in ((ADMIN, "Ada Launch", "admin"),
                                  (BILLING, "Bill Launch", "billing")):
            User.create(email=email, name=name, roles=role,
                        password_hash=passwords.hash_password(PASSWORD))
        for code, name, zip_code, city in STATES.values():
            factories.provider(first_name="Lux", last_name=f"Licensed{code}", state=code,
                               zip_code=zip_code, city=city)
            WaitlistEntry.create(email=f"waiting.{code.lower()}@example.org", state=code)
    in_app(app, make)  # the browser suite's clean-up deletes what this committed


def operating(app, code):
    return in_app(app, lambda: ServiceState.get(ServiceState.code == code).operating)


@pytest.mark.parametrize("width", [1280, 360])
def test_an_admin_confirms_a_launch_after_reading_what_it_does(
        app, new_context, deliver_all, mailbox, team, width):
    code, name, _, _ = STATES[width]
    mailbox.clear()
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    sign_in(page, ADMIN)
    page.goto("/team/states")
    fits(page)
    row = page.locator("tbody tr", has_text=name)
    expect(row).to_contain_text("not yet")

    # "Launch…" asks first: what will happen, in words.
    row.get_by_role("link", name="Launch").click()
    expect(page.locator("h1")).to_have_text(f"Launch {name}?")
    main = page.locator("main")
    expect(main).to_contain_text(f"The 1 provider licensed in {name} appears in the directory "
                                 "at once")
    expect(main).to_contain_text("The 1 person on its waitlist gets one email")
    expect(main).to_contain_text("It can't be undone")
    fits(page)
    assert_accessible(page)
    page.screenshot(path=str(SCREENS / f"team-launch-confirm-{width}.png"), full_page=True)
    assert not operating(app, code)

    # "Not now": back to the states, nothing launched, nobody emailed.
    page.get_by_role("link", name="Not now").click()
    expect(page.locator("h1")).to_have_text("States and waitlists")
    expect(page.locator("tbody tr", has_text=name)).to_contain_text("not yet")
    assert not operating(app, code)
    assert deliver_all().to(f"waiting.{code.lower()}@example.org") == []

    # Confirmed: launched, its provider listed, its waitlist told once.
    page.locator("tbody tr", has_text=name).get_by_role("link", name="Launch").click()
    page.get_by_role("button", name=f"Yes, launch {name}").click()
    expect(page.locator(".flash")).to_contain_text(
        f"Alma operates in {name} now; 1 on its waitlist will get one email")
    expect(page.locator("tbody tr", has_text=name)).to_contain_text("since")
    expect(page.locator("tbody tr", has_text=name).get_by_role("link")).to_have_count(0)
    fits(page)
    assert operating(app, code)
    [told] = deliver_all().to(f"waiting.{code.lower()}@example.org")
    assert told["Subject"] == f"Alma is now in {name}"
    page.goto(f"/providers?state={code}")
    expect(page.locator("main")).to_contain_text(f"Lux Licensed{code}")

    # The confirmation page, opened again, says it is done; launching twice does nothing.
    page.goto(f"/team/states/{code}/launch")
    expect(page.locator("main")).to_contain_text(f"Alma operates in {name} already")
    expect(page.get_by_role("button", name=f"Yes, launch {name}")).to_have_count(0)


def test_another_team_role_may_not_launch(app, new_context, page_problems, team):
    page_problems.allow(r"status of 403", "the billing role is refused, as it should be")
    page = new_context(viewport={"width": 360, "height": 800}).new_page()
    sign_in(page, BILLING)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    code = "WY"
    assert not operating(app, code)
    for path in ("/team/states", f"/team/states/{code}/launch"):
        assert page.goto(path).status == 403
        fits(page)
    refused = page.request.post(f"/team/states/{code}/launch",
                                form={"csrf_token": token, "confirm": code},
                                headers={"Referer": page.url})
    assert refused.status == 403
    assert not operating(app, code)
