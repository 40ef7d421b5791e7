"""Zip codes come from the database, and no web process loads the packaged table."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zipcodes

from alma import geo

ROOT = Path(__file__).resolve().parent.parent


def test_a_zip_code_is_found_with_its_place_and_coordinates(app_ctx):
    place = geo.lookup_zip("10001")
    assert place == geo.Place("10001", "New York", "NY", 40.7484, -73.9967)
    assert geo.lookup_zip("00000") is None


@pytest.mark.parametrize("typed", ["1000", "100011", "1000a", "１０００１", "1000\x00", "",
                                   None, 10001])
def test_anything_but_five_ascii_digits_is_no_place(app_ctx, typed):
    assert geo.lookup_zip(typed) is None


def test_the_migration_holds_every_packaged_zip_code_with_coordinates(app_ctx):
    packaged = {row["zip_code"] for row in zipcodes.list_all() if row["lat"] and row["long"]}
    assert geo.ZipCode.select().count() == len(packaged) > 40_000
    by_state = geo.zips_by_state()
    assert sum(len(places) for places in by_state.values()) == len(packaged)
    assert by_state["NY"] == sorted(by_state["NY"])
    assert geo.lookup_zip("10001") in by_state["NY"]


def test_a_web_process_never_imports_the_packaged_table_or_the_http_client():
    # A fresh interpreter, as a gunicorn worker starts: what does importing the app load?
    env = dict(os.environ, ALMA_ENV="production", SECRET_KEY="x",
               DATABASE_URL="sqlite:///:memory:")
    probe = ("import json, sys; import app; "
             "print(json.dumps([m for m in ('zipcodes', 'requests', 'stripe') "
             "if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_zip_code_looked_up_is_kept_and_the_kept_are_bounded(app_ctx, monkeypatch):
    monkeypatch.setattr(geo, "_looked_up", {})
    monkeypatch.setattr(geo, "ZIPS_KEPT", 2)
    asked = []
    select = geo.ZipCode.select
    monkeypatch.setattr(geo.ZipCode, "select", lambda *a: asked.append(a) or select(*a))
    first = geo.lookup_zip("10001")
    assert geo.lookup_zip("10001") == first and len(asked) == 1  # kept: no second query
    geo.lookup_zip("00000"), geo.lookup_zip("94110")
    assert len(geo._looked_up) <= 2 and geo.lookup_zip("00000") is None
