"""Two real worker processes post the same 835 at the same moment: one credit note, one
refund, one review, whatever they do (on PostgreSQL, rows locked and keys unique)."""
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playhouse.migrations import Runner

from alma.billing.models import CreditNote, Invoice, InvoiceLine, Payment, Refund
from alma.claims import sandbox_x12
from alma.claims.models import Claim, Visit, control_number_of
from alma.claims.reconcile_models import PENDING, ReconciledMoney, ShareReconciliation
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.cli import MIGRATIONS
from alma.db import is_postgres
from alma.mail.models import OutboundEmail
from alma.models import ALL_MODELS
from alma.network.models import Client, Payer, ProgramClient, Provider

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
HELD = datetime.date(2026, 11, 23)


def _session(provider, uhc, n, paid):
    """A session with a $25 copay invoiced (and paid, if `paid`) and its claim."""
    client = Client.create(email=f"c{n}@example.com", name=f"Client {n}")
    program_client = ProgramClient.create(
        provider=provider, client=client, payer=uhc, member_id=f"ALMA-ACTIVE-COPAY-{n}",
        first_name="Sam", last_name=f"Client{n}", date_of_birth=datetime.date(1990, 1, 1),
        address="1 Main St", city="Oakland", state="CA", zip="94607", diagnosis_code="F41.1")
    invoice = Invoice.create(number=f"AL-2026-W{n}", kind="copay", owed_by_client=client,
                             total_cents=2500, issued_on=HELD, due_on=HELD,
                             treating_provider=provider, status="paid" if paid else "open")
    InvoiceLine.create(invoice=invoice, description="Copay", unit_cents=2500)
    if paid:
        Payment.create(invoice=invoice, amount_cents=2500, gateway="local",
                       reference=f"local_paid_{n}")
    visit = Visit.create(provider=provider, program_client=program_client, held_on=HELD,
                         cpt_code="90834", telehealth=True, attendance="attended",
                         invoice=invoice)
    return Claim.create(visit=visit, payer=uhc, status="accepted", charge_cents=12500,
                        allowed_cents=12500, deductible_cents=0, coinsurance_cents=0,
                        copay_cents=2500, patient_share_cents=2500, place_of_service="10",
                        modifiers="95", x12="")


def _835(claims_and_decisions):
    payer = {"payer_id": "87726", "payer_name": "UNITEDHEALTHCARE", "payer_tax_id": "411289245",
             "tax_id": "123456789", "npi": "1245319599", "group_name": "ALMA HEALTH GROUP",
             "submitter_id": "ALMA"}
    entries = [({"pcn": control_number_of(claim.id), "charge_cents": 12500,
                 "last_name": "Client", "first_name": "Sam", "member_id": "ALMA-ACTIVE-COPAY",
                 "procedure": "90834:95", "service_date": HELD.strftime("%Y%m%d")},
                {"status": "1", "payer_claim_number": f"SB{claim.id:010d}", **decision}, 1)
               for claim, decision in claims_and_decisions]
    return sandbox_x12.remittance_835(payer, entries, "SB835W000001", 900,
                                      datetime.datetime(2026, 12, 1, 9, 0))


def test_two_workers_posting_the_same_835_reconcile_once(scratch_database, tmp_path):
    if not is_postgres():
        pytest.skip("SQLite has one writer at a time")
    database = scratch_database.database
    Runner(database, directory=str(MIGRATIONS)).up()
    with database.bind_ctx(ALL_MODELS):
        uhc = Payer.get(Payer.slug == "unitedhealthcare")
        provider = Provider.create(slug="p-w", first_name="P", last_name="W",
                                   email="p@example.com", npi="1245319599", gender="woman")
        lower = _session(provider, uhc, 1, paid=True)
        higher = _session(provider, uhc, 2, paid=False)
    text = _835([(lower, {"paid_cents": 11500, "patient_cents": 1000,
                          "adjustments": [("PR", "3", 1000)]}),
                 (higher, {"paid_cents": 0, "patient_cents": 12500,
                           "adjustments": [("PR", "1", 12500)]})])
    path = tmp_path / "same.835"
    path.write_text(text)
    env = {**os.environ, "DATABASE_URL": scratch_database.url, "SECRET_KEY": "reconcile-test",
           "ALMA_PAYMENT_GATEWAY": "local"}
    start = str(time.time() + 4)
    from alma.clock import utcnow

    now = utcnow().isoformat()
    workers = [subprocess.Popen([sys.executable, "-m", "tests.claims.post_835_worker",
                                 str(path), start, now], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(WORKERS)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [w.returncode for w in workers] == [0] * WORKERS, outputs
    said = sorted(out.decode().strip().splitlines()[-1] for out, _ in outputs)
    assert said == ["posted", "seen before"], outputs
    with database.bind_ctx(ALL_MODELS):
        assert Remittance.select().count() == 1 and ClaimPayment.select().count() == 2
        assert ShareReconciliation.select().count() == 2
        assert CreditNote.select().count() == 1 and Refund.select().count() == 1
        assert (Refund.get().amount_cents, CreditNote.get().amount_cents) == (1500, 1500)
        # The refund credits the invoice with it: one row ties both to the reconciliation.
        (money,) = ReconciledMoney.select()
        assert (money.refund_id, money.credit_note_id) == (Refund.get().id, CreditNote.get().id)
        receipts = OutboundEmail.select().where(OutboundEmail.template == "refund_receipt")
        assert receipts.count() == 1
        review = ShareReconciliation.get(ShareReconciliation.claim == higher.id)
        assert (review.review_status, review.difference_cents) == (PENDING, 10000)
        assert OutboundEmail.select().where(OutboundEmail.template == "share_lowered").count() == 1
