"""A property: for any sequence of remittances, reversals and client payments, a provider's
payouts equal their paid sessions at their rate, minus recoupments, minus balances unpaid
60 days after their due date on sessions paid out, plus what was recovered of them; and
what was transferred, plus what is still carried, is exactly that. A claim paid, reversed
and paid again is paid out again.

The oracle below works from the raw facts with no database: which claims were paid or
reversed before each statement day, and each invoice's payments."""
import datetime
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alma.billing import service as billing
from alma.billing.transfers import LocalTransfer
from alma.claims.models import Claim, Visit
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.db import db as database
from alma.network.models import Client, ProgramClient
from alma.payouts.models import PayoutLine, PayoutStatement
from tests import factories
from tests.payouts.helpers import D, on, run_on

RATE, SHARE, CLAIMS = 10000, 2500, 3
START = D(2026, 11, 20)
DUE = D(2026, 12, 7)
RUNS = [D(y, m, d) for y, m in ((2026, 12), (2027, 1), (2027, 2), (2027, 3), (2027, 4))
        for d in (1, 16)]
KINDS = ["pay", "reverse", "client_group", "client_part", "client_direct"]
ops = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, CLAIMS - 1),
                         st.integers(0, 140)), max_size=14)


def _world():
    factories.operate_in("CA")
    provider = factories.provider(reindex=False, payout_account_id="acct_1Property")
    client = Client.create(email="prop@example.org", name="Prop Client", state="CA")
    uhc = factories.payer("unitedhealthcare")
    program_client = ProgramClient.create(
        provider=provider, client=client, payer=uhc, member_id="M1", first_name="Pat",
        last_name="Client", date_of_birth=D(1990, 1, 1), address="1 Main St", city="Oakland",
        state="CA", zip="94607", diagnosis_code="F41.1")
    claims, invoices = [], []
    for n in range(CLAIMS):
        with on(D(2026, 11, 2 + 7 * n)):
            invoice = billing.issue("copay", [("Copay", 1, SHARE)], due_on=DUE,
                                    owed_by_client=client, treating_provider=provider)
            visit = Visit.create(provider=provider, program_client=program_client,
                                 held_on=D(2026, 11, 2 + 7 * n), cpt_code="90834",
                                 telehealth=True, attendance="attended", invoice=invoice)
        claims.append(Claim.create(visit=visit, payer=uhc, charge_cents=12500,
                                   allowed_cents=12500, deductible_cents=0,
                                   coinsurance_cents=0, copay_cents=SHARE,
                                   patient_share_cents=SHARE, place_of_service="10",
                                   x12="", status="accepted"))
        invoices.append(invoice)
    return provider, claims, invoices


def _post(claim, status, when, n):
    remittance = Remittance.create(payer_identifier="87726", trace_number=f"T{n}",
                                   paid_cents=0, method="NON", posted_at=when)
    sign = -1 if status == "22" else 1
    ClaimPayment.create(remittance=remittance, claim=claim,
                        patient_control_number=claim.patient_control_number,
                        status_code=status, charge_cents=sign * 12500,
                        paid_cents=sign * (12500 - SHARE), patient_cents=sign * SHARE,
                        payer_claim_number="SB1", segment="CLP*…")


def _apply(kind, claim, invoice, when, n):
    """Do it in the database; return the fact the oracle needs (or None if nothing)."""
    due = billing.amounts(invoice).due
    if kind == "pay":
        _post(claim, "1", when, n)
        return ("pay", claim.id, when)
    if kind == "reverse":
        _post(claim, "22", when, n)
        return ("reverse", claim.id, when)
    amount = min(1000, due) if kind == "client_part" else due
    if amount <= 0:
        return None
    gateway = "direct" if kind == "client_direct" else "local"
    with on(when.date(), hour=12):
        billing.record_payment(invoice, amount, gateway, f"{gateway}:{n}")
    return ("paid", invoice.id, when, amount, gateway)


def _oracle(facts, claims, invoices):
    """What the lines must add up to, from the facts alone."""
    claim_of = {invoice.id: claim.id for claim, invoice in zip(claims, invoices)}
    paid_out, deducted, recovered, total = set(), {}, {}, 0
    for run in RUNS:
        until = datetime.datetime.combine(run, datetime.time())
        made_at = until + datetime.timedelta(hours=2)
        period_end = run - datetime.timedelta(days=1)
        before = [f for f in facts if f[2] < until]
        for claim in claims:
            # Paid now: more payments than reversals (each reversal takes back one).
            paid = Counter(f[0] for f in before if f[1] == claim.id and f[0] != "paid")
            if claim.id in paid_out and paid["pay"] <= paid["reverse"]:
                paid_out.discard(claim.id)  # recouped
                total -= RATE
            elif claim.id not in paid_out and paid["pay"] > paid["reverse"]:
                paid_out.add(claim.id)  # paid (again)
                total += RATE
        for invoice in invoices:
            due = SHARE - sum(f[3] for f in facts if f[0] == "paid" and f[1] == invoice.id
                              and f[2] < made_at)
            if (claim_of[invoice.id] in paid_out and invoice.id not in deducted and due > 0
                    and (period_end - DUE).days >= 60):
                deducted[invoice.id] = (due, made_at)
                total -= due
        for invoice_id, (cents, when) in deducted.items():
            later = sum(f[3] for f in before if f[0] == "paid" and f[1] == invoice_id
                        and f[4] == "local" and f[2] >= when)
            now = min(later, cents)
            total += now - recovered.get(invoice_id, 0)
            recovered[invoice_id] = now
    return total


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(steps=ops)
def test_payouts_are_paid_sessions_less_recoupments_and_unpaid_balances_plus_recoveries(
        app_ctx, steps):
    with database.atomic() as savepoint:
        provider, claims, invoices = _world()
        moments = sorted([(START + datetime.timedelta(days=day), n, kind, index)
                          for n, (kind, index, day) in enumerate(steps)])
        facts, runs = [], list(RUNS)
        for day, n, kind, index in moments:
            while runs and runs[0] <= day:
                run_on(runs.pop(0))
            when = datetime.datetime.combine(day, datetime.time(12))
            fact = _apply(kind, claims[index], invoices[index], when, n)
            if fact:
                facts.append(fact)
        for run in runs:
            run_on(run)
        lines = list(PayoutLine.select().join(PayoutStatement)
                     .where(PayoutStatement.provider == provider.id))
        assert sum(line.amount_cents for line in lines) == _oracle(facts, claims, invoices)
        statements = list(PayoutStatement.select().where(
            PayoutStatement.provider == provider.id).order_by(PayoutStatement.period_start))
        carried = 0
        for statement in statements:
            assert statement.carried_in_cents == carried
            assert statement.total_cents == carried + sum(
                line.amount_cents for line in lines if line.statement_id == statement.id)
            carried = statement.carried_out_cents
        sent = sum(t.amount_cents for t in LocalTransfer.select())
        assert sent + carried == sum(line.amount_cents for line in lines)
        assert all(t.amount_cents > 0 for t in LocalTransfer.select())
        assert len({line.source_key for line in lines}) == len(lines)
        savepoint.rollback()
