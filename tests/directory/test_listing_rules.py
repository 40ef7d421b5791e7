"""Who is listed: only active members with a current licence that is not pre-licensed.

Everyone else never appears: not in results, not in counts, not as a profile.
"""
import datetime

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from alma.clock import today
from alma.directory import criteria, service
from alma.directory.models import Listing
from alma.network import vocab
from alma.network.models import License, Provider
from tests import factories


@pytest.fixture
def network(db):
    factories.operate_in("CA", "NY")


def everyone(**args):
    args.setdefault("accepting", "any")
    parsed = criteria.parse(MultiDict(args), vocab.current())
    return service.search(parsed)


def assert_unlisted(client, provider):
    # Only the listed control provider (not named like this one) counts.
    for args, total in (({}, 1), ({"state": "CA"}, 1), ({"q": provider.last_name}, 0)):
        result = everyone(**args)
        assert provider.id not in [r.provider.id for r in result.results]
        assert result.total == total
    assert client.get(f"/providers/{provider.slug}").status_code == 404


@pytest.mark.parametrize("overrides", [
    {"level": "pre_licensed", "license_type": "LMSW"},
    {"expires_in_days": -1},
    {"membership_status": "paused"},
    {"membership_status": "left"},
    {"listing_hidden": True},
], ids=["pre-licensed", "expired-licence", "paused-member", "left-network", "hidden"])
def test_it_never_lists(client, network, overrides):
    overrides = dict(overrides)
    if "expires_in_days" in overrides:  # a day read as the test runs, never at collection
        overrides["expires_on"] = today() + datetime.timedelta(days=overrides.pop("expires_in_days"))
    factories.provider(last_name="Control")
    hidden = factories.provider(last_name="Unlisted", **overrides)
    assert_unlisted(client, hidden)


def test_it_lists_limited_and_supervised_licences(client, network):
    limited = factories.provider(license_type="LLP", level="limited")
    supervised = factories.provider(under_supervision=True)
    ids = [r.provider.id for r in everyone().results]
    assert limited.id in ids and supervised.id in ids
    page = client.get(f"/providers/{supervised.slug}").get_data(as_text=True)
    assert "practising under supervision" in page


def test_it_drops_a_licence_the_day_after_it_expires_without_reindexing(client, network):
    # Today as the test runs, not as it was collected: a run may cross midnight.
    expiring = factories.provider(expires_on=today())
    assert [r.provider.id for r in everyone().results] == [expiring.id]  # its last day
    parsed = criteria.parse(MultiDict({"accepting": "any"}), vocab.current())
    tomorrow = today() + datetime.timedelta(days=1)
    assert service.search(parsed, on=tomorrow).results == []
    with pytest.raises(NotFound):
        service.listed_provider_or_404(expiring.slug, on=tomorrow)


def test_it_keeps_a_provider_listed_in_states_whose_licence_is_current(client, network):
    p = factories.provider(state="CA", extra_states=("NY",))
    License.update(expires_on=today() - datetime.timedelta(days=3)).where(
        (License.provider == p.id) & (License.state == "NY")).execute()
    service.reindex([p.id])
    assert [r.provider.id for r in everyone(state="CA").results] == [p.id]
    assert everyone(state="NY").results == []
    assert client.get(f"/providers/{p.slug}").status_code == 200


def test_it_does_not_list_providers_only_licensed_where_the_network_does_not_operate(
        client, network):
    factories.provider(last_name="Control")
    outside = factories.provider(state="WY", last_name="Outside")
    assert not Listing.select().where(Listing.provider == outside.id).exists()
    assert_unlisted(client, outside)


def test_it_shows_a_provider_again_when_they_return(client, network):
    p = factories.provider(membership_status="paused")
    assert everyone().total == 0
    Provider.update(membership_status="active").where(Provider.id == p.id).execute()
    service.reindex([p.id])
    assert [r.provider.id for r in everyone().results] == [p.id]


def test_it_marks_exactly_one_listing_per_provider_primary_preferring_the_office_state(
        network):
    p = factories.provider(state="NY", extra_states=("CA",), zip_code="10001")
    rows = {row.state: row.is_primary for row in Listing.select().where(Listing.provider == p.id)}
    assert rows == {"NY": True, "CA": False}
    other = factories.provider(state="CA", extra_states=("NY",), office_state="TX")
    rows = {row.state: row.is_primary
            for row in Listing.select().where(Listing.provider == other.id)}
    assert rows == {"CA": True, "NY": False}


def test_it_rebuilds_the_whole_index(network):
    a = factories.provider(reindex=False)
    b = factories.provider(reindex=False, state="NY")
    assert Listing.select().count() == 0
    service.reindex()
    assert {row.provider_id for row in Listing.select()} == {a.id, b.id}


def test_launching_a_state_lists_its_providers_at_once(client, network):
    p = factories.provider(state="WY", last_name="Cheyenne")
    assert everyone(state="WY").results == []
    service.launch_state("wy")
    assert [r.provider.id for r in everyone(state="WY").results] == [p.id]
    assert client.get(f"/providers/{p.slug}").status_code == 200
    with pytest.raises(service.UnknownState):
        service.launch_state("ZZ")


def test_the_states_command_launches_a_state(app, network):
    factories.provider(state="OR")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["states", "launch", "OR"])
    assert result.exit_code == 0 and "Alma operates in Oregon" in result.output
    assert everyone(state="OR").total == 1
    bad = runner.invoke(args=["states", "launch", "XX"])
    assert bad.exit_code != 0 and "no US state" in bad.output
