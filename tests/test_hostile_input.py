"""The same hostile corpus, sent to every route and every form, as every kind of visitor.

Control characters, NUL bytes, bidi overrides, huge and empty values, spaces only, digits
from other scripts, non-finite numbers and impossible dates go into every part of a URL,
every query parameter and every form field the app knows, for a stranger, a provider in
the insurance program and an admin. Nothing may answer with a 5xx: the database (SQLite or
PostgreSQL, which refuses NUL bytes outright) never sees what alma/inputs.py cleans away,
and every form refuses what it can't use with a 4xx.

Each request runs in a savepoint that is rolled back, so every one meets the same world.
"""
import datetime
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from wtforms.fields.core import UnboundField

from alma import inputs
from alma.accounts import passwords
from alma.accounts.models import User
from alma.benefits import checks
from alma.claims import sessions
from alma.clock import today
from alma.consultations.models import ConsultationRequest
from alma.db import db as database
from alma.directory.criteria import FIELDS as SEARCH_FIELDS
from alma.membership import fees
from alma.membership.models import MembershipApplication
from alma.network.models import Client
from alma.program import clients, credentialing, enrolment
from alma.program.models import CredentialingCase
from tests import factories

PASSWORD = "a long and memorable passphrase"
CORPUS = [
    "\x00", "a\x00b", "Zed\r\nOther\t\u202eevil\u200b\ufeff", "     ", "", "x" * 3000,
    "\u0661\u0662", "sNaN", "-Infinity", "1e999999", "9" * 40, "-1", "0001-01-01",
    "9999-12-31T23:59", "<script>alert(1)</script>'; --", "../%00/\U0001F600",
]
# Names no form declares but views read.
EXTRA_FIELDS = ("action", "confirm", "checked", "provider_id", "slot_id", "months", "show",
                "accepting", "card", "amount", "invoice", "reference", "do", "next", "payer",
                "provider", "client", "status", "paid", "expires_1", "expires_2")
NOT_HERE = {"static"}


def _form_classes(base=inputs.Form):
    for sub in base.__subclasses__():
        yield sub
        yield from _form_classes(sub)


def _field_names():
    names = set(EXTRA_FIELDS) | set(SEARCH_FIELDS)
    for cls in (*_form_classes(), *_form_classes(inputs.SubForm)):
        names |= {name for name in dir(cls) if isinstance(getattr(cls, name), UnboundField)}
    names |= {f"licenses-{row}-{name}" for row in range(3)
              for name in ("state", "license_type", "number", "level", "under_supervision",
                           "supervisor_name", "supervisor_license")}
    return sorted(names)


@pytest.fixture
def world(app, db):
    """A provider in the insurance program with a client, a session, an invoice and a
    request waiting; an admin; an applicant; and the ids of all of it."""
    factories.operate_in("CA")
    provider = factories.provider(first_name="Ines", email="ines@example.com")
    user = factories.user_for(provider, PASSWORD)
    admin = User.create(email="admin@alma.example", name="Ada",
                        roles="matching,growth,credentialing,billing,admin",
                        password_hash=passwords.hash_password(PASSWORD))
    with app.test_request_context():
        fees.start(provider)
        enrolment.enroll(provider, "12345678", today() - datetime.timedelta(days=5), "CPH",
                       today() + datetime.timedelta(days=200), True)
        for case in CredentialingCase.select():
            for field in credentialing.CHECKLIST:
                setattr(case, field, True)
            case.save()
            credentialing.approve(case, today() - datetime.timedelta(days=30), admin)
        program_client = clients.move_in(provider, {
            "first_name": "Sam", "last_name": "Rivera", "email": "sam@example.com",
            "date_of_birth": datetime.date(1990, 4, 2), "gender": "U",
            "member_id": "ALMA-ACTIVE-COPAY", "payer": factories.payer("unitedhealthcare"),
            "address": "12 Elm St", "city": "Oakland", "state": "CA", "zip": "94607",
            "diagnosis_code": "F41.1"}, tell=False)
        check = checks.check_for_program_client(program_client)
        check.checked_at -= datetime.timedelta(days=5)
        check.save()
        visit = sessions.log_visit(provider, program_client, today(), "90834", True,
                                   "attended")
    client = Client.create(email="cam@example.org", name="Cam", state="CA")
    request = ConsultationRequest.create(client=client, name=client.name, provider=provider,
                                         state="CA", concerns="x", preferred_format="either",
                                         availability="evenings", submission_key="k1")
    application = MembershipApplication.create(
        name="Jo Applicant", email="jo@example.com", npi=factories.npi_for(9000),
        gender="woman", practice_state="CA", may_join=True, submission_key="app-1")
    return {"provider": provider, "user": user, "admin": admin, "invoice": visit.invoice,
            "ids": {"request_id": request.id, "match_id": 1, "case_id": 1,
                    "program_client_id": program_client.id, "application_id": application.id,
                    "user_id": admin.id, "email_id": 1},
            "strings": {"slug": provider.slug, "number": visit.invoice.number, "code": "CA",
                        "name": "local", "token": "not-a-token", "reference": "ref"}}


def _signed_in_cookie(app, user):
    http = app.test_client()
    if user is not None:
        factories.sign_in(http, user, PASSWORD)
    cookie = http.get_cookie("session")
    return cookie.value if cookie else None


def _urls(rule, world, value):
    """The rule's URL with its real ids and strings, and with `value` in every string part."""
    real, hostile = {}, {}
    for name in rule.arguments:
        if name in world["ids"]:
            real[name] = hostile[name] = str(world["ids"][name])
        else:
            real[name] = quote(world["strings"].get(name, "x"), safe="")
            hostile[name] = quote(value, safe="") or "x"
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "{\\1}", rule.rule)
    return {path.format(**real), path.format(**hostile)}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_HERE:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


@pytest.mark.parametrize("who", ["stranger", "provider", "admin"])
def test_no_hostile_input_anywhere_is_a_server_error(app, world, who):
    user = {"stranger": None, "provider": world["user"], "admin": world["admin"]}[who]
    cookie = _signed_in_cookie(app, user)
    names = _field_names()
    app.config["WTF_CSRF_ENABLED"] = False  # so every POST reaches its view
    failures, sent = [], 0
    try:
        for rule, method in _routes(app):
            for value in CORPUS:
                for url in _urls(rule, world, value):
                    http = app.test_client()
                    if cookie:
                        http.set_cookie("session", cookie)
                    fields = {name: value for name in names}
                    with database.atomic() as savepoint:
                        if method == "GET":
                            response = http.get(url + "?" + urlencode(fields))
                        else:
                            response = http.post(url, data=fields)
                        savepoint.rollback()
                    sent += 1
                    if response.status_code >= 500:
                        failures.append(f"{method} {url[:80]!r} {value[:20]!r}: "
                                        f"{response.status_code}")
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert sent > 1000
    assert not failures, "\n".join(failures[:40])


def test_digit_patterns_take_ascii_digits_only():
    # \d matches every script's digits ("١٢٣٤٥"): a zip code, an NPI or a claim's field
    # would take them. Patterns in the app spell out [0-9].
    root = Path(__file__).resolve().parent.parent / "alma"
    found = [f"{path.relative_to(root)}:{number}"
             for path in sorted(root.rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if "\\d" in line]
    assert found == []
