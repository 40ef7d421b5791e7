"""What people type is turned, in one place, into what the app stores (alma/inputs.py)."""
import datetime
import io
import json

import pytest
from flask_wtf import FlaskForm

from alma import inputs
from alma.clock import today
from alma.membership.models import MembershipApplication
from tests.conftest import csrf_token_from
from tests.membership.test_joining import application_data


@pytest.mark.parametrize("typed,stored", [
    ("Zed\x00 Other", "Zed Other"),
    ("a\x07b\x1bc\x7fd\x85e", "abcd\ne"),
    ("evil\u202eexe.pdf\u202c", "evilexe.pdf"),
    ("\u2066Ann\u2069 \u200fLee\u200e", "Ann Lee"),
    ("zero\u200bwidth\ufeff\u2060", "zerowidth"),
    ("soft\u00adhyphen", "softhyphen"),
    ("line\r\nends\rhere\u2028too", "line\nends\nhere\ntoo"),
    ("Cafe\u0301", "Caf\u00e9"),
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
    ("\U0001F469\u200d\U0001F4BB tabs\tstay", "\U0001F469\u200d\U0001F4BB tabs\tstay"),
])
def test_it_removes_what_nobody_types_on_purpose_and_keeps_the_rest(typed, stored):
    assert inputs.clean(typed) == stored


def test_one_line_text_loses_its_line_breaks_tabs_and_outer_spaces():
    assert inputs.one_line("  Zed\nOther\t\u2028 Name \r\n") == "Zed Other Name"


def test_every_form_of_the_app_cleans_its_fields():
    """A form that skipped alma.inputs.Form would skip the one-line rule: none may."""
    import importlib
    import pkgutil

    import alma

    for module in pkgutil.walk_packages(alma.__path__, "alma."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    ours = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("alma.")]
    assert len(ours) > 20
    strays = [cls.__qualname__ for cls in ours if not issubclass(cls, inputs.Form)]
    assert not strays
    from wtforms import Form as PlainForm

    rows = [cls for cls in subclasses(PlainForm) if cls.__module__.startswith("alma.")
            and not issubclass(cls, (inputs.Form, inputs.SubForm))]
    assert not rows


def test_a_name_with_a_line_break_and_an_override_is_stored_on_one_line(client, db):
    page = client.get("/join")
    data = application_data(page, name="Zed\r\nOther\u202e \u200b", practice_city="Oak\nland")
    response = client.post("/join", data=data)
    assert response.status_code in (200, 303)
    application = MembershipApplication.get()
    assert (application.name, application.practice_city) == ("Zed Other", "Oak land")


def test_a_text_area_keeps_its_lines_but_not_its_controls(client, db):
    page = client.get("/join")
    data = application_data(page, about_practice="Line one\r\nLine\x00 two\u202e")
    client.post("/join", data=data)
    assert MembershipApplication.get().about_practice == "Line one\nLine two"


@pytest.mark.parametrize("body", [
    None,  # the whole form, as JSON: a NUL and an override in a text area
    '{"name": 5, "email": ["a@example.org"], "about_practice": {"x": 1}}',
    '[1, 2]',
    "[" * 3000,
])
def test_a_form_sent_as_json_is_an_empty_form_never_uncleaned_values(client, db, body):
    # Flask-WTF reads a JSON body as the form, past the cleaning: a NUL stored (a 500 on
    # PostgreSQL), or a number, a list or a deep nesting where text goes (a 500 anywhere).
    page = client.get("/join")
    if body is None:
        body = json.dumps(application_data(page, about_practice="Line\x00 two\u202e"))
    response = client.post("/join", data=body, headers={
        "Content-Type": "application/json", "X-CSRFToken": csrf_token_from(page)})
    assert response.status_code == 422
    assert not MembershipApplication.select().exists()


def test_a_file_where_text_goes_is_no_value_at_all(client, db):
    # Flask-WTF hands a form its files too: a file as the email was a 500 (TypeError).
    page = client.get("/join")
    data = application_data(page)
    data["email"] = (io.BytesIO(b"robin@example.org"), "email.txt")
    response = client.post("/join", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'value="Robin Hale"' in response.get_data(as_text=True)  # the rest is kept
    assert not MembershipApplication.select().exists()


def test_nul_bytes_never_reach_a_query_or_a_url_part(client, db):
    assert client.get("/providers?q=anx%00iety&state=C%00A").status_code == 200
    assert client.get("/billing/invoices/a%00b").status_code == 404
    assert client.get("/providers/nobody%00here").status_code == 404


def sign_in_provider(client):
    from tests import factories

    factories.operate_in("CA")
    provider = factories.provider(email="num@example.com")
    factories.sign_in(client, factories.user_for(provider, "a long and memorable passphrase"),
                      "a long and memorable passphrase")
    return provider


@pytest.mark.parametrize("typed", ["\u0661\u0665\u0660", "\uff11\uff15\uff10", "150.5", "-150",
                                   "9" * 30])
def test_whole_numbers_are_ascii_digits_only(client, db, typed):
    sign_in_provider(client)
    page = client.get("/practice")
    response = client.post("/practice", data={
        "csrf_token": csrf_token_from(page), "cash_rate": typed, "offers_telehealth": "y",
        "bio": "x" * 100, "specialties": []})
    assert response.status_code == 422
    assert "Enter a whole number" in response.get_data(as_text=True) or \
        "from $20" in response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["sNaN", "NaN", "Infinity", "-Infinity", "1e5", "-3", "2.5.0",
                                   # a decimal comma is not a thousands separator: never
                                   # read "1,00" as $100 or "25,50" as $2,550
                                   "1,00", "25,50", "1,2,3", ",5", "1,0000"])
def test_amounts_are_finite_numbers_of_dollars(client, db, typed):
    page = client.get("/benefits/ask?payer=cigna")
    response = client.post("/benefits/ask?payer=cigna", data={
        "csrf_token": csrf_token_from(page), "in_network": "y", "copay": typed})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter an amount in dollars" in body and f'value="{typed}"' in body


@pytest.mark.parametrize("typed,dollars", [("$1,250", "1250"), ("1,250.50", "1250.50"),
                                           ("12,345,678", "12345678"), (" $25 ", "25")])
def test_thousands_separators_are_read_as_such(typed, dollars):
    class Amount(inputs.Form):
        amount = inputs.Money()

    from flask import Flask
    from werkzeug.datastructures import MultiDict

    app = Flask(__name__)
    app.config.update(WTF_CSRF_ENABLED=False, SECRET_KEY="x")
    with app.test_request_context():
        form = Amount(MultiDict({"amount": typed}))
        assert form.validate() and str(form.amount.data) == dollars


def test_dates_outside_what_they_can_mean_are_refused_in_words():
    class Born(inputs.Form):
        born = inputs.Day(earliest=-datetime.timedelta(days=120 * 366),
                          latest=datetime.timedelta(0))

    from flask import Flask
    from werkzeug.datastructures import MultiDict

    app = Flask(__name__)
    app.config.update(WTF_CSRF_ENABLED=False, SECRET_KEY="x")
    with app.test_request_context():
        for typed, ok in (("0001-01-01", False), ("9999-12-31", False), ("31/12/1990", False),
                          # strptime would read these other scripts' digits as 1990
                          ("\u0661\u0669\u0669\u0660-12-31", False),
                          ("\uff11\uff19\uff19\uff10-12-31", False),
                          ("1990-12-31", True), (today().isoformat(), True)):
            form = Born(formdata=MultiDict({"born": typed}))
            assert form.validate() == ok, (typed, form.errors)
            if not ok:
                assert "Enter a date" in form.errors["born"][0]


def test_a_budget_of_spaces_is_no_budget(client, db):
    from alma.directory.criteria import SELF_PAY
    from tests import factories

    factories.operate_in("CA")
    page = client.get("/match")
    body = page.get_data(as_text=True)
    key = body.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
    response = client.post("/match", data={
        "csrf_token": csrf_token_from(page), "submission_key": key, "name": "Pat",
        "email": "pat@example.org", "state": "CA", "payment": SELF_PAY, "budget": "   ",
        "preferred_format": "either", "availability": "evenings", "consent": "y"})
    assert response.status_code == 303
