"""Static files: hashed names, a year of caching, compression, and the security headers."""
import gzip
import hashlib
import multiprocessing
import os
import re
import shutil
from pathlib import Path

import brotli
import pytest
from flask import Flask, render_template_string

from alma import assets
from alma.security import headers_for

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
HASHED = re.compile(r"^/static/(.+)\.([0-9a-f]{12})\.(css|js|svg)$")


def linked_files(client, path="/providers"):
    page = client.get(path).get_data(as_text=True)
    return (re.findall(r'<link rel="stylesheet" href="([^"]+)"', page),
            re.findall(r'<script src="([^"]+)"', page))


def test_a_pages_stylesheets_and_scripts_are_named_by_their_content(client):
    stylesheets, scripts = linked_files(client)
    assert stylesheets and len(scripts) >= 2
    for url in stylesheets + scripts:
        stem, digest, suffix = HASHED.match(url).groups()
        source = (STATIC / f"{stem}.{suffix}").read_bytes()
        assert hashlib.sha256(source).hexdigest().startswith(digest)


def test_a_hashed_file_is_cached_for_a_year_and_compressed_when_the_client_accepts_it(client):
    stylesheets, scripts = linked_files(client)
    for url in stylesheets + scripts:
        source = (STATIC / "{0}.{2}".format(*HASHED.match(url).groups())).read_bytes()

        plain = client.get(url)
        assert plain.status_code == 200
        assert plain.headers["Cache-Control"] == "max-age=31536000, public, immutable"
        assert "Content-Encoding" not in plain.headers and plain.data == source
        assert plain.headers["Vary"] == "Accept-Encoding"

        zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.data) == source
        assert len(zipped.data) < len(source)
        assert zipped.headers["Cache-Control"] == plain.headers["Cache-Control"]

        best = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert best.headers["Content-Encoding"] == "br"
        assert brotli.decompress(best.data) == source


def test_the_plain_names_still_work_with_a_short_cache(client):
    for name in ("favicon.svg", "css/app.css", "js/app.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert response.data == (STATIC / name).read_bytes()
        assert response.headers["Cache-Control"] == f"max-age={assets.PLAIN_MAX_AGE}, public"


def test_static_files_carry_the_same_security_headers_as_pages(app, client):
    stylesheets, scripts = linked_files(client)
    page = client.get("/providers")
    expected = headers_for(app.config)
    assert expected["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
    for url in stylesheets + scripts + ["/static/favicon.svg", "/static/css/app.css"]:
        response = client.get(url)
        for name, value in expected.items():
            assert response.headers.get(name) == value, (url, name)
        assert "Access-Control-Allow-Origin" not in response.headers


def test_over_https_static_files_carry_strict_transport_security_too(make_app):
    secure = make_app(BASE_URL="https://alma.example", HSTS=True).test_client()
    page = secure.get("/healthz", base_url="https://alma.example")
    response = secure.get("/static/css/app.css", base_url="https://alma.example")
    assert response.headers["Strict-Transport-Security"] == \
        page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_missing_static_file_is_still_a_404(client):
    assert client.get("/static/css/nothing.css").status_code == 404
    assert client.get("/static/css/app.000000000000.css").status_code == 404


# --- The build, on a static folder of its own ---------------------------------------

def small_app(source, instance, mode="production"):
    """A Flask app with only the assets wired in, serving `source` as its static folder."""
    app = Flask("assets_test", static_folder=str(source))
    app.config["ALMA_ENV"] = mode
    assets.init_app(app, str(instance))

    @app.get("/page")
    def page():
        return render_template_string("{{ url_for('static', filename='css/app.css') }}")

    return app


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    return folder


def edit(path, text):
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))  # a clock's resolution apart


def test_a_changed_file_gets_a_new_name_and_the_old_name_keeps_its_content(source, tmp_path):
    instance = tmp_path / "instance"
    first = small_app(source, instance).test_client()
    old_url = first.get("/page").get_data(as_text=True)
    old_content = first.get(old_url).data

    edit(source / "css" / "app.css", "body { color: teal; }\n")
    restarted = small_app(source, instance).test_client()  # as after a deploy
    new_url = restarted.get("/page").get_data(as_text=True)
    assert HASHED.match(new_url) and new_url != old_url
    assert restarted.get(new_url).data == b"body { color: teal; }\n"
    # A page cached before the deploy still gets the file it names.
    assert restarted.get(old_url).data == old_content
    assert restarted.get("/static/css/app.css").data == b"body { color: teal; }\n"


def test_in_development_an_edit_shows_on_the_next_page_without_a_restart(source, tmp_path):
    client = small_app(source, tmp_path / "instance", mode="development").test_client()
    old_url = client.get("/page").get_data(as_text=True)

    edited = "p { color: plum; }\n" * 50
    edit(source / "css" / "app.css", edited)
    new_url = client.get("/page").get_data(as_text=True)
    assert HASHED.match(new_url) and new_url != old_url
    served = client.get(new_url, headers={"Accept-Encoding": "gzip"})
    assert served.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    assert served.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(served.data) == edited.encode()
    assert client.get("/static/css/app.css").headers["Cache-Control"] == "max-age=0, public"


def _build(source, build):
    assets.Assets(source, build).build_all()


def test_workers_building_at_once_leave_whole_files_and_nothing_else(source, tmp_path):
    build = tmp_path / "instance" / "static"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_build, args=(source, build)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]

    built = assets.Assets(source, build)
    built.build_all()
    for relative, (hashed, _size, _mtime) in built.names.items():
        original = (source / relative).read_bytes()
        assert (build / hashed).read_bytes() == original
        zipped = build / (hashed + ".gz")
        if zipped.exists():
            assert gzip.decompress(zipped.read_bytes()) == original
    expected = {hashed for hashed, _size, _mtime in built.names.values()}
    on_disk = {p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file()}
    assert {name.removesuffix(".gz").removesuffix(".br") for name in on_disk} == expected
    assert not list((tmp_path / "instance" / ".static-tmp").iterdir())


def test_without_a_writable_instance_folder_pages_use_the_plain_names(source, tmp_path):
    not_a_folder = tmp_path / "instance"
    not_a_folder.write_text("a file where the instance folder should be")
    client = small_app(source, not_a_folder).test_client()
    assert client.get("/page").get_data(as_text=True) == "/static/css/app.css"
    assert client.get("/static/css/app.css").status_code == 200
