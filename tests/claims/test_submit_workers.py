"""Real `flask jobs run submit-claims` processes at once, sending to the sandbox
clearinghouse over HTTP on loopback: each claim reaches the clearinghouse once."""
import dataclasses
import datetime
import os
import subprocess
from collections import Counter
from pathlib import Path

from playhouse.migrations import Runner

from alma.claims.models import Claim, SubmissionBatch, Visit, control_number_of
from alma.claims.remittance_models import ClaimEvent
from alma.claims.sandbox import Sandbox
from alma.claims.sandbox_http import serve, shutdown
from alma.claims.x12 import claim_837p
from alma.cli import MIGRATIONS
from alma.network.models import Client, Payer, ProgramClient, Provider
from tests.claims.test_x12 import make_claim
from tests.conftest import flask_command

ROOT = Path(__file__).resolve().parents[2]
MODELS = [Provider, Client, Payer, ProgramClient, Visit, SubmissionBatch, Claim, ClaimEvent]
CLAIMS = 60
WORKERS = 3
KEY = "workers-key"


def _claims(database):
    with database.bind_ctx(MODELS):
        uhc = Payer.get(Payer.slug == "unitedhealthcare")
        provider = Provider.create(slug="p-claims", first_name="P", last_name="Claims",
                                   email="p@example.com", npi="1245319599", gender="woman")
        for n in range(CLAIMS):
            client = Client.create(email=f"c{n}@example.com", name=f"Client {n}")
            program_client = ProgramClient.create(
                provider=provider, client=client, payer=uhc, member_id=f"ALMA-ACTIVE-COPAY-{n}",
                first_name="Sam", last_name=f"Client{n}", date_of_birth=datetime.date(1990, 1, 1),
                address="1 Main St", city="Oakland", state="CA", zip="94607",
                diagnosis_code="F41.1")
            visit = Visit.create(provider=provider, program_client=program_client,
                                 held_on=datetime.date(2026, 11, 23), cpt_code="90834",
                                 telehealth=True, attendance="attended")
            claim = Claim.create(visit=visit, payer=uhc, charge_cents=12500,
                                 allowed_cents=12500, deductible_cents=0, coinsurance_cents=0,
                                 copay_cents=2500, patient_share_cents=2500,
                                 place_of_service="10", modifiers="95", x12="")
            claim.x12 = claim_837p(dataclasses.replace(
                make_claim(), interchange_control_number=claim.id,
                claim_id=control_number_of(claim.id), member_id="ALMA-ACTIVE-COPAY",
                created_at=datetime.datetime(2026, 11, 24, 9, 0)))
            claim.save()


def test_workers_at_once_send_each_claim_once(scratch_database):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    _claims(scratch_database.database)
    sandbox = Sandbox()
    server, url = serve(sandbox, api_key=KEY)
    try:
        env = {**os.environ, "DATABASE_URL": scratch_database.url, "SECRET_KEY": "claims-test",
               "ALMA_CLAIMS_GATEWAY": "http", "ALMA_CLAIMS_URL": url,
               "ALMA_CLAIMS_POLL_URL": url, "ALMA_CLAIMS_API_KEY": KEY}
        workers = [subprocess.Popen(flask_command("jobs", "run", "submit-claims"), cwd=ROOT,
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                   for _ in range(WORKERS)]
        outputs = [worker.communicate(timeout=180) for worker in workers]
    finally:
        shutdown(server)
    assert [worker.returncode for worker in workers] == [0] * WORKERS, outputs
    sent = [int(out.decode().strip().rsplit(":", 1)[-1]) for out, _ in outputs]
    assert sum(sent) == CLAIMS
    received = Counter(pcn for _, pcn in sandbox.received())
    with scratch_database.database.bind_ctx(MODELS):
        claims = list(Claim.select())
        assert received == Counter(c.patient_control_number for c in claims)  # once each
        assert {c.status for c in claims} == {"submitted"}
        assert len({c.submission_key for c in claims}) == CLAIMS
        assert ClaimEvent.select().count() == CLAIMS
