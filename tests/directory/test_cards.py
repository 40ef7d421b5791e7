"""Result cards are kept rendered, keyed by what they show: never stale, never another's."""
import datetime

import pytest
import time_machine
from flask import get_template_attribute, render_template, request

from alma.clock import utcnow
from alma.directory import cards, criteria, service
from alma.network import vocab
from alma.network.models import Payer
from tests import factories
from tests.benefits.test_pages import check_form, post
from tests.directory.test_your_cost import cards as shown
from tests.directory.test_your_cost import text


@pytest.fixture
def listed(db):
    factories.operate_in("CA")
    return factories.provider(first_name="Rosa", last_name="Delgado",
                              payers=("unitedhealthcare",), confirmed_days_ago=3)


def test_a_kept_card_follows_the_listing(client, listed):
    before = shown(text(client.get("/providers?state=CA")))["Rosa Delgado"]
    assert "confirmed 3 days ago" in before and "she/her" in before
    listed.pronouns, listed.accepting_new_clients = "they/them", False
    listed.save()
    service.reindex([listed.id])
    after = shown(text(client.get("/providers?state=CA&accepting=any")))["Rosa Delgado"]
    assert "they/them" in after and "Not accepting new clients" in after


def test_a_kept_card_counts_the_days_from_today(client, listed):
    client.get("/providers?state=CA")
    with time_machine.travel(utcnow() + datetime.timedelta(days=1), tick=False):
        card = shown(text(client.get("/providers?state=CA")))["Rosa Delgado"]
    assert "confirmed 4 days ago" in card


def test_one_visitors_cost_never_reaches_another(app, client, listed):
    post(client, "/benefits", check_form("ALMA-ACTIVE-COPAY"))
    assert "$25 a session" in shown(text(client.get("/providers?state=CA")))["Rosa Delgado"]
    stranger = app.test_client()
    card = shown(text(stranger.get("/providers?state=CA")))["Rosa Delgado"]
    assert "$25" not in card and "Check your benefits to see it" in card


def test_a_kept_card_is_the_card_rendered_anew(app, client, listed):
    client.get("/providers?state=CA")
    kept = dict(cards._kept)
    assert kept, "the search kept no card"
    with app.test_request_context("/providers?state=CA"):
        macro = get_template_attribute("directory/_cards.html", "card")
        for key, markup in kept.items():
            assert str(macro(key)) == markup


def test_cards_kept_are_bounded(app, client, listed, monkeypatch):
    monkeypatch.setattr(cards, "KEPT", 1)
    cards.forget()
    client.get("/providers?state=CA")
    client.get("/providers?state=CA&zip=94110&radius=25")  # another distance: another card
    assert len(cards._kept) == 1


def test_a_kept_filter_form_shows_what_was_typed_and_its_problems(client, listed):
    page = text(client.get("/providers?state=CA&q=grief"))
    assert 'value="grief"' in page
    assert 'value="grief"' in text(client.get("/providers?state=CA&q=grief"))  # kept
    page = text(client.get("/providers?state=CA&q=%3Cb%3E"))
    assert 'value="&lt;b&gt;"' in page and 'value="grief"' not in page
    page = text(client.get("/providers?state=CA&zip=9"))
    assert 'id="zip-error"' in page and 'value="9"' in page
    assert 'id="zip-error"' not in text(client.get("/providers?state=CA"))


def test_a_kept_filter_form_follows_the_vocabulary(client, listed):
    assert "Acme Mutual" not in text(client.get("/providers?state=CA"))
    Payer.create(slug="acme-mutual", name="Acme Mutual")
    vocab.forget()
    assert ">Acme Mutual</option>" in text(client.get("/providers?state=CA"))


def test_a_kept_filter_form_is_the_form_rendered_anew(app, client, listed):
    client.get("/providers?state=CA&q=grief&zip=9")
    kept = dict(cards._kept_filters)
    assert len(kept) == 1, "the search kept no filter form"
    (markup,) = kept.values()
    with app.test_request_context("/providers?state=CA&q=grief&zip=9"):
        words = vocab.current()
        parsed = criteria.parse(request.args, words)
        assert render_template("directory/_filters.html", criteria=parsed,
                               choices=criteria.choices(words)) == markup
