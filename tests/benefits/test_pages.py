"""A client's own benefit check through real HTTP requests to the app: every sandbox case,
checks that fail, insurers we can't check, costs in the directory, and forgetting."""
import datetime
import re

import pytest
import time_machine

from alma.benefits import checks, sandbox
from alma.benefits.models import EligibilityCheck
from alma.clock import utcnow
from alma.network.models import NetworkParticipation
from tests import factories
from tests.conftest import csrf_token_from


def post(http, path, data, page=None):
    token = csrf_token_from(http.get(page or path))
    return http.post(path, data={**data, "csrf_token": token})


def text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def check_form(member_id, payer="unitedhealthcare"):
    return {"payer": payer, "member_id": member_id, "first_name": "Sam",
            "last_name": "Rivera", "date_of_birth": "1990-04-02"}


@pytest.mark.parametrize("member_id,says", [
    ("ALMA-ACTIVE-COPAY", ["A session will cost you about $25", "You've met your deductible",
                           "A firm estimate"]),
    ("ALMA-COINS-DEDUCT", ["A session will cost you about $125",
                           "$1,200 of your deductible ($1,500) is left",
                           "20% of it", "A likely estimate"]),
    ("ALMA-INACTIVE", ["isn't active: it ended on March 31, 2025"]),
    ("ALMA-CARVE-OUT", ["A session will cost you about $30",
                        "passes mental-health benefits to Optum Behavioral Health"]),
    ("ALMA-NOT-COVERED", ["doesn't cover mental-health visits"]),
    ("ALMA-OOP-MET", ["A session will cost you nothing", "reached your out-of-pocket maximum"]),
])
def test_every_sandbox_case_reads_as_a_plain_answer(client, db, member_id, says):
    response = post(client, "/benefits", check_form(member_id))
    assert response.status_code == 303
    stored = EligibilityCheck.get()
    # The visitor's name and date of birth are not kept, nor the answer that repeats them.
    # (When it was made is left out: a timestamp's microseconds may read "…1990…".)
    kept = str({key: value for key, value in stored.__data__.items()
                if not key.endswith("_at")})
    assert "Rivera" not in kept and "1990" not in kept
    page = text(client.get(response.headers["Location"]))
    for words in says:
        assert words in page, words


@pytest.mark.parametrize("member_id,status,says", [
    ("ALMA-PAYER-ERROR", 503, "try again"),
    ("ALMA-TIMEOUT", 503, "in time"),
    ("NOBODY-123", 422, "member ID"),
])
def test_a_failed_check_is_explained_keeps_the_form_and_stores_nothing(
        client, db, member_id, status, says):
    response = post(client, "/benefits", check_form(member_id))
    assert response.status_code == status
    page = text(response)
    assert says in page and f'value="{member_id}"' in page and 'value="Rivera"' in page
    assert EligibilityCheck.select().count() == 0


def test_the_form_says_a_check_can_take_up_to_a_minute(client, db):
    # Insurers can take a minute; the page says so in words (no JavaScript needed), and a
    # small script, where it runs, shows the form is working once sent.
    page = client.get("/benefits").get_data(as_text=True)
    assert "Insurers can take up to a minute to answer" in re.sub(r"\s+", " ", page)
    assert 'data-working="Asking your insurer' in page and "js/working." in page


def test_a_mistake_in_our_request_is_not_told_as_try_again(app, client, db, monkeypatch):
    # A wrong ALMA_GROUP_NPI: the clearinghouse refuses every check before asking anyone.
    monkeypatch.setitem(app.config, "GROUP_NPI", "12345")
    response = post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    assert response.status_code == 503
    page = text(response)
    assert "because of a mistake in our request" in page and "reported to our team" in page
    assert "try again in a few minutes" not in page and 'value="Rivera"' in page
    assert EligibilityCheck.select().count() == 0


@pytest.fixture
def over_http(app):
    server, url = sandbox.serve()
    saved = {k: app.config[k] for k in ("ELIGIBILITY_GATEWAY", "ELIGIBILITY_URL",
                                        "ELIGIBILITY_TIMEOUT_SECONDS")}
    app.config.update(ELIGIBILITY_GATEWAY="http", ELIGIBILITY_URL=url,
                      ELIGIBILITY_TIMEOUT_SECONDS=0.5)
    yield url
    app.config.update(saved)
    sandbox.shutdown(server)


def test_checks_over_real_http_including_a_timeout(client, db, over_http):
    response = post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    assert response.status_code == 303
    assert EligibilityCheck.get().gateway == "http"
    response = post(client, "/benefits", check_form("ALMA-TIMEOUT"))
    assert response.status_code == 503 and "in time" in text(response)
    assert EligibilityCheck.select().count() == 1


def test_other_insurers_get_what_to_ask_and_may_note_the_answers(client, db):
    response = post(client, "/benefits", check_form("ANY", payer="cigna"))
    assert response.status_code == 303 and "/benefits/ask?payer=cigna" in \
        response.headers["Location"]
    page = text(client.get("/benefits/ask?payer=cigna"))
    assert "back of your insurance card" in page and "mental health outpatient visit" in page
    assert "behavioural health" in page
    bad = post(client, "/benefits/ask?payer=cigna", {"payer": "cigna", "deductible_left": "50"},
               "/benefits/ask?payer=cigna")
    assert bad.status_code == 422 and "copay or the coinsurance" in text(bad)
    done = post(client, "/benefits/ask?payer=cigna", {"payer": "cigna", "copay": "30",
                                                      "deductible_left": "0",
                                                      "in_network": "y"},
                "/benefits/ask?payer=cigna")
    assert done.status_code == 303
    assert "Cigna" in text(client.get("/benefits/result"))


def test_the_directory_shows_the_cost_beside_providers_in_network_through_alma(client, db):
    factories.operate_in("CA")
    inside = factories.provider(first_name="Grace", payers=("unitedhealthcare",))
    outside = factories.provider(first_name="Ivy", payers=("unitedhealthcare",))
    NetworkParticipation.update(via="individual").where(
        NetworkParticipation.provider == outside.id).execute()
    before = text(client.get("/providers?state=CA"))
    assert "Check your insurance benefits" in before
    assert all("Check your benefits</a> to see it" in card
               for card in before.split('<li class="card">')[1:])
    post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    page = client.get("/providers?state=CA&payment=unitedhealthcare")
    cards = text(page).split('class="card"')
    grace = next(c for c in cards if "Grace" in c)
    ivy = next(c for c in cards if "Ivy" in c)
    assert "Your UnitedHealthcare plan" not in grace  # the note above the cards names it
    assert "Your cost" in grace and "$25 a session</strong>" in grace and "firm estimate" in grace
    # In network on her own contract: not the group's rate, so no estimate, and it says why.
    assert "$25 a session" not in ivy and "on their own contract: ask Ivy" in ivy
    profile = text(client.get(f"/providers/{inside.slug}"))
    assert "$25 a session" in profile and "a firm estimate" in profile
    post(client, "/benefits/forget", {}, "/benefits")
    assert EligibilityCheck.select().count() == 0
    profile = text(client.get(f"/providers/{inside.slug}"))
    assert "$25 a session" not in profile and "Check your insurance benefits" in profile


def test_benefit_checks_are_rate_limited_per_address(db, make_app):
    # Each check may cost the group a clearinghouse fee: ten an hour from one address. A form
    # sent back for a mistake, or an insurer we can't check, never counts.
    app = make_app(RATELIMIT_ENABLED=True)
    http = app.test_client()
    token = csrf_token_from(http.get("/sign-in"))
    mistakes = [http.post("/benefits", data={"csrf_token": token, **changes}).status_code
                for changes in [{}] * 6 + [{**check_form("ALMA-ACTIVE-COPAY"),
                                             "date_of_birth": ""}] * 6]
    assert mistakes == [422] * 12
    assert http.post("/benefits", data={"csrf_token": token, "payer": "cigna"}
                     ).status_code == 303
    # The insurer doesn't know this member: asked all the same, so counted (nothing stored).
    asked = [http.post("/benefits", data={"csrf_token": token,
                                          **check_form("NOBODY-123")}).status_code
             for _ in range(10)]
    assert asked == [422] * 10
    refused = http.post("/benefits", data={"csrf_token": token,
                                           **check_form("ALMA-OOP-MET")})
    page = text(refused)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Please try again in" in page and "what you typed is kept" in page
    assert 'value="ALMA-OOP-MET"' in page and 'value="Rivera"' in page
    assert 'value="1990-04-02"' in page and '<option selected value="unitedhealthcare">' in page


def test_only_what_the_chosen_insurer_needs_is_asked(client, db):
    # An insurer we can't check: no card details needed, straight to what to ask them.
    response = post(client, "/benefits", {"payer": "cigna"})
    assert response.status_code == 303 and "/benefits/ask?payer=cigna" in \
        response.headers["Location"]
    chosen = text(client.get("/benefits?payer=cigna"))
    assert "We can't check Cigna for you online" in chosen and 'name="member_id"' not in chosen
    # No insurer chosen: that alone is asked for, and what was typed stays.
    nothing = post(client, "/benefits", {"first_name": "Sam"})
    page = text(nothing)
    assert nothing.status_code == 422 and "Choose your insurance" in page
    assert "Enter the member ID" not in page and 'value="Sam"' in page
    assert "Only for " in text(client.get("/benefits"))  # the card's fields say for whom


def test_a_visitors_check_is_forgotten_after_90_days(client, db):
    post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    assert checks.forget_visitor_checks() == 0
    with time_machine.travel(utcnow() + datetime.timedelta(days=91)):
        assert checks.forget_visitor_checks() == 1
        assert client.get("/benefits/result").status_code == 303
    assert EligibilityCheck.select().count() == 0
