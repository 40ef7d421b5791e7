"""What people type, turned once into what the app stores.

Every value that reaches a view from outside passes through here before any code reads
it, so no field can be forgotten:
- the request class (bound in create_app by `init_app`) cleans every query-string and
  form value, and `clean_view_args` every part of a URL, with `clean`: NUL and the other control
  characters, bidi overrides and isolates, and invisible characters go; line ends become
  "\\n"; text is NFC-normalised. A password is left exactly as typed: it is only hashed,
  and changing it would lock out whoever chose it.
- `Form` (and `SubForm` for rows of a FieldList) is the base of every form: a field that
  holds one line (a name, an email, a code, a hidden value) loses its line breaks and
  tabs too, and its outer spaces, whatever the form says; a text area keeps its lines.
- `Money`, `WholeNumber` and `Day` fields refuse what no one means: non-finite numbers
  ("NaN", "sNaN", "Infinity"), digits from other scripts, dates outside the range that
  makes sense for their meaning (a birth date in year 1, an approval in 9999).
"""
import datetime
import decimal
import re
import unicodedata
import uuid

from flask import Request, request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from wtforms import (DateField, DateTimeLocalField, DecimalField, FileField, IntegerField,
                     PasswordField, StringField, TextAreaField)
from wtforms import Form as PlainForm
from wtforms.validators import ValidationError

from alma.clock import today, utcnow

# Characters nobody types on purpose into a form, and that change what others see:
# C0 and C1 controls (but tab and line ends), bidi embeddings, overrides, isolates and
# marks (U+202E reverses the text after it), and invisible ones (zero-width space, word
# joiner, invisible operators, byte-order mark, soft hyphen, Mongolian vowel separator).
# The zero-width joiner and non-joiner stay: Persian and Indic names and emoji need them.
_INVISIBLE = ([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
              + [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
              + [0x200B, *range(0x2060, 0x2065), 0xFEFF, 0x00AD, 0x180E])
_REMOVE = dict.fromkeys(_INVISIBLE)
_LINE_ENDS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_SPACES = re.compile(r"\s+")


def clean(text):
    """Text as stored: invisible and control characters gone, "\\n" line ends, NFC."""
    if not isinstance(text, str):
        return text
    text = _LINE_ENDS.sub("\n", text)
    return unicodedata.normalize("NFC", text.translate(_REMOVE))


def one_line(text):
    """Text that must stay on one line (a name, an address, an email subject)."""
    if not isinstance(text, str):
        return text
    return _SPACES.sub(" ", clean(text).replace("\t", " ")).strip()


# A form's one-time key, made by the page it is on: a form sent twice makes one record.
ONE_TIME_KEY = re.compile(r"[0-9a-f]{32}")


def one_time_key(sent):
    """The key a form came back with if the page made it, else a fresh one: a forged key
    (5,000 characters overflowed its column on PostgreSQL, a 500) is never stored."""
    return sent if isinstance(sent, str) and ONE_TIME_KEY.fullmatch(sent) else uuid.uuid4().hex


def _is_secret(key):
    return "password" in key


class CleanMultiDict(ImmutableMultiDict):
    """Query strings and form bodies, every value (but a password) cleaned."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        super().__init__([(clean(key), value if _is_secret(key) else clean(value))
                          for key, value in iter_multi_items(mapping)])


def clean_view_args(endpoint, values):
    """A part of a URL holds one line: /billing/invoices/a%00b is looked up as "ab"."""
    if values:
        for key, value in values.items():
            if isinstance(value, str):
                values[key] = one_line(value)


def init_app(app):
    """Clean every request's values. Called after extensions that set their own request
    class (htmx-flask's), whose behaviour is kept: the cleaning is added on top."""
    base = app.request_class if issubclass(app.request_class, Request) else Request
    app.request_class = type("CleanRequest", (base,),
                             {"parameter_storage_class": CleanMultiDict,
                              "__doc__": "Every query and form value cleaned (alma.inputs)."})
    app.url_value_preprocessor(clean_view_args)


# --- Forms ----------------------------------------------------------------------------------

class _CleanMeta:
    """Fields that hold one line lose line breaks, tabs and outer spaces, in every form."""

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if issubclass(field_class, StringField) and not issubclass(
                field_class, (TextAreaField, PasswordField)):
            filters = (one_line, *unbound_field.kwargs.get("filters", ()))
            return unbound_field.bind(form=form, **{**options, "filters": filters})
        return unbound_field.bind(form=form, **options)


class Form(FlaskForm):
    """The base of every form the app shows (CSRF included)."""

    class Meta(_CleanMeta, FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            # Flask-WTF reads a JSON body, and files, as the form: JSON values would skip
            # the cleaning above, and no text field expects a number, a list, a nesting
            # 3,000 deep or a file (each a 500). A form is what a browser posts: a JSON
            # body is an empty form, and files count only where the form asks for one.
            if formdata is not None and not hasattr(formdata, "getlist") \
                    and request.method in SUBMIT_METHODS:
                if request.is_json:
                    formdata = request.form
                elif request.files and not any(isinstance(field, FileField) for field in form):
                    formdata = request.form or None
            return super().wrap_formdata(form, formdata)


class SubForm(PlainForm):
    """A row inside a Form (FormField / FieldList): no CSRF token of its own."""

    class Meta(_CleanMeta, PlainForm.Meta):
        pass


class Money(DecimalField):
    """An amount like 25 or 25.50 (dollars, or a percent): finite, never negative.

    More decimals are kept for the view to round (75.505 is $75.51)."""

    def __init__(self, label=None, validators=None, places=2,
                 message="Enter an amount in dollars, like 25 or 25.50.", **kwargs):
        super().__init__(label, validators, places=places, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip().lstrip("$")
        # Commas only as thousands separators: "1,00" (a decimal comma) is not $100.
        if "," in text and not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?", text):
            self.data = None
            raise ValueError(self.message)
        text = text.replace(",", "")
        if not re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,6})?", text):
            self.data = None
            raise ValueError(self.message)
        self.data = decimal.Decimal(text)


def cents(amount):
    """A Money field's dollars (a Decimal, or None) as integer cents, to the nearest cent."""
    if amount is None:
        return None
    return int((amount * 100).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


class WholeNumber(IntegerField):
    """A whole number typed with ASCII digits (int() would take "١٢" and "１２" too)."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 9):
            self.data = None
            raise ValueError("Enter a whole number, like 12.")
        self.data = int(text)


def _in_words(moment):
    words = f"{moment:%B} {moment.day}, {moment.year}"
    if isinstance(moment, datetime.datetime):
        words += f" {moment:%H:%M} UTC"
    return words


def _check_range(value, now, earliest, latest):
    """Raise ValidationError, in words, when `value` is outside now+earliest..now+latest."""
    low = now + earliest if earliest is not None else None
    high = now + latest if latest is not None else None
    if (low is None or value >= low) and (high is None or value <= high):
        return
    if low is not None and high is not None:
        raise ValidationError(f"Enter a date from {_in_words(low)} to {_in_words(high)}.")
    if low is not None:
        raise ValidationError(f"Enter a date from {_in_words(low)} on.")
    raise ValidationError(f"Enter a date up to {_in_words(high)}.")


def _ascii_only(valuelist):
    """strptime reads "٢٠٢٦-01-01" as 2026-01-01: a date is typed in ASCII digits."""
    if valuelist and not all(value.isascii() for value in valuelist):
        raise ValueError("not ASCII")


class Day(DateField):
    """A date in a range that makes sense for what it means.

    `earliest` and `latest` are offsets from today (datetime.timedelta), or None for no
    limit on that side; a date outside is refused with the range in words.
    """

    def __init__(self, label=None, validators=None, earliest=None, latest=None, **kwargs):
        kwargs.setdefault("render_kw", {"autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.earliest, self.latest = earliest, latest

    def process_formdata(self, valuelist):
        try:
            _ascii_only(valuelist)
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Enter a date like 2026-03-31.") from None

    def pre_validate(self, form):
        if self.data is not None:
            _check_range(self.data, today(), self.earliest, self.latest)


class Moment(DateTimeLocalField):
    """A date and time (UTC) within `earliest`..`latest` of now (timedelta offsets)."""

    def __init__(self, label=None, validators=None, earliest=None, latest=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)
        self.earliest, self.latest = earliest, latest

    def process_formdata(self, valuelist):
        try:
            _ascii_only(valuelist)
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Enter a date and time like 2026-03-31T14:30.") from None

    def pre_validate(self, form):
        if self.data is not None:
            _check_range(self.data, utcnow(), self.earliest, self.latest)


def parse_day(text, earliest=None, latest=None):
    """A date typed outside a form (YYYY-MM-DD), in range; None if it isn't one."""
    try:
        day = datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    now = today()
    if (earliest is not None and day < now + earliest) or \
            (latest is not None and day > now + latest):
        return None
    return day
