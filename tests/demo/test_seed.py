"""The demo of every role (alma/demo): every persona and every state it promises, made
through the features' services; `seed --if-empty` leaves it alone; /dev only in
development."""
import re

import pytest
from werkzeug.exceptions import NotFound

from alma.accounts.models import User
from alma.accounts.service import ROLES
from alma.billing.models import Invoice
from alma.claims.clearinghouse import local_sandbox
from alma.claims.models import Claim, Visit
from alma.claims.reconcile_models import PENDING, ShareReconciliation
from alma.clock import today
from alma.consultations.models import ConsultationRequest
from alma.demo import seed as roles
from alma.demo.people import CLIENT_EMAIL, IN_PROGRAM, MEMBER, PROVIDERS
from alma.directory import demo
from alma.directory.models import Listing
from alma.mail.delivery import build_message
from alma.mail.models import QUEUED, OutboundEmail
from alma.mail.service import rebased
from alma.matching.models import MatchRequest
from alma.membership.models import Membership, MembershipApplication, OnboardingSlot
from alma.network.models import Client, Provider
from alma.program.models import CredentialingCase, InsuranceEnrollment
from alma.schedule import registry


@pytest.fixture
def seeded(app, app_ctx):
    local_sandbox(app).reset()
    demo.seed(300, 7)
    counts = roles.seed()
    yield counts
    local_sandbox(app).reset()


def _provider(key):
    return Provider.get(Provider.email == PROVIDERS[key][2])


def test_every_team_role_has_a_person(seeded):
    have = {role for user in User.select() for role in user.role_set}
    assert have == set(ROLES)


def test_both_provider_personas_are_listed_members_with_accounts(seeded):
    for key in (IN_PROGRAM, MEMBER):
        provider = _provider(key)
        assert User.get(User.provider == provider.id).active
        assert Membership.get(Membership.provider == provider.id).left_on is None
        assert Listing.select().where(Listing.provider == provider.id).exists()
    enrolled = InsuranceEnrollment.select().where(
        InsuranceEnrollment.provider == _provider(MEMBER).id)
    assert not enrolled.exists()


def test_no_demo_invoice_is_due_before_it_was_issued(seeded):
    invoices = list(Invoice.select())
    assert invoices
    assert [i.number for i in invoices if i.due_on < i.issued_on] == []


def test_the_program_member_has_clients_sessions_and_claims_in_every_state(seeded):
    member = _provider(IN_PROGRAM)
    cases = CredentialingCase.select().join(InsuranceEnrollment).where(
        InsuranceEnrollment.provider == member.id)
    assert cases.count() >= 2 and {c.status for c in cases} == {"approved"}
    claims = Claim.select().join(Visit).where(Visit.provider == member.id)
    assert {c.status for c in claims} == {"paid", "partly_paid", "denied", "rejected",
                                          "accepted", "ready"}
    assert all(c.x12 for c in claims)
    assert Visit.select().where(Visit.attendance == "no_show").count() == 1
    assert seeded["program_clients"] == 5


def test_the_billing_team_has_a_higher_share_to_review(seeded):
    # Otherwise the billing persona's /team/claims/reviews is empty: nothing to approve or waive.
    waiting = ShareReconciliation.select().where(ShareReconciliation.review_status == PENDING)
    assert [r.owed_cents > r.billed_cents for r in waiting] == [True]


def test_credentialing_cases_are_at_several_stages_and_ages(seeded):
    cases = list(CredentialingCase.select())
    assert {c.status for c in cases} >= {"submitted", "approved", "denied"}
    waiting = [c for c in cases if c.status == "submitted"]
    assert max((today() - c.opened_on).days for c in waiting) > 45
    assert min((today() - c.opened_on).days for c in waiting) < 7
    assert any(c.licence_verified for c in waiting) and not all(
        c.licence_verified for c in waiting)


def test_invoices_are_paid_open_and_overdue(seeded):
    invoices = list(Invoice.select())
    paid = [i for i in invoices if i.status == "paid"]
    open_ = [i for i in invoices if i.status == "open" and i.due_on >= today()]
    overdue = [i for i in invoices if i.status == "open" and i.due_on < today()]
    assert paid and open_ and overdue
    assert {i.kind for i in paid} >= {"membership_fee", "copay"}
    dana = _provider(MEMBER)
    assert [i.owed_by_provider_id for i in overdue] == [dana.id]


def test_applications_calls_requests_and_matches(seeded):
    assert {a.status for a in MembershipApplication.select()} == {
        "applied", "call_booked", "refused", "approved"}
    assert OnboardingSlot.select().where(OnboardingSlot.application.is_null(False)).count() == 1
    client = Client.self_registered(CLIENT_EMAIL)
    assert ConsultationRequest.select().where(ConsultationRequest.client == client.id).exists()
    assert MatchRequest.select().where(MatchRequest.client == client.id).exists()
    assert {m.status for m in MatchRequest.select()} >= {"proposed"}
    assert {r.status for r in ConsultationRequest.select()} >= {"pending", "accepted"}


def test_seed_if_empty_leaves_the_demo_alone(app, db):
    runner = app.test_cli_runner()
    local_sandbox(app).reset()
    try:
        first = runner.invoke(args=["seed", "--if-empty", "--providers", "300"])
        assert first.exit_code == 0, first.output
        assert "Be any of them at /dev" in first.output
        users = User.select().count()
        again = runner.invoke(args=["seed", "--if-empty", "--providers", "300"])
        assert again.exit_code == 0 and "leaving the demo data as it is" in again.output
        assert User.select().count() == users
        remade = runner.invoke(args=["seed", "--providers", "300"])  # everything made again
        assert remade.exit_code == 0, remade.output
        assert User.select().count() == users and Claim.select().count() == 15
    finally:
        local_sandbox(app).reset()


# The demo shows claims waiting to be sent and only acknowledged: the worker sends and
# reads them within its first minutes, as it would for a provider's new claims.
CLAIM_JOBS = {"submit-claims", "read-claim-reports"}


def test_the_workers_first_start_on_the_demo_emails_nobody_and_bills_nobody(seeded):
    """`make run` seeds, then starts the worker: the demo's emails are its history (read at
    /dev/mail), and what the demo's day calls for (fees begun, reminders due) is done."""
    assert OutboundEmail.select().where(OutboundEmail.status == QUEUED).count() == 0
    assert OutboundEmail.select().exists()
    did = {name: job() for name, (job, _) in registry().items() if name not in CLAIM_JOBS}
    assert {name: n for name, n in did.items() if n not in (0, None)} == {}


@pytest.mark.parametrize("env", ["test", "production", None])
def test_dev_exists_only_in_development(db, make_app, monkeypatch, env):
    if env is None:
        monkeypatch.delenv("ALMA_ENV", raising=False)  # unset means production
        built = make_app()
    else:
        built = make_app(ALMA_ENV=env)
    assert "demo" not in built.blueprints
    with pytest.raises(NotFound):
        built.url_map.bind("localhost").match("/dev", method="GET")
    with pytest.raises(NotFound):
        built.url_map.bind("localhost").match("/dev/sign-in/admin", method="POST")
    if env == "test":  # production refuses this test's SQLite and host before routing
        assert built.test_client().get("/dev").status_code == 404
        assert make_app(ALMA_ENV="development").test_client().get("/dev").status_code == 200


def test_a_directory_too_small_for_the_demo_is_refused_in_words(app_ctx):
    demo.seed(5, 2026)
    with pytest.raises(roles.DemoProblem, match="--providers 100"):
        roles.seed()
    assert not User.select().exists()


def test_the_demos_emails_link_to_where_the_site_is_served(app, seeded, monkeypatch):
    """Seeded without BASE_URL (written for the default), served by `PORT=5001 make run`:
    every link of every seeded email, as /dev/mail shows it and as it would be sent, is on
    port 5001. (The seed's own emails count as sent: they are read at /dev/mail.)"""
    seeded_for = app.config["BASE_URL"]
    assert seeded_for != "http://127.0.0.1:5001"
    monkeypatch.setitem(app.config, "BASE_URL", "http://127.0.0.1:5001")
    rows = list(OutboundEmail.select())
    links = []
    for row in rows:
        message = build_message(row, "Alma <hello@alma.example>")
        for part in ("plain", "html"):
            links += re.findall(r"https?://[^\s\"'<>]+", message.get_body((part,)).get_content())
        links += re.findall(r"https?://[^\s\"'<>]+", rebased(row.text_body, row.base_url))
    ours = [link for link in links if link.startswith("http://127.0.0.1:5001/")]
    assert len(rows) > 10 and len(ours) > 10
    assert [link for link in links if link.startswith(seeded_for)] == []