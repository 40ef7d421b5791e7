"""The hostile corpus of test_hostile_input.py, in the other parts of a request.

Headers the app reads (a Referer that is no address, htmx's, a request id, cookies) go to
every route, and bodies that are no browser's form (JSON, deeply nested JSON, a file for
every field, broken multipart) to every POST, as a stranger, a provider and an admin.
Nothing may answer with a 5xx, and a form's values never skip alma/inputs.py.
"""
import json

import pytest

from alma.db import db as database
from tests.test_hostile_input import (_field_names, _routes, _signed_in_cookie, _urls,
                                      world)  # noqa: F401 (a fixture)

HEADERS = [
    {"Referer": "http://[x"}, {"Referer": "//[::1/providers?x"}, {"Referer": "\x00"},
    {"HX-Request": "true"}, {"HX-Request": "true", "HX-Boosted": "true"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true", "HX-Current-URL": "http://[x"},
    {"X-Request-ID": "\x00" * 20, "Accept-Language": "\x00;q=x,," * 50},
    {"Cookie": "session=\x00"}, {"Cookie": "session=" + "a" * 5000},
    {"If-Modified-Since": "Thu, 99 Zzz 99999", "If-None-Match": "\x00"},
]


def _file_parts():
    parts = "".join(f'--X\r\nContent-Disposition: form-data; name="{name}"; filename="f"\r\n'
                    f"\r\nv\r\n" for name in _field_names())
    return parts + "--X--\r\n"


BODIES = [
    ("application/json", json.dumps({name: "a\x00b\u202e" for name in _field_names()})),
    ("application/json", json.dumps({"email": ["a@example.org"], "name": {"x": 1}, "q": 5})),
    ("application/json", "[" * 3000), ("application/json", "[1, 2]"),
    ("multipart/form-data; boundary=X", _file_parts()),
    ("multipart/form-data; boundary=X", "--X\r\n"), ("multipart/form-data", "no boundary"),
    ("application/x-www-form-urlencoded", "%ff%fe=%ff&a=%00&&&=&=="),
    ("text/plain", "a=b"),
]


def _as(app, world, who):  # noqa: F811
    user = {"stranger": None, "provider": world["user"], "admin": world["admin"]}[who]
    return _signed_in_cookie(app, user)


def _send(app, cookie, method, url, **kwargs):
    http = app.test_client()
    if cookie and "Cookie" not in kwargs.get("headers", {}):
        http.set_cookie("session", cookie)
    with database.atomic() as savepoint:
        response = http.open(url, method=method, **kwargs)
        savepoint.rollback()
    return response


@pytest.mark.parametrize("who", ["stranger", "provider", "admin"])
def test_no_hostile_header_anywhere_is_a_server_error(app, world, who):  # noqa: F811
    cookie = _as(app, world, who)
    app.config["WTF_CSRF_ENABLED"] = False
    failures = []
    try:
        for rule, method in _routes(app):
            for url in _urls(rule, world, "x"):
                for headers in HEADERS:
                    response = _send(app, cookie, method, url, headers=headers)
                    if response.status_code >= 500:
                        failures.append(f"{method} {url} {headers!r:.60}: "
                                        f"{response.status_code}")
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("who", ["stranger", "provider", "admin"])
def test_no_body_but_a_browsers_form_reaches_a_view(app, world, who):  # noqa: F811
    cookie = _as(app, world, who)
    app.config["WTF_CSRF_ENABLED"] = False
    failures = []
    try:
        for rule, method in _routes(app):
            if method != "POST":
                continue
            for url in _urls(rule, world, "x"):
                for content_type, body in BODIES:
                    response = _send(app, cookie, "POST", url, data=body.encode(),
                                     headers={"Content-Type": content_type})
                    if response.status_code >= 500:
                        failures.append(f"POST {url} {content_type} {body[:20]!r}: "
                                        f"{response.status_code}")
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert not failures, "\n".join(failures[:40])
