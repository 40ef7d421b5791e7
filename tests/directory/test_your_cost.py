"""A client's cost on every card after a benefit check, or why there is none; sorting by it."""
import datetime
import re

import pytest

from alma.clock import today
from alma.directory import service
from alma.network.models import NetworkParticipation
from tests import factories
from tests.benefits.test_pages import check_form, post


def text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def cards(body):
    """{name: the card's text} in the order shown."""
    found = {}
    for html in body.split('<li class="card">')[1:]:
        name = re.search(r'<h3 id="provider-\d+"><a [^>]*>([^<]+)</a>', html).group(1)
        found[name] = re.sub(r"<[^>]+>", "", html.split("</li>\n", 1)[0])
    return found


@pytest.fixture
def network(db):
    factories.operate_in("CA")
    people = {
        "Group Member": dict(payers=("unitedhealthcare",), cash_rate_cents=30000),
        "Direct Contract": dict(cash_rate_cents=8000),
        "Cheap Selfpay": dict(cash_rate_cents=9000, confirmed_days_ago=20),
        "Dear Selfpay": dict(cash_rate_cents=20000),
        "No Rate": dict(cash_rate_cents=None),
    }
    made = {}
    for name, fields in people.items():
        first, last = name.split()
        made[name] = factories.provider(first_name=first, last_name=last, **fields)
    NetworkParticipation.create(provider=made["Direct Contract"],
                                payer=factories.payer("unitedhealthcare"), via="individual",
                                starts_on=today() - datetime.timedelta(days=30))
    service.reindex([made["Direct Contract"].id])
    return made


def test_without_a_check_each_card_says_how_to_see_the_cost_and_the_sort_is_not_offered(
        client, network):
    body = text(client.get("/providers?state=CA"))
    assert all("Your cost Check your benefits to see it" in card
               for card in cards(body).values())
    assert '<option value="cost"' not in body
    asked = text(client.get("/providers?state=CA&sort=cost"))
    assert "Check your insurance benefits to sort by your cost" in asked
    assert list(cards(asked)) == list(cards(body))  # best match, as without the sort


def test_after_a_check_each_card_has_a_cost_or_says_why_not(client, network):
    post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    found = cards(text(client.get("/providers?state=CA")))
    assert "Your cost $25 a session (a firm estimate)" in found["Group Member"]
    assert ("In network with your plan on their own contract: ask Direct"
            in found["Direct Contract"])
    for name in ("Cheap Selfpay", "Dear Selfpay", "No Rate"):
        assert "Not in network with your UnitedHealthcare plan" in found[name], name


def test_sorting_by_your_cost_puts_known_costs_first_cheapest_first(client, network):
    post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    body = text(client.get("/providers?state=CA&sort=cost"))
    assert '<option value="cost" selected>Your cost</option>' in body
    order = list(cards(body))
    # $25 through the group, then the self-pay rates, then those whose cost we don't know.
    assert order[:3] == ["Group Member", "Cheap Selfpay", "Dear Selfpay"]
    assert set(order[3:]) == {"Direct Contract", "No Rate"}


def test_a_check_that_found_no_active_plan_says_so_on_the_cards(client, network):
    post(client, "/benefits", check_form("ALMA-INACTIVE"))
    found = cards(text(client.get("/providers?state=CA")))
    assert all("found no active plan" in card for card in found.values())
    body = text(client.get("/providers?state=CA&sort=cost"))
    assert "Check your insurance benefits to sort by your cost" in body


def test_the_profile_keeps_the_cost_or_its_reason_beside_the_next_step(client, network):
    post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    page = text(client.get(f"/providers/{network['Group Member'].slug}"))
    step = page[page.index('id="next-step"'):page.index('id="about"')]
    assert "Request a consultation" in step and "$25 a session" in step
    page = text(client.get(f"/providers/{network['Cheap Selfpay'].slug}"))
    step = page[page.index('id="next-step"'):page.index('id="about"')]
    assert "Not in network with your UnitedHealthcare plan" in step
