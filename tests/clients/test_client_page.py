"""A client's page (/me) and the way back from any dead link: "email me a new link".

Two clients throughout: whatever one opens never shows the other's requests, matches,
benefits or invoices.
"""
import datetime
import re
import uuid

import pytest
import redis

from alma.accounts import links
from alma.accounts.models import EmailLink
from alma.audit import AuditEvent
from alma.benefits.models import EligibilityCheck
from alma.billing import service as billing
from alma.billing.service import INVOICE_LINK
from alma.claims.reconcile import EXPLANATION_LINK
from alma.clients.service import CLIENT_HOME_LINK
from alma.clock import today, utcnow
from alma.consultations.models import ConsultationRequest
from alma.consultations.service import CLIENT_LINK, WAITLIST_LINK
from alma.extensions import limiter
from alma.matching import service as matching
from alma.matching.models import MatchRequest
from alma.matching.service import MATCH_LINK
from alma.network.models import Client, ProgramClient
from tests import factories
from tests.conftest import csrf_token_from, link_in
from tests.consultations.helpers import submit

REDIS_URL = "redis://127.0.0.1:6379/0"
# Every kind of link a client (who has no password) gets, and where it opens.
CLIENT_LINKS = {CLIENT_LINK: "/requests/link/", MATCH_LINK: "/match/link/",
                INVOICE_LINK: "/billing/link/", EXPLANATION_LINK: "/claims/explanations/link/",
                WAITLIST_LINK: "/waitlist/link/", CLIENT_HOME_LINK: "/me/link/"}


@pytest.fixture
def two_clients(app, db):
    """Jamie and Robin, each with a request, a match and an invoice; Jamie also a program
    client of their therapist, with a benefit check."""
    factories.operate_in("CA")
    maya = factories.provider(first_name="Maya", last_name="Lindqvist", payers=("aetna",))
    omar = factories.provider(first_name="Omar", last_name="Quintero", payers=("aetna",))
    http = app.test_client()
    assert submit(http, maya)[0].status_code == 303
    assert submit(app.test_client(), omar, name="Robin Okafor", email="robin@example.org",
                  concerns="Grief since my father died.")[0].status_code == 303
    with app.app_context():
        jamie = Client.self_registered("jamie@example.org")
        robin = Client.self_registered("robin@example.org")
        for who, email, key in ((jamie, "jamie@example.org", "m1"),
                                (robin, "robin@example.org", "m2")):
            matching.ask_to_be_matched(matching.Needs(
                name=who.name, email=email, phone="", state="CA", payer=factories.payer("aetna"),
                plan="", self_pay=False, budget_cents=None, concerns="", specialty=None,
                gender=None, language=None, preferred_format="telehealth", modality=None,
                availability="Evenings", zip_code=None, submission_key=key))
        # Maya's own record of Jamie (the insurance program), under the same address.
        known = Client.create(email="jamie@example.org", name="Jamie R.", known_by=maya)
        member = ProgramClient.create(
            provider=maya, client=known, payer=factories.payer("aetna"), member_id="W1",
            first_name="Jamie", last_name="Rivera", date_of_birth=datetime.date(1990, 1, 2),
            address="1 Main St", city="Oakland", state="CA", zip="94607", diagnosis_code="F41.1")
        EligibilityCheck.create(program_client=member, payer=factories.payer("aetna"),
                                gateway="sandbox", outcome="active",
                                plan_name="Aetna Choice POS II", copay_cents=2500)
        due = today() + datetime.timedelta(days=14)
        mine = billing.issue("copay", [("Session", 1, 2500)], due_on=due, owed_by_client=known,
                             treating_provider=maya)
        theirs = billing.issue("copay", [("Session", 1, 4100)], due_on=due, owed_by_client=robin,
                               treating_provider=omar)
    return {"jamie": jamie, "robin": robin, "maya": maya, "omar": omar, "known": known,
            "invoice": mine, "their_invoice": theirs}


def ask_for_link(http, email, page="/me/link"):
    return http.post("/me/link", data={"email": email,
                                       "csrf_token": csrf_token_from(http.get(page))})


def open_page(http, mailbox, deliver, email):
    mailbox.clear()
    assert ask_for_link(http, email).status_code == 200
    deliver()
    link = link_in(mailbox.to(email)[-1], "/me/link/")
    confirm = http.get(link)
    assert confirm.status_code == 200 and "Open my page" in confirm.get_data(as_text=True)
    opened = http.post(link, data={"csrf_token": csrf_token_from(confirm)})
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/me")
    return link


def test_a_fresh_link_opens_everything_of_the_address_and_nothing_else(
        app, two_clients, mailbox, deliver):
    http = app.test_client()
    link = open_page(http, mailbox, deliver, "jamie@example.org")
    page = http.get("/me")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    # Jamie's request, match, benefits (from Maya's record) and invoice, each with a next step.
    assert "Maya Lindqvist" in body and "Waiting for an answer" in body
    assert "Finding someone" in body and "Aetna Choice POS II" in body and "$25 a session" in body
    assert two_clients["invoice"].number in body and "pay $25" in body
    assert body.count("<strong>Next:</strong>") == 4
    # Never Robin's.
    assert "Omar" not in body and "Robin" not in body and "$41" not in body
    assert two_clients["their_invoice"].number not in body
    # What it lists opens from here; what it doesn't, doesn't.
    assert http.get(f"/billing/invoices/{two_clients['invoice'].number}").status_code == 200
    assert http.get(f"/billing/invoices/{two_clients['their_invoice'].number}").status_code == 404
    with app.app_context():
        mine = ConsultationRequest.get(ConsultationRequest.client == two_clients["jamie"].id)
        theirs = ConsultationRequest.get(ConsultationRequest.client == two_clients["robin"].id)
        their_match = MatchRequest.get(MatchRequest.client == two_clients["robin"].id)
    assert http.get(f"/requests/{mine.id}").status_code == 200
    assert http.get(f"/requests/{theirs.id}").status_code == 404
    assert http.get(f"/match/{their_match.id}").status_code == 404
    # Health information shown: one audit event per client record shown.
    viewed = AuditEvent.select().where(AuditEvent.subject_type == "client_page")
    assert sorted(e.client_id for e in viewed) == sorted(
        [two_clients["jamie"].id, two_clients["known"].id])
    assert all(e.action == "viewed" for e in viewed)
    # The link worked once: this browser goes straight to the page, another gets a new one.
    assert http.get(link).headers["Location"].endswith("/me")
    again = app.test_client().get(link)
    assert again.status_code == 410 and "Email me a new link" in again.get_data(as_text=True)
    assert app.test_client().post(link, data={}).status_code in (400, 410)


def test_robin_sees_only_robins(app, two_clients, mailbox, deliver):
    http = app.test_client()
    open_page(http, mailbox, deliver, "robin@example.org")
    body = http.get("/me").get_data(as_text=True)
    assert "Omar Quintero" in body and two_clients["their_invoice"].number in body
    assert "Maya" not in body and "Aetna Choice POS II" not in body
    assert two_clients["invoice"].number not in body


def test_asking_says_the_same_for_any_address_and_emails_only_a_known_one(
        app, two_clients, mailbox, deliver):
    known = ask_for_link(app.test_client(), "jamie@example.org")
    unknown = ask_for_link(app.test_client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True).replace("jamie@example.org", "X") == \
        unknown.get_data(as_text=True).replace("nobody@example.org", "X")
    deliver()
    assert mailbox.to("nobody@example.org") == []
    (email,) = [m for m in mailbox.to("jamie@example.org") if "/me/link/" in m.get_body(
        ("plain",)).get_content()]
    assert "works once, for 60 minutes" in email.get_body(("plain",)).get_content()
    (row,) = EmailLink.select().where(EmailLink.purpose == CLIENT_HOME_LINK)
    assert row.used_at is None and row.expires_at <= utcnow() + datetime.timedelta(hours=1)
    token = link_in(email, "/me/link/").rsplit("/", 1)[1]
    assert row.token_hash != token and token not in row.token_hash  # only a hash is kept


def test_a_bad_address_is_said_and_kept(app, db):
    http = app.test_client()
    response = ask_for_link(http, "jamie@")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="jamie@"' in body
    assert "Enter an email address like" in body
    assert EmailLink.select().count() == 0


def test_an_expired_link_offers_a_new_one(app, two_clients, mailbox, deliver):
    http = app.test_client()
    ask_for_link(http, "jamie@example.org")
    deliver()
    link = link_in(mailbox.to("jamie@example.org")[-1], "/me/link/")
    EmailLink.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).execute()
    for response in (http.get(link), http.post(link, data={"csrf_token": csrf_token_from(
            http.get("/me/link"))})):
        body = response.get_data(as_text=True)
        assert response.status_code == 410 and "This link has expired" in body
        assert 'action="/me/link"' in body
    assert http.get("/me").status_code == 401


def test_the_page_forgets_an_idle_browser(app, two_clients, mailbox, deliver):
    http = app.test_client()
    open_page(http, mailbox, deliver, "jamie@example.org")
    with http.session_transaction() as session:
        session["client_seen"] = utcnow().timestamp() - 31 * 60
    response = http.get("/me")
    body = response.get_data(as_text=True)
    assert response.status_code == 401 and "Email me a link" in body and "Maya" not in body


@pytest.mark.parametrize("purpose", sorted(CLIENT_LINKS))
def test_every_dead_client_link_offers_a_new_one_and_never_the_therapists_sign_in(
        app, db, purpose):
    http = app.test_client()
    with app.app_context():
        used = links.create(purpose, 999999, datetime.timedelta(days=1))
        links.spend(used, purpose)
        expired = links.create(purpose, 999999, datetime.timedelta(seconds=-1))
    tampered = used[:-3] + ("aaa" if not used.endswith("aaa") else "bbb")
    token = csrf_token_from(http.get("/me/link"))
    for dead in (used, expired, tampered):
        url = CLIENT_LINKS[purpose] + dead
        for response in (http.get(url), http.post(url, data={"csrf_token": token})):
            body = response.get_data(as_text=True)
            assert response.status_code == 410, (url, response.status_code)
            assert "Email me a new link" in body and 'action="/me/link"' in body
            assert "Get a new sign-in link" not in body


def test_a_request_link_opens_the_client_page_too(app, two_clients, mailbox, deliver):
    deliver()
    http = app.test_client()
    link = link_in(mailbox.to("jamie@example.org")[0], "/requests/link/")
    http.post(link, data={"csrf_token": csrf_token_from(http.get(link))})
    body = http.get("/me").get_data(as_text=True)
    assert "Maya Lindqvist" in body and "Omar" not in body


def test_a_providers_dead_link_offers_signing_in_not_a_clients_link(app, db):
    with app.app_context():
        token = links.create("opportunity", 1, datetime.timedelta(seconds=-1))
    body = app.test_client().get(f"/opportunities/{token}").get_data(as_text=True)
    assert "Get a new sign-in link" in body and "Email me a new link" not in body


def test_asking_is_limited_per_address_in_redis(app, two_clients, make_app):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as problem:
        pytest.skip(f"no Redis at {REDIS_URL}: {problem}")
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL,
                       RATELIMIT_STORAGE_OPTIONS={"key_prefix": f"alma-test-{uuid.uuid4().hex}"})
    try:
        http = limited.test_client()
        statuses = [ask_for_link(http, "Jamie@Example.org ").status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        assert ask_for_link(http, "robin@example.org").status_code == 200  # another address
    finally:
        limiter.reset()
        limiter._storage_dead = False
        make_app(RATELIMIT_ENABLED=True)


def test_the_signed_out_page_offers_the_form(app, db):
    response = app.test_client().get("/me")
    body = response.get_data(as_text=True)
    assert response.status_code == 401 and 'action="/me/link"' in body
    assert re.search(r'<input type="email" id="new-link-email" name="email"', body)


def test_a_session_holding_only_the_clients_record_opens_their_page(app, two_clients):
    http = app.test_client()
    with http.session_transaction() as session:
        session["client_id"] = two_clients["robin"].id
        session["client_seen"] = utcnow().timestamp()
    body = http.get("/me").get_data(as_text=True)
    assert "Omar Quintero" in body and "Maya" not in body


def test_an_invoice_cancelled_by_a_credit_note_is_called_cancelled_with_nothing_to_do(
        app, two_clients, mailbox, deliver):
    """A voided session's fee: credited in full, never paid. Not "Paid", and no receipt."""
    with app.app_context():
        billing.credit(two_clients["invoice"], 2500, "Session logged in error and voided.")
    http = app.test_client()
    open_page(http, mailbox, deliver, "jamie@example.org")
    body = re.sub(r"\s+", " ", http.get("/me").get_data(as_text=True))
    [card] = [a for a in body.split("<article")[1:] if two_clients["invoice"].number in a]
    card = card.split("</article>")[0]
    assert ">Cancelled</span>" in card and ">Paid</span>" not in card
    assert "nothing: this invoice was cancelled." in card and "receipt" not in card


def test_a_client_on_a_shared_device_can_make_the_browser_forget_them(
        app, two_clients, mailbox, deliver):
    http = app.test_client()
    open_page(http, mailbox, deliver, "jamie@example.org")
    page = http.get("/me")
    assert "Forget me on this browser" in page.get_data(as_text=True)
    invoice = f"/billing/invoices/{two_clients['invoice'].number}"
    assert http.get(invoice).status_code == 200
    assert http.post("/me/forget", data={}).status_code == 400  # no CSRF token: nothing forgotten
    assert http.get("/me").status_code == 200
    forgot = http.post("/me/forget", data={"csrf_token": csrf_token_from(page)})
    assert forgot.status_code == 303 and forgot.headers["Location"].endswith("/me")
    after = http.get("/me")
    assert after.status_code == 401 and "This browser has forgotten you" in after.get_data(
        as_text=True)
    assert "Maya Lindqvist" not in after.get_data(as_text=True)
    assert http.get(invoice).status_code in (403, 404, 410)
