"""The pictures in Chromium with JavaScript off, on a phone (360 px) and a desktop (1280 px):
the team dashboard's three and a provider's two on /practice/payouts draw as SVG inside the
page's width, each with its table, and the pages stay free of axe violations."""
import datetime

import pytest
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.clock import today, utcnow
from alma.consultations.models import ConsultationRequest
from alma.matching.models import MatchRequest
from alma.network.models import Client
from tests import factories
from tests.browser.support import assert_accessible, in_app
from tests.payouts.test_by_month import line, own_fee, visit
from tests.team.test_charts import case

PASSWORD = "a long and memorable passphrase"
TEAM = "tess.team@alma.example"
PROVIDER = "pia.pictures@example.org"
WIDTHS = [360, 1280]


@pytest.fixture(scope="module")
def people(app, live_server):
    def make():
        factories.operate_in("CA")
        provider = factories.provider(first_name="Pia", last_name="Pictures", email=PROVIDER)
        User.create(email=PROVIDER, name=provider.full_name, provider=provider,
                    password_hash=passwords.hash_password(PASSWORD))
        User.create(email=TEAM, name="Tess Team", roles="matching",
                    password_hash=passwords.hash_password(PASSWORD))
        client = Client.create(email="cy.chart@example.org", name="Cy Chart", state="CA")
        now = utcnow()
        for n, (ago, answered) in enumerate(((1, 3), (8, 60), (15, None), (30, 20))):
            created = now - datetime.timedelta(days=ago)
            ConsultationRequest.create(
                client=client, name=client.name, provider=provider, state="CA", concerns="x",
                preferred_format="either", submission_key=f"chart-{n}", created_at=created,
                answered_at=answered and created + datetime.timedelta(hours=answered),
                status="accepted" if answered else "expired")
        for months in range(0, 5):
            held = today() - datetime.timedelta(days=31 * months)
            for _ in range(months + 1):
                visit(provider, held)
            line(provider, 12500 * (months + 1), datetime.datetime.combine(
                held, datetime.time(12)), f"chart-line-{months}")
        own_fee(provider, 7500, utcnow(), "chart-fee")
        MatchRequest.create(client=client, name=client.name, origin="client_form", state="CA",
                            created_at=now - datetime.timedelta(days=9),
                            due_at=now - datetime.timedelta(days=8))
        case(provider, "aetna", today() - datetime.timedelta(days=50))
    in_app(app, make)  # the browser suite's clean-up deletes what this committed


def sign_in(page, email):
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).first.fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def check_pictures(page, width, drawn, said_empty=0):
    section = page.locator("section.bar-charts")
    expect(section.locator('svg[role="img"]')).to_have_count(drawn)
    expect(section.locator("figure.bar-chart-empty")).to_have_count(said_empty)
    for n in range(drawn):
        svg = section.locator('svg[role="img"]').nth(n)
        expect(svg.locator("title").first).not_to_be_empty()
        box = svg.bounding_box()
        assert box["width"] > 200 and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["height"] > 100  # drawn to scale, not squashed
    tables = section.locator("details.bar-chart-table table")
    expect(tables).to_have_count(drawn)
    section.locator("details.bar-chart-table summary").first.click()  # no JS needed
    expect(tables.first).to_be_visible()
    expect(tables.first.locator("tbody tr").first).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_team_sees_its_pictures_without_javascript(new_context, people, width):
    page = new_context(java_script_enabled=False,
                       viewport={"width": width, "height": 900}).new_page()
    sign_in(page, TEAM)
    expect(page.get_by_role("heading", level=1)).to_have_text("Team dashboard")
    check_pictures(page, width, drawn=3)
    section = page.locator("section.bar-charts")
    expect(section).to_contain_text("Consultation requests answered on time")
    expect(section).to_contain_text("Answered late")
    section.screenshot(path=f"/tmp/charts-team-{width}.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_provider_sees_sessions_and_income_without_javascript(new_context, people, width):
    page = new_context(java_script_enabled=False,
                       viewport={"width": width, "height": 900}).new_page()
    sign_in(page, PROVIDER)
    page.goto("/practice/payouts")
    check_pictures(page, width, drawn=2)
    table = page.locator("#chart-income table")
    expect(table.locator("tbody tr").last).to_contain_text(f"{today():%b %Y}")
    expect(table.locator("tbody tr").last).to_contain_text("$75")
    page.locator("section.bar-charts").screenshot(path=f"/tmp/charts-practice-{width}.png")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("who,path", [(TEAM, "/team"), (PROVIDER, "/practice/payouts")])
def test_the_pages_with_pictures_have_no_axe_violations(new_context, people, width, who,
                                                        path):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, who)
    page.goto(path)
    for summary in page.locator("details.bar-chart-table summary").all():
        summary.click()  # the tables checked too
    assert_accessible(page)


def test_the_tables_row_lines_run_unbroken(new_context, people):
    """A picture's table (and every list table sharing its style, like the queues) draws
    one line under each row, not a dashed line broken at every cell's spacing."""
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, TEAM)
    table = page.locator("details.bar-chart-table table.mail-list").first
    assert table.evaluate("t => getComputedStyle(t).borderCollapse") == "collapse"


def test_the_practice_and_team_menus_show_where_you_are(new_context, people):
    """The practice and team menus mark the page you are on (aria-current) and show it, as
    the tabs do."""
    page = new_context(viewport={"width": 360, "height": 800}).new_page()
    sign_in(page, PROVIDER)
    page.goto("/practice/payouts")
    menu = page.get_by_role("navigation", name="Your practice")
    here = menu.locator('a[aria-current="page"]')
    expect(here).to_have_text("Payouts")
    weight = "e => getComputedStyle(e).fontWeight"
    assert here.evaluate(weight) == "700"
    assert menu.get_by_role("link", name="Sessions").evaluate(weight) == "400"
    page.context.clear_cookies()
    sign_in(page, TEAM)
    team = page.get_by_role("navigation", name="Team")
    expect(team.locator('a[aria-current="page"]')).to_have_text("Dashboard")
    page.goto("/team/matching")
    expect(team.locator('a[aria-current="page"]')).to_have_text("Matching queue")
