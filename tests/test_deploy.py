"""A real deploy: production refuses a throwaway database, and the Python version is pinned."""
import subprocess
import sys
from pathlib import Path

import pytest

from alma.config import ConfigError, check_can_serve, from_environment

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# No ALMA_ENV: production. Limits count in a Redis (never reached by these checks).
PRODUCTION = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "deploy-test",
              "REDIS_URL": "redis://redis.internal:6379/0"}
REFUSAL = "DATABASE_URL is not set"


def test_production_refuses_sqlite_unless_it_is_asked_for(tmp_path):
    with pytest.raises(ConfigError, match="ALMA_ALLOW_SQLITE=1"):
        check_can_serve(from_environment(str(tmp_path), PRODUCTION))
    explicit = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/alma.db"}
    with pytest.raises(ConfigError, match=REFUSAL):
        check_can_serve(from_environment(str(tmp_path), explicit))
    check_can_serve(from_environment(str(tmp_path), {**explicit, "ALMA_ALLOW_SQLITE": "1"}))
    check_can_serve(from_environment(str(tmp_path), {
        **PRODUCTION, "DATABASE_URL": "postgresql://alma@db.internal:5432/alma"}))
    # The local demo and the tests keep their SQLite.
    check_can_serve(from_environment(str(tmp_path), {"ALMA_ENV": "development"}))


def test_the_app_answers_503_in_production_without_a_database_url(make_app, tmp_path):
    app = make_app(ALMA_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/alma.db")
    client = app.test_client()
    assert client.get("/providers", headers={"Host": "127.0.0.1"}).status_code == 503
    assert client.get("/healthz", headers={"Host": "127.0.0.1"}).status_code == 503


def test_gunicorn_refuses_to_start_without_a_database_url():
    result = subprocess.run([str(BIN / "gunicorn"), "app:app"], cwd=ROOT,
                            env={**PRODUCTION, "BIND": "127.0.0.1:0"}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert REFUSAL in result.stderr


@pytest.mark.parametrize("command", [["worker"], ["jobs", "run", "deliver-email"],
                                     ["db", "upgrade"]])
def test_commands_refuse_to_run_in_production_without_a_database_url(command):
    result = subprocess.run([str(BIN / "flask"), "--app", "app", *command], cwd=ROOT,
                            env=PRODUCTION, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert REFUSAL in result.stderr and "ALMA_ALLOW_SQLITE=1" in result.stderr


def test_commands_run_when_sqlite_is_asked_for(make_app, tmp_path):
    app = make_app(ALMA_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/alma.db",
                   ALLOW_SQLITE=True)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Applied" in result.output
    refused = make_app(ALMA_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/alma.db")
    result = refused.test_cli_runner().invoke(args=["db", "status"])
    assert result.exit_code == 1 and REFUSAL in result.output


def test_the_python_version_is_pinned_for_buildpacks_and_the_makefile():
    pinned = (ROOT / ".python-version").read_text().strip()
    assert pinned == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert "cat .python-version" in (ROOT / "Makefile").read_text()
    assert "web: gunicorn app:app" in (ROOT / "Procfile").read_text().splitlines()


def test_the_demo_seed_refuses_production_unless_it_is_asked_for(make_app, tmp_path):
    # ALMA_ENV unset is production: a stray `flask seed` would fill a real directory
    # with invented therapists, whose made-up addresses the worker would then email.
    url = f"sqlite:///{tmp_path}/alma.db"
    app = make_app(ALMA_ENV="production", DATABASE_URL=url, ALLOW_SQLITE=True)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    refused = runner.invoke(args=["seed", "--providers", "30"])
    assert refused.exit_code == 1
    assert "--in-production" in refused.output
    assert "Seeded" not in refused.output
    asked = runner.invoke(args=["seed", "--providers", "30", "--in-production"])
    assert asked.exit_code == 0, asked.output
    assert "Seeded 30 providers" in asked.output
