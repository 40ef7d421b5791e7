"""Real `flask jobs run provider-payouts` processes at once, on the day after a period ends:
one statement per provider, each paid once (on PostgreSQL, and on SQLite)."""
import datetime
import os
import subprocess
import sys
from pathlib import Path

from playhouse.migrations import Runner

from alma.billing.models import Invoice
from alma.billing.transfers import LocalTransfer
from alma.claims.models import Claim, Visit
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.cli import MIGRATIONS
from alma.network.models import Client, Payer, ProgramClient, Provider
from alma.payouts.models import PayoutLine, PayoutStatement, PayRate

ROOT = Path(__file__).resolve().parents[2]
MODELS = [Provider, Client, Payer, ProgramClient, Visit, Claim, Invoice, Remittance,
          ClaimPayment, PayRate, PayoutStatement, PayoutLine, LocalTransfer]
PROVIDERS, SESSIONS, WORKERS = 8, 3, 3
D = datetime.date


def _paid_sessions(database):
    with database.bind_ctx(MODELS):
        uhc = Payer.get(Payer.slug == "unitedhealthcare")
        remittance = Remittance.create(payer_identifier="87726", trace_number="W1",
                                       paid_cents=0, method="CHK",
                                       posted_at=datetime.datetime(2026, 11, 25, 12))
        for p in range(PROVIDERS):
            provider = Provider.create(slug=f"p{p}", first_name="P", last_name=f"Payee{p}",
                                       email=f"p{p}@example.com", npi=f"12453195{p:02d}",
                                       gender="woman", payout_account_id=f"acct_1Worker{p}")
            client = Client.create(email=f"c{p}@example.com", name=f"Client {p}")
            program_client = ProgramClient.create(
                provider=provider, client=client, payer=uhc, member_id=f"M{p}",
                first_name="Sam", last_name="Client", date_of_birth=D(1990, 1, 1),
                address="1 Main St", city="Oakland", state="CA", zip="94607",
                diagnosis_code="F41.1")
            for s in range(SESSIONS):
                visit = Visit.create(provider=provider, program_client=program_client,
                                     held_on=D(2026, 11, 2 + s), cpt_code="90834",
                                     telehealth=True, attendance="attended")
                claim = Claim.create(visit=visit, payer=uhc, charge_cents=12500,
                                     allowed_cents=12500, deductible_cents=0,
                                     coinsurance_cents=0, copay_cents=2500,
                                     patient_share_cents=2500, place_of_service="10", x12="",
                                     status="paid")
                ClaimPayment.create(remittance=remittance, claim=claim,
                                    patient_control_number=claim.patient_control_number,
                                    status_code="1", charge_cents=12500, paid_cents=10000,
                                    patient_cents=2500, payer_claim_number=f"SB{claim.id}",
                                    segment="CLP*…")


def test_workers_at_once_make_one_statement_each_and_pay_it_once(scratch_database):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    _paid_sessions(scratch_database.database)
    env = {**os.environ, "DATABASE_URL": scratch_database.url, "SECRET_KEY": "payouts-test",
           "ALMA_PAYMENT_GATEWAY": "local"}
    # The day after the period ends, wherever the suite's clock is.
    command = [sys.executable, "-m", "tests.clocked", "2026-12-01T02:00:00+00:00", "--app",
               "app", "jobs", "run", "provider-payouts"]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE) for _ in range(WORKERS)]
    outputs = [worker.communicate(timeout=180) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * WORKERS, outputs
    done = [int(out.decode().strip().rsplit(":", 1)[-1]) for out, _ in outputs]
    assert sum(done) == 3 * PROVIDERS  # each statement opened, made and paid by one worker
    with scratch_database.database.bind_ctx(MODELS):
        statements = list(PayoutStatement.select())
        assert len(statements) == PROVIDERS
        assert {s.status for s in statements} == {"paid"}
        assert {s.total_cents for s in statements} == {SESSIONS * 10000}
        assert PayoutLine.select().count() == PROVIDERS * SESSIONS
        transfers = list(LocalTransfer.select())
        assert sorted(t.idempotency_key for t in transfers) == sorted(
            s.idempotency_key for s in statements)
        assert {t.reference for t in transfers} == {s.transfer_reference for s in statements}
