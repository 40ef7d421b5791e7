"""The directory's pages over real HTTP semantics: page or partial, bad input, profiles."""
import re

import pytest

from tests import factories

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/providers"}


@pytest.fixture
def listed(db):
    factories.operate_in("CA", "NY")
    return factories.provider(first_name="Rosa", last_name="Delgado", payers=("aetna",),
                              specialties=("grief-and-loss",), cash_rate_cents=14000,
                              sliding_scale=True, sliding_scale_min_cents=8000)


def text(response):
    return response.get_data(as_text=True)


def test_it_serves_the_whole_page_with_the_form_and_results(client, listed):
    response = client.get("/providers?state=CA")
    assert response.status_code == 200
    body = text(response)
    assert "<html" in body and 'id="search"' in body and "Rosa Delgado" in body
    assert "HX-Request" in response.headers["Vary"]
    assert "1 therapist matches." in body


def test_it_serves_only_the_results_to_htmx(client, listed):
    response = client.get("/providers?state=CA", headers=HTMX)
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body and 'id="search"' not in body
    assert "Rosa Delgado" in body
    assert 'hx-swap-oob="innerHTML"' in body and "1 therapist matches." in body
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("extra", [{"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}])
def test_it_serves_the_whole_page_to_boosted_and_history_restore_requests(client, listed, extra):
    body = text(client.get("/providers?state=CA", headers={**HTMX, **extra}))
    assert "<html" in body and 'id="search"' in body


def test_it_shows_what_a_client_needs_to_decide_in_the_order_they_decide(client, listed):
    body = text(client.get("/providers?state=CA&zip=94110"))
    card = body[body.index('<li class="card">'):]
    expected = ('class="avatar tone-', "Rosa Delgado", "LCSW", "she/her",
                "Rosa helps adults with anxiety.", "<li>Grief and loss</li>",
                "Accepting new clients", "confirmed 2 days ago", "<dt>In network</dt>",
                "<dd>Aetna</dd>", "<dt>Your cost</dt>", "Check your benefits</a> to see it",
                "$140 a session, sliding from $80", "Telehealth, in person in San Francisco",
                "miles away", f'href="/providers/{listed.slug}/request"')
    places = [card.find(part) for part in expected]
    assert -1 not in places, [part for part, at in zip(expected, places) if at == -1]
    assert places == sorted(places), "the card's parts are out of order"


def test_a_card_quotes_the_start_of_a_long_bio_cut_after_a_word(client, listed):
    listed.bio = "I listen first. " + "Therapy is a conversation between equals. " * 20
    listed.save()
    body = text(client.get("/providers?state=CA"))
    words = re.search(r'<p class="words">([^<]*)</p>', body).group(1)
    assert words.startswith("I listen first. Therapy is a conversation")
    assert words.endswith("…") and len(words) <= 181
    assert "between equals. Therapy" in words  # whole words only, and nothing after the cut


def test_it_keeps_what_was_typed_and_explains_what_it_could_not_use(client, listed):
    response = client.get("/providers?state=CA&zip=abc&max_rate=cheap&payment=self-pay")
    body = text(response)
    assert response.status_code == 200
    assert 'value="abc"' in body and 'value="cheap"' in body
    assert "Enter a 5-digit US zip code" in body
    assert "Enter a price per session in whole dollars" in body
    assert 'aria-invalid="true"' in body
    assert "Rosa Delgado" in body  # the rest of the search still ran


@pytest.mark.parametrize("query", [
    "state=%00", "zip=99999", "q=" + "x" * 5000, "page=99999999999999999999",
    "page=0", "radius=-5", "max_rate=1e9", "sort=distance", "q=%22%2A%28NEAR", "q=%27%3B--",
    "state=CA&state=NY", "specialty=../../etc", "q=%F0%9F%98%80", "accepting=%FF",
    "zip=941101", "q=AND OR NOT", "q=a:*|b&c", "page=%C2%B2", "radius=%C2%B2",
    "max_rate=%C2%B2", "page=%D9%A3",
])
def test_it_never_fails_on_strange_input(client, listed, query):
    response = client.get(f"/providers?{query}")
    assert response.status_code == 200
    assert "Traceback" not in text(response)


def test_it_suggests_how_to_widen_an_empty_search_and_offers_the_matching_team(client, listed):
    body = text(client.get("/providers?state=CA&q=zebra&specialty=adhd"))
    assert "No therapists match all of that" in body
    assert "Search without “zebra”" in body
    assert "Drop the concern filter" in body
    # One click to the matching team, its form filled in with this search (not an address).
    assert "Client Matching team" in body and "mailto:" not in body
    assert 'href="/match?state=CA&amp;specialty=adhd"' in body


def test_it_offers_the_matching_team_under_results_too_with_the_search_filled_in(client, listed):
    body = text(client.get("/providers?state=CA&payment=self-pay"))
    assert "Rosa Delgado" in body
    assert "Not sure who to choose?" in body
    assert 'href="/match?state=CA&amp;payment=self-pay"' in body


def test_it_says_plainly_when_the_network_does_not_serve_a_state(client, listed):
    body = text(client.get("/providers?state=WY"))
    assert "Alma doesn't operate in Wyoming yet" in body
    assert "Rosa Delgado" not in body


def test_it_links_pages_keeping_the_search(client, listed):
    for i in range(15):
        factories.provider(state="CA", confirmed_days_ago=i + 3)
    body = text(client.get("/providers?state=CA&accepting=any"))
    assert "16 therapists match. Showing 1–10." in body
    assert re.search(r'href="/providers\?state=CA&amp;accepting=any&amp;page=2"', body)
    second = text(client.get("/providers?state=CA&accepting=any&page=2"))
    assert "Showing 11–16." in second and 'rel="prev"' in second


def test_it_shows_a_profile_with_licences_policies_and_the_next_step(client, listed):
    body = text(client.get(f"/providers/{listed.slug}"))
    for expected in ("<h1", "Rosa Delgado", "California", "LCSW-CA-", "24 hours",
                     "Reachable by email", "Request a consultation", "In network with",
                     "Aetna", "Grief and loss", "NPI " + listed.npi):
        assert expected in body, expected


def test_it_offers_the_matching_team_on_the_profile_of_a_provider_who_is_full(client, listed):
    full = factories.provider(accepting=False)
    body = text(client.get(f"/providers/{full.slug}"))
    assert "Not accepting new clients" in body
    assert "Request a consultation" not in body
    assert "Client Matching team" in body


def test_it_answers_404_for_an_unknown_profile(client, listed):
    response = client.get("/providers/nobody-here")
    assert response.status_code == 404
    assert "find that page" in text(response)


def test_it_refuses_other_methods(client, listed):
    response = client.put("/providers")
    assert response.status_code == 405
    assert "Traceback" not in text(response)


def test_home_page_offers_the_quick_search(client, listed):
    body = text(client.get("/"))
    assert 'action="/providers"' in body and 'name="state"' in body and 'name="payment"' in body


def test_profile_leads_back_to_the_search_the_client_came_from(client, listed):
    came_from = "http://localhost/providers?state=CA&payment=aetna"
    body = text(client.get(f"/providers/{listed.slug}", headers={"Referer": came_from}))
    assert 'href="/providers?state=CA&amp;payment=aetna"' in body
    elsewhere = text(client.get(f"/providers/{listed.slug}",
                                headers={"Referer": "https://evil.example/providers?x=1"}))
    assert 'href="/providers">← Back' in elsewhere
    broken = client.get(f"/providers/{listed.slug}", headers={"Referer": "http://[x/providers"})
    assert broken.status_code == 200 and 'href="/providers">← Back' in text(broken)


def test_a_first_visit_to_the_directory_is_under_60_kb_of_html_and_css(client, db):
    """The page weight goal (issue 13): a full first page of cards, each as long as a card
    gets (photos aside: each is fetched on its own and cached for a year)."""
    factories.operate_in("CA")
    for n in range(12):
        factories.provider(
            first_name="Alexandria", last_name=f"Montgomery-Fitzgerald{n}",
            payers=("aetna", "unitedhealthcare", "cigna", "optum", "oscar"),
            specialties=("grief-and-loss", "anxiety", "depression", "trauma-and-ptsd",
                         "relationship-issues"),
            bio="I help adults through change, loss and the long middle of things. " * 20,
            pronouns="they/them", sliding_scale=True, sliding_scale_min_cents=6000)
    page = client.get("/providers?state=CA")
    assert page.get_data(as_text=True).count('<li class="card">') == 10
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', text(page))
    css = sum(len(client.get(href).data) for href in sheets)
    assert sheets and len(page.data) + css < 60 * 1024, (len(page.data), css)


@pytest.mark.parametrize("path", ["/providers?state=CA", "/providers/rosa-delgado"])
def test_a_page_any_visitor_would_see_may_be_kept_by_a_proxy_and_revalidated(app, listed,
                                                                              path):
    path = path.replace("rosa-delgado", listed.slug)
    anonymous = app.test_client(use_cookies=False)
    first = anonymous.get(path)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=0, s-maxage=60"
    assert "Cookie" in first.headers["Vary"] and "Set-Cookie" not in first.headers
    again = anonymous.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    if "?" in path:  # htmx's partial is another rendering of the same URL: another ETag
        partial = anonymous.get(path, headers=HTMX)
        assert partial.status_code == 200 and partial.headers["ETag"] != first.headers["ETag"]


def test_a_page_for_a_visitor_with_a_session_is_never_shared(client, listed):
    with client.session_transaction() as session:  # a visitor whose browser has a session
        session["benefit_check"] = "none"
    response = client.get("/providers?state=CA")
    assert response.status_code == 200 and "public" not in response.headers.get(
        "Cache-Control", "") and "ETag" not in response.headers
