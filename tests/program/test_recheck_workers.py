"""Real `flask jobs run recheck-program-benefits` processes run together: each program
client's benefits are checked once (each check may cost the group a clearinghouse fee)."""
import datetime
import os
import subprocess
from pathlib import Path

from playhouse.migrations import Runner

from alma.benefits.models import EligibilityCheck
from alma.cli import MIGRATIONS
from alma.network.models import Client, Payer, ProgramClient, Provider
from tests.conftest import flask_command

ROOT = Path(__file__).resolve().parents[2]
MODELS = [Provider, Client, Payer, ProgramClient, EligibilityCheck]
CLIENTS = 150


def test_three_workers_check_each_client_once(scratch_database):
    Runner(scratch_database.database, directory=str(MIGRATIONS)).up()
    with scratch_database.database.bind_ctx(MODELS):
        uhc = Payer.get(Payer.slug == "unitedhealthcare")
        for n in range(CLIENTS):
            provider = Provider.create(slug=f"p-{n}", first_name="P", last_name=str(n),
                                       email=f"p{n}@example.com", npi=f"{n:010d}",
                                       gender="woman")
            client = Client.create(email=f"c{n}@example.com", name=f"Client {n}")
            ProgramClient.create(provider=provider, client=client, payer=uhc,
                                 member_id="ALMA-ACTIVE-COPAY", first_name="Sam",
                                 last_name=f"Client{n}", date_of_birth=datetime.date(1990, 1, 1),
                                 address="1 Main St", city="Oakland", state="CA", zip="94607",
                                 diagnosis_code="F41.1")
    env = {**os.environ, "DATABASE_URL": scratch_database.url, "SECRET_KEY": "recheck-test"}
    workers = [subprocess.Popen(flask_command("jobs", "run", "recheck-program-benefits"),
                                cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
               for _ in range(3)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0], outputs
    with scratch_database.database.bind_ctx(MODELS):
        checked = sorted(c.program_client_id for c in EligibilityCheck.select())
        assert checked == sorted(p.id for p in ProgramClient.select())
        assert ProgramClient.select().where(ProgramClient.check_claimed_at.is_null()).count() \
            == 0
