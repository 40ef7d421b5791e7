"""A client's identity belongs to the provider who knows them.

Ana moves in her client Alex Real (alex@example.org). Ben, another provider, moves in the
same address as "Zed Other": he must learn nothing of Ana's record and change nothing in
it, and whatever concerns his client (his pages, his digest, the client's emails about his
invoices, his audit events) names them as he recorded them.
"""
import datetime
import re

import pytest
from peewee import IntegrityError

from alma.accounts import passwords
from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.billing import overdue
from alma.billing.models import Invoice
from alma.claims import sessions
from alma.claims.models import Visit
from alma.clock import today
from alma.consultations.models import ConsultationRequest
from alma.db import db as database
from alma.mail.models import OutboundEmail
from alma.matching import service as matching
from alma.matching.models import MatchRequest
from alma.network.models import Client, ProgramClient
from alma.program import clients, credentialing, enrolment
from tests import factories
from tests.conftest import csrf_token_from
from tests.consultations.helpers import submit
from tests.matching.test_matching import ask

PASSWORD = "a long and memorable passphrase"
EMAIL = "alex@example.org"
ANAS = ("Alex", "Real")


def post(http, path, data, page):
    return http.post(path, data={**data, "csrf_token": csrf_token_from(http.get(page))})


def text(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def in_program(provider, staff):
    enrollment = enrolment.enroll(
        provider, caqh_id="12345678", caqh_attested_on=today() - datetime.timedelta(days=10),
        malpractice_carrier="CPH", attested=True,
        malpractice_expires_on=today() + datetime.timedelta(days=300))
    for case in enrollment.cases:
        for field in credentialing.CHECKLIST:
            setattr(case, field, True)
        case.save()
        credentialing.approve(case, today(), staff)


def moved_in(provider, first, last, email=EMAIL, member_id="ALMA-ACTIVE-COPAY"):
    return clients.move_in(provider, dict(
        first_name=first, last_name=last, email=email, date_of_birth=datetime.date(1990, 4, 2),
        gender="U", member_id=member_id, payer=factories.payer("unitedhealthcare"),
        address="12 Elm St", city="Oakland", state="CA", zip="94607", diagnosis_code="F41.1"),
        tell=True)


def move_in_over_http(http, first, last, member_id="ALMA-ACTIVE-COPAY"):
    return post(http, "/practice/insurance/clients", {
        "first_name": first, "last_name": last, "date_of_birth": "1991-05-06", "gender": "U",
        "email": EMAIL.upper(), "payer": str(factories.payer("unitedhealthcare").id),
        "member_id": member_id, "address": "1 Main St", "city": "Oakland", "state": "CA",
        "zip": "94607", "diagnosis_code": "F41.1", "tell": "y"}, "/practice/insurance")


@pytest.fixture
def ana(app, db):
    """Ana, in the program, with her client Alex Real and his late-cancellation invoice."""
    factories.operate_in("CA")
    staff = User.create(email="cred@alma.example", name="Casey", roles="credentialing")
    ana = factories.provider(first_name="Ana", last_name="Able", email="ana@example.com",
                             late_cancel_fee_cents=7500)
    ana.user = factories.user_for(ana, PASSWORD)
    with app.app_context():
        in_program(ana, staff)
        ana.program_client = moved_in(ana, *ANAS)
        sessions.log_visit(ana, ana.program_client, today(), "90834", True, "late_cancel",
                           actor=ana.user)
    ana.staff = staff
    return ana


@pytest.fixture
def ben(app, client, ana):
    """Ben, in the program too, signed in, who moves in Alex's address as "Zed Other" and
    logs a late cancellation for them."""
    ben = factories.provider(first_name="Ben", last_name="Bee", email="ben@example.com",
                             late_cancel_fee_cents=6000)
    ben.user = factories.user_for(ben, PASSWORD)
    with app.app_context():
        in_program(ben, ana.staff)
    factories.sign_in(client, ben.user, PASSWORD)
    response = move_in_over_http(client, "Zed", "Other")
    assert response.status_code == 303, text(response)
    ben.program_client = ProgramClient.get(ProgramClient.provider == ben.id)
    response = post(client, "/practice/sessions", {
        "client": str(ben.program_client.id), "held_on": today().isoformat(),
        "cpt_code": "90834", "format": "telehealth", "attendance": "late_cancel",
        "charge_fee": "y"}, "/practice/sessions")
    assert response.status_code == 303, text(response)
    return ben


def invoice_of(provider):
    return Visit.get(Visit.provider == provider.id).invoice


def record_of(provider):
    return ProgramClient.get(ProgramClient.provider == provider.id).client


def assert_nothing_of_anas(page):
    assert "Alex" not in page and "Real" not in page


# --- What Ben sees ----------------------------------------------------------------------------

def test_another_provider_moving_in_the_same_email_sees_only_their_own_words(
        client, ana, ben):
    flashed = text(client.get("/practice/insurance"))
    assert "Zed Other" in flashed
    assert_nothing_of_anas(flashed)
    page = text(client.get("/practice/invoices"))
    assert "Zed Other" in page
    assert_nothing_of_anas(page)
    assert_nothing_of_anas(text(client.get("/practice/sessions")))
    theirs, his = record_of(ana), record_of(ben)
    assert theirs.id != his.id and his.email == EMAIL
    assert (his.name, his.known_by_id) == ("Zed Other", ben.id)
    assert invoice_of(ben).owed_by_client_id == his.id


def test_the_first_providers_record_is_unchanged(app, client, ana, ben):
    theirs = Client.get_by_id(record_of(ana).id)
    assert (theirs.name, theirs.known_by_id, theirs.state) == ("Alex Real", ana.id, "CA")
    assert invoice_of(ana).owed_by_client_id == theirs.id
    with app.app_context():
        rows = overdue.client_invoices(ana)
    assert [row.client_name for row in rows] == ["Alex Real"]
    with app.test_client() as anas:
        factories.sign_in(anas, ana.user, PASSWORD)
        page = text(anas.get("/practice/invoices"))
    assert "Alex Real" in page and "Zed" not in page


def test_another_providers_client_and_invoice_stay_a_404(client, ana, ben):
    alex = ana.program_client
    assert post(client, f"/practice/insurance/clients/{alex.id}/remove", {},
                "/practice/insurance").status_code == 404
    assert post(client, f"/practice/invoices/{invoice_of(ana).number}/paid", {},
                "/practice/invoices").status_code == 404
    assert client.get(f"/billing/invoices/{invoice_of(ana).number}").status_code == 404
    assert ProgramClient.get_by_id(alex.id).removed_at is None


def test_typing_the_same_email_again_keeps_one_record_per_provider(app, client, ana, ben):
    response = move_in_over_http(client, "Zia", "Other", member_id="OTHER-2")
    assert response.status_code == 303
    assert Client.select().where(Client.known_by == ben.id).count() == 1
    # The provider's latest word about their own client: their record says it now.
    assert record_of(ana).name == "Alex Real"
    assert Client.get(Client.known_by == ben.id).name == "Zia Other"


# --- What the client is told, and what Ben's digest says -----------------------------------------

def emails(template, to=None):
    query = OutboundEmail.select().where(OutboundEmail.template == template)
    if to:
        query = query.where(OutboundEmail.to_address == to)
    return list(query.order_by(OutboundEmail.id))


def test_reminders_and_digests_name_the_client_as_each_provider_recorded_them(app, ana, ben):
    due = invoice_of(ben).due_on
    with app.app_context():
        overdue.run(on=due + datetime.timedelta(days=1))
    (bens_digest,) = emails("overdue_digest", "ben@example.com")
    assert "Zed Other" in bens_digest.text_body
    assert_nothing_of_anas(bens_digest.text_body + bens_digest.html_body)
    (anas_digest,) = emails("overdue_digest", "ana@example.com")
    assert "Alex Real" in anas_digest.text_body and "Zed" not in anas_digest.text_body
    reminders = {m.dedupe_key: m for m in emails("invoice_overdue", EMAIL)}
    about_bens = reminders[f"invoice:{invoice_of(ben).id}:overdue:1"]
    assert about_bens.text_body.startswith("Hello Zed,")
    assert_nothing_of_anas(about_bens.text_body + about_bens.html_body)
    about_anas = reminders[f"invoice:{invoice_of(ana).id}:overdue:1"]
    assert about_anas.text_body.startswith("Hello Alex,") and "Zed" not in about_anas.text_body


def test_the_receipt_for_his_invoice_bills_the_client_as_he_recorded_them(
        app, client, ana, ben):
    invoice = invoice_of(ben)
    response = post(client, f"/practice/invoices/{invoice.number}/paid", {},
                    "/practice/invoices")
    assert response.status_code == 303
    assert Invoice.get_by_id(invoice.id).status == "paid"
    (receipt,) = emails("payment_receipt", EMAIL)
    assert_nothing_of_anas(receipt.text_body + receipt.html_body)
    with app.test_client() as theirs:
        with theirs.session_transaction() as session:
            session["invoice_ids"] = [invoice.id]
        page = text(theirs.get(f"/billing/invoices/{invoice.number}/receipt"))
    assert "Billed to Zed Other" in page
    assert_nothing_of_anas(page)


# --- The audit trail ------------------------------------------------------------------------------

def test_each_providers_actions_are_audited_against_their_own_record(client, ana, ben):
    client.get("/practice/sessions")
    client.get("/practice/invoices")
    post(client, f"/practice/invoices/{invoice_of(ben).number}/paid", {}, "/practice/invoices")
    his, theirs = record_of(ben), record_of(ana)
    bens = list(AuditEvent.select().where(AuditEvent.actor == ben.user.id))
    assert {(e.action, e.subject_type) for e in bens} >= {
        ("created", "program_client"), ("checked", "eligibility_check"), ("created", "visit"),
        ("viewed", "client_invoices"), ("marked_paid", "invoice"), ("viewed", "visit")}
    assert {e.client_id for e in bens} == {his.id}
    on_anas = AuditEvent.select().where(AuditEvent.client == theirs.id)
    assert on_anas.count() >= 2
    assert {e.actor_id for e in on_anas} <= {ana.user.id, None}


def test_the_admin_finds_every_record_of_an_email_and_sees_them_apart(app, ana, ben):
    admin = User.create(email="ada@alma.example", name="Ada Admin", roles="admin",
                        password_hash=passwords.hash_password(PASSWORD))
    with app.test_client() as http:
        factories.sign_in(http, admin, PASSWORD)
        page = text(http.get("/team/audit?client=" + EMAIL.upper()))
    anas = page.index("Ana Able's record of Alex Real")
    bens = page.index("Ben Bee's record of Zed Other")
    first, second = sorted([(anas, "ana"), (bens, "ben")])
    between = page[first[0]:second[0]]
    after = page[second[0]:]
    # Each record's events are under its own heading.
    bens_part = between if first[1] == "ben" else after
    anas_part = between if first[1] == "ana" else after
    assert "Ben Bee (ben@example.com)" in bens_part and "Ben Bee (" not in anas_part
    assert "Ana Able (ana@example.com)" in anas_part and "Ana Able (" not in bens_part


# --- Consultations: what the client typed, and nothing a provider recorded ----------------------

def test_a_consultation_typed_with_a_clients_email_renames_nothing_a_provider_recorded(
        app, client, ana, ben):
    other = factories.provider(first_name="Omar", email="omar@example.com")
    response, _ = submit(client, other, name="Mallory Fake", email=EMAIL)
    assert response.status_code in (200, 303)
    request = ConsultationRequest.get(ConsultationRequest.provider == other.id)
    assert request.client.known_by_id is None and request.client.name == "Mallory Fake"
    assert record_of(ana).name == "Alex Real" and record_of(ben).name == "Zed Other"
    assert Client.select().where(Client.email == EMAIL).count() == 3
    with app.app_context():
        assert [r.client_name for r in overdue.client_invoices(ana)] == ["Alex Real"]


def test_a_name_typed_into_a_consultation_first_is_not_what_a_provider_later_sees(
        app, client, db):
    factories.operate_in("CA")
    staff = User.create(email="cred@alma.example", name="Casey", roles="credentialing")
    maya = factories.provider(first_name="Maya", email="maya@example.com",
                              late_cancel_fee_cents=5000)
    submit(client, maya, name="Mallory Fake", email="vic@example.org")
    with app.app_context():
        in_program(maya, staff)
        vic = moved_in(maya, "Vic", "Tim", email="vic@example.org")
        sessions.log_visit(maya, vic, today(), "90834", True, "late_cancel")
        rows = overdue.client_invoices(maya)
    assert [row.client_name for row in rows] == ["Vic Tim"]
    assert Client.self_registered("vic@example.org").name == "Mallory Fake"


def test_a_provider_typing_a_clients_email_into_a_consultation_learns_nothing(app, client, db):
    factories.operate_in("CA")
    maya = factories.provider(first_name="Maya", email="maya@example.com")
    submit(client, maya)  # Jamie Rivera, jamie@example.org, (555) 010-2233
    omar = factories.provider(first_name="Omar", email="omar@example.com")
    with app.test_client() as probe:
        submit(probe, omar, name="Probe Person", phone="(555) 999-0000")
        factories.sign_in(probe, factories.user_for(omar, PASSWORD), PASSWORD)
        request = ConsultationRequest.get(ConsultationRequest.provider == omar.id)
        path = f"/inbox/requests/{request.id}"
        assert post(probe, path + "/accept", {}, path).status_code == 303
        page = text(probe.get(path))
        inbox = text(probe.get("/inbox?show=all"))
        clients = text(probe.get("/practice/clients"))
        exported = probe.get("/practice/clients.csv").get_data(as_text=True)
    assert "Probe Person" in page and "(555) 999-0000" in page
    assert "Probe Person" in clients and "Probe Person" in exported
    for seen in (page, inbox, clients, exported):
        assert "Jamie" not in seen and "Rivera" not in seen and "010-2233" not in seen
    (told,) = emails("new_request", "omar@example.com")
    assert "Probe" in told.subject and "Jamie" not in told.text_body + told.html_body
    # Each request's emails greet the client by what was typed with it.
    greetings = sorted(m.text_body.split(",")[0] for m in emails("request_received"))
    assert greetings == ["Hello Jamie", "Hello Probe"]


# --- The records themselves -------------------------------------------------------------------

def test_an_email_is_unique_per_provider_and_once_among_self_registered_clients(db):
    factories.operate_in("CA")
    first = factories.provider(first_name="First")
    second = factories.provider(first_name="Second")
    Client.create(email="kim@example.org", name="Kim")
    Client.create(email="kim@example.org", name="Kim One", known_by=first)
    Client.create(email="kim@example.org", name="Kim Two", known_by=second)
    for known_by in (None, first):
        with pytest.raises(IntegrityError):
            with database.atomic():
                Client.create(email="kim@example.org", name="Again", known_by=known_by)
    assert Client.self_registered("kim@example.org").name == "Kim"
    assert Client.known_to(second, "kim@example.org").name == "Kim Two"


def test_the_migrated_schema_has_the_self_registered_index_as_a_partial_one(db):
    (index,) = [i for i in database.get_indexes("client")
                if i.name == "client_email_self_registered"]
    assert index.unique and index.columns == ["email"]
    assert re.search(r"WHERE \(?\"?known_by_id\"? IS NULL", index.sql)


def test_a_match_request_carries_what_was_typed_with_it_to_the_team_and_the_provider(
        app, client, db):
    factories.operate_in("CA")
    maya = factories.provider(first_name="Maya", email="maya@example.com", payers=("aetna",))
    submit(client, maya)  # Jamie Rivera, jamie@example.org, (555) 010-2233
    response, _ = ask(app.test_client(), name="Probe Person", email="jamie@example.org",
                      phone="(555) 999-0000")
    assert response.status_code == 303
    match = MatchRequest.get()
    assert (match.name, match.phone) == ("Probe Person", "(555) 999-0000")
    (received,) = emails("match_received")
    assert received.text_body.startswith("Hello Probe,")
    team = User.create(email="mia@alma.example", name="Mia", roles="matching",
                       password_hash=passwords.hash_password(PASSWORD))
    factories.sign_in(client, team, PASSWORD)
    page = text(client.get(f"/team/matching/{match.id}"))
    assert "Probe Person" in page and "Jamie" not in page and "010-2233" not in page
    omar = factories.provider(first_name="Omar", email="omar@example.com", payers=("aetna",))
    with app.app_context():
        request = matching.propose(match, omar, "Omar is near.", actor=team)
    assert (request.name, request.phone) == ("Probe Person", "(555) 999-0000")
