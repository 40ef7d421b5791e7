"""The directory's search: the right providers come back, and the wrong ones don't."""
import datetime

import pytest
from werkzeug.datastructures import MultiDict

from alma.clock import today
from alma.db import is_postgres
from alma.directory import criteria, query, service
from alma.network import vocab
from alma.network.models import License, NetworkParticipation
from tests import factories


def found(**args):
    parsed = criteria.parse(MultiDict(args), vocab.current())
    assert not parsed.problems, parsed.problems
    return [r.provider.id for r in service.search(parsed).results]


@pytest.fixture
def network(db):
    factories.operate_in("CA", "NY", "TX")


def test_it_finds_providers_licensed_in_the_clients_state(network):
    ca = factories.provider(state="CA")
    ny = factories.provider(state="NY", zip_code="10001", latitude=40.75, longitude=-73.99)
    both = factories.provider(state="TX", extra_states=("CA",))
    assert set(found(state="CA")) == {ca.id, both.id}
    assert set(found(state="ny")) == {ny.id}
    assert set(found()) == {ca.id, ny.id, both.id}


def test_it_lists_a_multi_state_provider_once_when_no_state_is_chosen(network):
    both = factories.provider(state="TX", extra_states=("CA", "NY"))
    assert found() == [both.id]


def test_it_shows_only_in_network_providers_for_a_payer(network):
    aetna = factories.provider(payers=("aetna",))
    factories.provider(payers=("cigna",))
    ended = factories.provider(payers=())
    NetworkParticipation.create(provider=ended, payer=factories.payer("aetna"), via="group",
                                starts_on=today() - datetime.timedelta(days=300),
                                ends_on=today() - datetime.timedelta(days=1))
    future = factories.provider()
    NetworkParticipation.create(provider=future, payer=factories.payer("aetna"),
                                via="individual", starts_on=today() + datetime.timedelta(days=5))
    assert found(payment="aetna") == [aetna.id]


def test_it_filters_self_pay_by_price_ceiling_and_sliding_scale(network):
    cheap = factories.provider(cash_rate_cents=9000)
    sliding = factories.provider(cash_rate_cents=16000, sliding_scale=True)
    factories.provider(cash_rate_cents=20000)
    factories.provider(cash_rate_cents=None)
    assert set(found(payment="self-pay", max_rate="160")) == {cheap.id, sliding.id}
    assert found(payment="self-pay", sliding_scale="1") == [sliding.id]
    assert len(found(payment="self-pay")) == 3


@pytest.mark.parametrize("typed,ceiling", [
    ("$160", 16000), ("1,000", 100000), (" 160 ", 16000),
    ("1,00", None), ("16,0", None), ("1,6,0", None), (",160", None)])
def test_a_price_ceiling_takes_a_comma_only_between_thousands(network, typed, ceiling):
    parsed = criteria.parse(MultiDict({"payment": "self-pay", "max_rate": typed}),
                            vocab.current())
    assert parsed.max_rate_cents == ceiling
    assert ("max_rate" in parsed.problems) == (ceiling is None)


def test_it_hides_providers_who_are_full_unless_asked(network):
    open_ = factories.provider(accepting=True)
    full = factories.provider(accepting=False)
    assert found() == [open_.id]
    assert set(found(accepting="any")) == {open_.id, full.id}


@pytest.mark.parametrize("name,value,match,miss", [
    ("specialty", "grief-and-loss", {"specialties": ("grief-and-loss",)},
     {"specialties": ("adhd",)}),
    ("modality", "emdr", {"modalities": ("emdr",)}, {"modalities": ("gottman-method",)}),
    ("language", "spanish", {"languages": ("english", "spanish")}, {"languages": ("english",)}),
    ("gender", "man", {"gender": "man"}, {"gender": "woman"}),
    ("ages", "children", {"serves_children": True}, {"serves_children": False}),
    ("format", "in_person", {"offers_in_person": True},
     {"offers_in_person": False, "offers_telehealth": True}),
    ("format", "telehealth", {"offers_telehealth": True},
     {"offers_telehealth": False, "offers_in_person": True}),
])
def test_it_filters_by_each_preference(network, name, value, match, miss):
    wanted = factories.provider(**match)
    factories.provider(**miss)
    assert found(**{name: value}) == [wanted.id]


def test_it_finds_providers_within_the_radius_of_a_zip_code(network):
    # 94110 is San Francisco's Mission; Oakland is ~8 miles away, LA ~350.
    mission = factories.provider(latitude=37.7486, longitude=-122.4184)
    oakland = factories.provider(latitude=37.8044, longitude=-122.2712, zip_code="94612")
    factories.provider(latitude=34.0522, longitude=-118.2437, zip_code="90012")
    assert found(zip="94110", radius="5") == [mission.id]
    assert set(found(zip="94110", radius="10")) == {mission.id, oakland.id}
    assert found(zip="94612", radius="25", sort="distance") == [oakland.id, mission.id]


def test_it_reports_distance_in_miles(network):
    factories.provider(latitude=37.8044, longitude=-122.2712)
    parsed = criteria.parse(MultiDict({"zip": "94110", "radius": "25"}), vocab.current())
    (result,) = service.search(parsed).results
    assert 7 < result.distance_miles < 10


def test_it_searches_names_bios_and_approach_in_full_text(network):
    grief = factories.provider(bio="I walk with people through grief after a sudden loss.")
    emdr = factories.provider(approach="Mostly EMDR and somatic work.")
    garcia = factories.provider(first_name="Lucia", last_name="Garcia")
    assert found(q="grief") == [grief.id]
    assert found(q="emdr") == [emdr.id]
    assert found(q="GARCIA") == [garcia.id]
    assert found(q="losses") == [grief.id]  # stemmed: losses, loss
    assert found(q="grief somatic") == []  # every word must match
    assert found(q='"); DROP TABLE provider; --') == []


def test_it_orders_best_match_by_fresh_availability(network):
    stale = factories.provider(confirmed_days_ago=40)
    fresh = factories.provider(confirmed_days_ago=1)
    middle = factories.provider(confirmed_days_ago=10)
    full = factories.provider(accepting=False, confirmed_days_ago=0)
    assert found(accepting="any") == [fresh.id, middle.id, stale.id, full.id]


def test_it_orders_by_price_with_no_rate_last(network):
    none = factories.provider(cash_rate_cents=None)
    dear = factories.provider(cash_rate_cents=25000)
    cheap = factories.provider(cash_rate_cents=9000)
    assert found(sort="price") == [cheap.id, dear.id, none.id]


def test_it_combines_filters(network):
    wanted = factories.provider(payers=("aetna",), specialties=("anxiety",), gender="man")
    factories.provider(payers=("aetna",), specialties=("anxiety",), gender="woman")
    factories.provider(payers=("cigna",), specialties=("anxiety",), gender="man")
    factories.provider(state="NY", payers=("aetna",), specialties=("anxiety",), gender="man")
    assert found(state="CA", payment="aetna", specialty="anxiety", gender="man") == [wanted.id]


def test_it_pages_results_and_counts_them(network):
    made = [factories.provider(confirmed_days_ago=i) for i in range(5)]
    parsed = criteria.parse(MultiDict({"page": "2"}), vocab.current())
    page = service.search(parsed, page_size=2)
    assert (page.total, page.pages, page.page, page.capped) == (5, 3, 2, False)
    assert [r.provider.id for r in page.results] == [made[2].id, made[3].id]


def test_it_stops_counting_at_the_cap(network):
    for i in range(4):
        factories.provider()
    parsed = criteria.parse(MultiDict({"page": "9"}), vocab.current())
    page = service.search(parsed, page_size=2, cap=3)
    assert page.capped and page.total == 3 and page.pages == 2 and page.page == 2
    assert page.notices  # told there are fewer pages than asked for


def test_it_shows_no_one_in_a_state_the_network_does_not_serve(network):
    factories.provider(state="CA", extra_states=("WY",))
    parsed = criteria.parse(MultiDict({"state": "WY"}), vocab.current())
    assert parsed.state_not_served
    assert service.search(parsed).results == []


@pytest.mark.parametrize("common,cost,plan", [
    (5000, 1, "AND l.provider_id IN (SELECT rowid"),
    (-1, 0.001, "EXISTS (SELECT 1 FROM provider_fts"),
    (-1, 10**9, "+l.provider_id IN (SELECT rowid"),
], ids=["rare-word", "common-word-few-listings", "common-word-many-listings"])
def test_it_finds_the_same_however_sqlite_plans_the_words(network, monkeypatch, common, cost,
                                                           plan):
    # SQLite runs full text three ways (see query._text_filter); each must
    # return the same providers.
    grief = factories.provider(bio="Grief work, and grief groups.", specialties=("anxiety",))
    factories.provider(bio="Couples only.", specialties=("anxiety",))
    factories.provider(bio="Grief too.", accepting=False)
    monkeypatch.setattr(query, "COMMON_MATCHES", common)
    monkeypatch.setattr(query, "TEST_COST", cost)
    monkeypatch.setattr(query, "_match_counts", {})
    plans = []
    monkeypatch.setattr(query, "ids", lambda s, cap, ids=query.ids: (
        plans.append(" AND ".join(s.where)), ids(s, cap))[1])
    assert found(q="grief", specialty="anxiety") == [grief.id]
    assert found(q="group grief") == [grief.id]
    assert found(q="grief couples") == []
    if not is_postgres():
        # (the third matches nothing, so any plan is cheap and none is asked for)
        assert all(plan in where for where in plans[:2]), plans


def test_it_shows_only_credentials_the_provider_may_practise_under(network):
    p = factories.provider(state="CA", license_type="LMFT", extra_states=("NY",))
    License.create(provider=p, state="TX", license_type="PhD", number="PhD-TX-1", level="full",
                   expires_on=today() + datetime.timedelta(days=90))
    License.create(provider=p, state="NY", license_type="LPC", number="LPC-NY-1", level="full",
                   expires_on=today() - datetime.timedelta(days=1))
    License.create(provider=p, state="CA", license_type="LMSW", number="LMSW-CA-1",
                   level="pre_licensed", expires_on=today() + datetime.timedelta(days=90))
    service.reindex([p.id])
    parsed = criteria.parse(MultiDict({"state": "CA"}), vocab.current())
    (result,) = service.search(parsed).results
    assert result.credentials == ["LMFT", "PhD"]


def test_it_says_nothing_about_pages_when_nothing_matches(network):
    factories.provider()
    parsed = criteria.parse(MultiDict({"q": "zebra", "page": "3"}), vocab.current())
    assert service.search(parsed).notices == []
    parsed = criteria.parse(MultiDict({"page": "3"}), vocab.current())
    assert service.search(parsed).notices == ["There is only one page of results, so here it is."]


def test_the_sliding_scale_with_insurance_is_explained_not_ignored(network):
    sliding = factories.provider(cash_rate_cents=16000, sliding_scale=True, payers=("aetna",))
    plain = factories.provider(cash_rate_cents=16000, payers=("aetna",))
    for payment in ("aetna", ""):
        parsed = criteria.parse(MultiDict({"payment": payment, "sliding_scale": "1"}),
                                vocab.current())
        assert "pay yourself" in parsed.problems["sliding_scale"]
        assert {r.provider.id for r in service.search(parsed).results} == {sliding.id, plain.id}
    assert found(payment="self-pay", sliding_scale="1") == [sliding.id]


def test_words_too_common_to_search_for_are_left_out_alike_on_both_databases(network):
    anxious = factories.provider(bio="I help adults with the anxiety of change.")
    factories.provider(bio="I work with couples.")
    assert found(q="the anxiety") == found(q="anxiety") == [anxious.id]
    parsed = criteria.parse(MultiDict({"q": "The"}), vocab.current())
    assert "too common" in parsed.problems["q"] and parsed.words == []
    assert len(service.search(parsed).results) == 2  # the other filters still apply
