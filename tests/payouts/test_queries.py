"""The payout pages read a fixed number of queries, however many lines: a provider with one
session of each kind and one with four get the same count, on the provider's pages (what
is coming, a statement, its CSV) and on the billing team's (a statement with its trace
links, its CSV)."""
import contextlib
import datetime

from flask import g

from alma.accounts.models import User
from alma.billing import service as billing
from alma.claims.models import Claim, Visit
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.clock import utcnow
from alma.db import db as database
from alma.network import vocab
from alma.network.models import Client, ProgramClient
from alma.payouts.models import RECOUPMENT, RECOVERY, SESSION, UNPAID, PayoutStatement
from tests import factories
from tests.payouts.helpers import D, on, run_on

KINDS = {SESSION, UNPAID, RECOUPMENT, RECOVERY}


@contextlib.contextmanager
def counted():
    """Every SQL statement the database runs meanwhile."""
    real, calls = database.obj.execute_sql, []

    def counting(sql, *args, **kwargs):
        calls.append(sql)
        return real(sql, *args, **kwargs)
    database.obj.execute_sql = counting
    try:
        yield calls
    finally:
        del database.obj.execute_sql


def _paid(provider, program_client, n, first, when, trace):
    """`n` sessions paid by one 835 posted at `when`, their copays due long ago."""
    uhc = factories.payer("unitedhealthcare")
    remittance = Remittance.create(payer_identifier="87726", trace_number=trace,
                                   payer_name="UNITEDHEALTHCARE", paid_cents=0, method="CHK",
                                   posted_at=when)
    claims = []
    for i in range(n):
        invoice = billing.issue("copay", [("Copay", 1, 2500)], due_on=D(2026, 9, 1),
                                owed_by_client=program_client.client,
                                treating_provider=provider)
        visit = Visit.create(provider=provider, program_client=program_client,
                             held_on=D(2026, 8, 3) + datetime.timedelta(days=first + i),
                             cpt_code="90834", telehealth=True, attendance="attended",
                             invoice=invoice)
        claim = Claim.create(visit=visit, payer=uhc, charge_cents=12500, allowed_cents=12500,
                             deductible_cents=0, coinsurance_cents=0, copay_cents=2500,
                             patient_share_cents=2500, place_of_service="10", x12="",
                             status="paid")
        ClaimPayment.create(remittance=remittance, claim=claim, status_code="1",
                            patient_control_number=claim.patient_control_number,
                            charge_cents=12500, paid_cents=10000, patient_cents=2500,
                            payer_claim_number=f"SBQ{claim.id}", segment="CLP*…")
        claims.append(claim)
    return claims


def _reverse(claims, when, trace):
    remittance = Remittance.create(payer_identifier="87726", trace_number=trace,
                                   paid_cents=0, method="NON", posted_at=when)
    for claim in claims:
        ClaimPayment.create(remittance=remittance, claim=claim, status_code="22",
                            patient_control_number=claim.patient_control_number,
                            charge_cents=-12500, paid_cents=-10000, patient_cents=-2500,
                            payer_claim_number=f"SBQ{claim.id}", segment="CLP*…")


def _world(n):
    """A provider whose statements and coming period have `n` lines of each kind."""
    provider = factories.provider(reindex=False)
    client = Client.create(email=f"q{provider.id}@example.org", name="Quinn Client",
                           state="CA")
    program_client = ProgramClient.create(
        provider=provider, client=client, payer=factories.payer("unitedhealthcare"),
        member_id=f"Q{provider.id}", first_name="Quinn", last_name="Client",
        date_of_birth=D(1990, 1, 1), address="1 Main St", city="Oakland", state="CA",
        zip="94607", diagnosis_code="F41.1")
    first = _paid(provider, program_client, n, 0, datetime.datetime(2026, 11, 20, 12),
                  f"Q{provider.id}A")
    return provider, program_client, first, factories.user_for(provider)


def _later(provider, program_client, first, n):
    """After the first statement: more sessions paid, the first ones' copays paid (a
    recovery each) and their claims reversed (a recoupment each)."""
    _paid(provider, program_client, n, 50, datetime.datetime(2026, 12, 3, 12),
          f"Q{provider.id}B")
    _reverse(first, datetime.datetime(2026, 12, 4, 12), f"Q{provider.id}R")
    with on(D(2026, 12, 5)):
        for claim in first:
            invoice = Claim.get_by_id(claim.id).visit.invoice
            billing.record_payment(invoice, 2500, "local", f"local_q_{invoice.id}")


def _as(http, user):
    g.pop("_login_user", None)  # the test's application context is the requests' too
    with http.session_transaction() as session:
        session.clear()
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["seen"] = utcnow().timestamp()


def _count(http, user, path, day):
    with on(day, hour=10):
        _as(http, user)
        vocab.current()  # the reference lists, cached a few minutes a process: not the page's
        with counted() as calls:
            response = http.get(path)
    assert response.status_code == 200, path
    return len(calls)


def _pages(http, provider, me, bea):
    """{page: queries} for the provider's and the team's pages of its two statements."""
    first, second = PayoutStatement.select().where(
        PayoutStatement.provider == provider.id).order_by(PayoutStatement.period_start)
    counts = {}
    for name, statement in (("first", first), ("second", second)):
        for path, user in ((f"/practice/payouts/{statement.id}", me),
                           (f"/practice/payouts/{statement.id}.csv", me),
                           (f"/team/payouts/{statement.id}", bea),
                           (f"/team/payouts/{statement.id}.csv", bea)):
            counts[(name, path.replace(str(statement.id), "N"))] = _count(
                http, user, path, D(2026, 12, 20))
    return counts


def test_the_payout_pages_read_as_many_queries_for_one_line_as_for_many(client, app_ctx):
    factories.operate_in("CA")
    bea = User.create(email="bea@alma.example", name="Bea Billing", roles="billing")
    worlds = {n: _world(n) for n in (1, 4)}
    coming = {}
    for n, (provider, program_client, first, me) in worlds.items():
        coming[n, "before"] = _count(client, me, "/practice/payouts", D(2026, 11, 28))
    run_on(D(2026, 12, 1))
    for n, (provider, program_client, first, me) in worlds.items():
        _later(provider, program_client, first, n)
        coming[n, "after"] = _count(client, me, "/practice/payouts", D(2026, 12, 10))
    run_on(D(2026, 12, 16))
    pages = {n: _pages(client, provider, me, bea)
             for n, (provider, _, _, me) in worlds.items()}
    # The worlds are what they should be: every kind of line, n of each.
    for n, (provider, *_) in worlds.items():
        lines = [line for s in provider.payout_statements for line in s.lines]
        assert {line.kind for line in lines} == KINDS
        assert len(lines) == 6 * n  # sessions and unpaid twice, recoupments, recoveries
    assert coming[1, "before"] == coming[4, "before"]
    assert coming[1, "after"] == coming[4, "after"]
    assert pages[1] == pages[4]
