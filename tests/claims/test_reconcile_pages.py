"""The billing team's reviews page with every kind of visitor, approving and waiving over
HTTP, and the client's explanation page by its emailed link (and not without it)."""
import datetime
import html
import re

import pytest
import time_machine
from flask import g

from alma.accounts.models import User
from alma.billing.models import Invoice
from alma.claims.reconcile_models import APPROVED, PENDING, WAIVED, ShareReconciliation
from alma.clock import utcnow
from alma.mail.models import OutboundEmail
from alma.network.models import Client
from tests import factories
from tests.claims.reconcile_helpers import COPAY, post_all, sent_claim
from tests.conftest import csrf_token_from

PERSONAS = ["anonymous", "client", "provider", "matching", "growth", "credentialing",
            "billing", "admin"]
ALLOWED = {"billing", "admin"}


def text(response):
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def become(http, persona, provider):
    if persona == "anonymous":
        return
    with http.session_transaction() as session:
        if persona == "client":
            other = Client.create(email="x@example.org", name="Xan Client", state="CA")
            session["client_id"] = other.id
            session["client_seen"] = utcnow().timestamp()
            return
        user = (factories.user_for(provider) if persona == "provider" else
                User.create(email=f"{persona}@alma.example", name=persona.title(),
                            roles=persona))
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["seen"] = utcnow().timestamp()


def form_post(http, path, data=None):
    token = csrf_token_from(http.get("/sign-in"))
    return http.post(path, data={**(data or {}), "csrf_token": token})


@pytest.fixture
def review(app, in_program, sandbox):
    """A pending review: the plan applied the deductible ($125 where $25 was invoiced)."""
    claim, texts = sent_claim(app, in_program, sandbox, f"{COPAY}-DEDUCTIBLE")
    post_all(texts)
    return ShareReconciliation.get()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["list", "approve", "waive"])
def test_who_may_review(client, in_program, review, persona, action):
    become(client, persona, in_program)
    if action == "list":
        response = client.get("/team/claims/reviews")
    else:
        response = form_post(client, f"/team/claims/reviews/{review.id}/{action}",
                             {"reason": "Goodwill"})
    status = ShareReconciliation.get_by_id(review.id).review_status
    if persona in ("anonymous", "client"):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif persona not in ALLOWED:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 303)
        if action == "list":
            page = text(response)
            assert "$100 more" in page and "PR-1: your plan's deductible: you pay this part" \
                in page and "Estimated" in page
    if persona not in ALLOWED or action == "list":
        assert status == PENDING and Invoice.select().count() == 1
    else:
        assert status == {"approve": APPROVED, "waive": WAIVED}[action]


def test_an_unknown_review_is_404(client, in_program, review):
    become(client, "billing", in_program)
    assert form_post(client, "/team/claims/reviews/999/approve").status_code == 404


def test_waiving_without_a_reason_keeps_it_pending(client, in_program, review):
    become(client, "billing", in_program)
    response = form_post(client, f"/team/claims/reviews/{review.id}/waive", {"reason": " "})
    assert response.status_code == 422 and "Say why" in text(response)
    assert ShareReconciliation.get_by_id(review.id).review_status == PENDING


def test_a_reason_too_long_is_refused_and_kept_not_cut(client, in_program, review):
    become(client, "billing", in_program)
    typed = "The plan's letter came late; " + "x" * 1200
    response = form_post(client, f"/team/claims/reviews/{review.id}/waive", {"reason": typed})
    assert response.status_code == 422 and "1,000 characters" in text(response)
    assert f'value="{typed}"' in text(response)
    assert ShareReconciliation.get_by_id(review.id).review_status == PENDING


def browser(app):
    """Another browser. The fixtures' app context is shared by every request, so the CSRF
    token Flask-WTF keeps in `g` for the last one is dropped first."""
    g.pop("csrf_token", None)
    return app.test_client()


def explanation_link(client, in_program, review):
    become(client, "billing", in_program)
    assert form_post(client, f"/team/claims/reviews/{review.id}/approve").status_code == 303
    email = OutboundEmail.get(OutboundEmail.template == "share_raised")
    url = re.search(r"https?://\S+/claims/explanations/link/\S+", email.text_body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_the_client_opens_the_explanation_and_can_pay(app, client, in_program, review):
    link = explanation_link(client, in_program, review)
    client = browser(app)  # the client's browser, not the billing member's
    page_url = f"/claims/explanations/{review.id}"
    assert client.get(page_url).status_code == 404  # not without the link
    confirm = client.get(link)
    assert confirm.status_code == 200 and "Open the explanation" in text(confirm)
    opened = client.post(link, data={"csrf_token": csrf_token_from(confirm)})
    assert opened.status_code == 303, text(opened)[-1500:]
    assert opened.headers["Location"].endswith(page_url)
    page = text(client.get(page_url))
    claim = review.claim
    for said in ("We had estimated $25", "Copay: $25",
                 "The session was charged at $125. Your plan paid $0 of it",
                 "PR-1: your plan's deductible: you pay this part: $125",
                 "Due now</dt><dd><strong>$100", "Pay $100",
                 f"about claim <strong>{claim.payer_claim_number}</strong>"):
        assert said in page, said
    invoice = ShareReconciliation.get_by_id(review.id).additional_invoice
    # The additional invoice's own page leads back to the explanation.
    bill = text(client.get(f"/billing/invoices/{invoice.number}"))
    assert f"/claims/explanations/{review.id}" in bill and "Why this bill" in bill
    # The original invoice has no explanation to give.
    first = Invoice.get_by_id(claim.visit.invoice_id)
    with client.session_transaction() as session:
        session["invoice_ids"] = session["invoice_ids"] + [first.id]
    assert "Why this bill" not in text(client.get(f"/billing/invoices/{first.number}"))
    # Opened once, this browser goes straight there from the same link again.
    assert client.get(link).headers["Location"].endswith(page_url)


def test_a_tampered_or_expired_link_opens_nothing(app, client, in_program, review):
    link = explanation_link(client, in_program, review)
    client = browser(app)
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    assert client.get(tampered).status_code == 410
    assert client.post(tampered, data={"csrf_token": csrf_token_from(
        client.get("/sign-in"))}).status_code == 410
    with time_machine.travel(utcnow() + datetime.timedelta(days=91)):
        response = client.get(link)
        assert response.status_code == 410 and "expired" in text(response)
    assert client.get(f"/claims/explanations/{review.id}").status_code == 404


@pytest.mark.parametrize("persona", ["provider", "client"])
def test_only_the_browser_that_opened_the_link_sees_the_explanation(
        app, client, in_program, review, persona):
    explanation_link(client, in_program, review)
    # Not the billing member who approved it, nor the treating provider, nor another client.
    assert client.get(f"/claims/explanations/{review.id}").status_code == 404
    other = browser(app)
    become(other, persona, in_program)
    assert other.get(f"/claims/explanations/{review.id}").status_code == 404
