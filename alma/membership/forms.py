"""Applying to join, and the growth team's forms."""
import datetime
import uuid

from wtforms import (BooleanField, FieldList, FormField, HiddenField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from alma.consultations.forms import ContactForm
from alma.inputs import Form, Moment, SubForm, WholeNumber
from alma.network.models import GENDERS, LICENSE_LEVELS, LICENSE_TYPES

LICENSE_ROWS = 3


def _states(vocabulary, first):
    return [SelectChoice("", first)] + [SelectChoice(code, state.name)
                                        for code, state in vocabulary.states.items()]


class LicenseForm(SubForm):
    """One licence. The first row is required; the others only when started."""

    state = SelectField("State", validators=[Optional()])
    license_type = SelectField("Licence", choices=[SelectChoice("", "Choose…")] + [
        SelectChoice(key, f"{key}: {label}") for key, label in LICENSE_TYPES.items()],
        validators=[Optional()])
    number = StringField("Licence number", validators=[Optional(), Length(max=40)])
    level = SelectField("Level", choices=[SelectChoice("", "Choose…")] + [
        SelectChoice(key, label) for key, label in LICENSE_LEVELS.items()],
        validators=[Optional()])
    under_supervision = BooleanField("I practise under supervision")
    supervisor_name = StringField("Supervisor's name", validators=[Optional(), Length(max=120)])
    supervisor_license = StringField("Supervisor's licence", validators=[Optional(),
                                                                         Length(max=60)])

    def started(self):
        return any([self.state.data, self.license_type.data, self.number.data, self.level.data])


class ApplyForm(ContactForm):
    npi = StringField("NPI", validators=[DataRequired("Enter your 10-digit NPI."),
                                         Regexp(r"^[0-9]{10}$", message="An NPI has 10 digits.")])
    gender = SelectField("Your gender, as your listing will show it", choices=[
        SelectChoice("", "Choose…")] + [SelectChoice(k, v) for k, v in GENDERS.items()],
        validators=[InputRequired("Choose how your listing describes you.")])
    practice_name = StringField("Practice name (optional)", validators=[Optional(),
                                                                        Length(max=120)])
    practice_city = StringField("City", validators=[Optional(), Length(max=80)])
    practice_state = SelectField("State of your practice", validators=[
        InputRequired("Choose the state of your practice.")])
    about_practice = TextAreaField("Tell us about your practice (optional)", validators=[
        Optional(), Length(max=2000)])
    wants_insurance = BooleanField("I'm interested in the insurance program")
    licenses = FieldList(FormField(LicenseForm), min_entries=LICENSE_ROWS,
                         max_entries=LICENSE_ROWS)
    website = StringField("Leave this empty", validators=[Optional()])
    submission_key = HiddenField()

    def __init__(self, vocabulary, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.practice_state.choices = _states(vocabulary, "Choose…")
        for row in self.licenses:
            row.form.state.choices = _states(vocabulary, "Choose…")
        if not self.submission_key.data:
            self.submission_key.data = uuid.uuid4().hex

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        started = [row.form for row in self.licenses if row.form.started()]
        if not started:
            self.licenses[0].form.state.errors.append("Tell us about at least one licence.")
            ok = False
        for row in started:
            for name in ("state", "license_type", "number", "level"):
                if not row[name].data:
                    row[name].errors.append(f"Fill in the licence's {row[name].label.text.lower()}.")
                    ok = False
            if row.under_supervision.data and not (row.supervisor_name.data
                                                   and row.supervisor_license.data):
                row.supervisor_name.errors.append(
                    "Under supervision: give your supervisor's name and licence.")
                ok = False
        return ok


class SlotsForm(Form):
    # The start is typed in the zone chosen beside it (views convert it to UTC); a day of
    # slack either side of now for the zones' offsets (the view checks it is in the future).
    start = Moment("First call starts (your time)", earliest=-datetime.timedelta(days=1),
                   latest=datetime.timedelta(days=366),
                   validators=[InputRequired("Choose when your first call starts.")])
    time_zone = SelectField("Your time zone",
                            validators=[InputRequired("Choose your time zone.")])
    count = WholeNumber("How many 30-minute calls in a row", default=4,
                        validators=[InputRequired("Say how many calls."),
                                    NumberRange(1, 16, message="Choose from 1 to 16 calls.")])


class DecisionNotesForm(Form):
    notes = TextAreaField("Notes (the team only)", validators=[Optional(), Length(max=5000)])


class RejectForm(Form):
    reason = TextAreaField("Why (the applicant reads this)", validators=[
        DataRequired("Say why, kindly."), Length(max=1000)])
