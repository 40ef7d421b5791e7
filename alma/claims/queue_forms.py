"""The billing team's forms for a claim: correct and send again, void, write off. Each has
a form key (made when the page is shown: the same form sent twice does it once), a reason
and a box that confirms what the page says will happen."""
import re
import uuid

from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Regexp

from alma.benefits.models import CPT_CODES
from alma.inputs import Form, WholeNumber

PLACES_OF_SERVICE = {"02": "02: telehealth, not at the client's home",
                     "10": "10: telehealth at the client's home", "11": "11: the office"}
_KEY = re.compile(r"^[0-9a-f]{32}$")
_MEMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]*$", re.ASCII)
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$", re.ASCII)


class _ActionForm(Form):
    form_key = HiddenField(validators=[InputRequired("Reload the page and try again."),
                                       Regexp(_KEY, message="Reload the page and try again.")])
    reason = TextAreaField("Why", validators=[
        InputRequired("Say why: it is kept with the claim."),
        Length(max=1000, message="Say why in at most 1,000 characters.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.form_key.data:
            self.form_key.data = uuid.uuid4().hex


class CorrectForm(_ActionForm):
    member_id = StringField("Member ID", validators=[
        InputRequired("Enter the member ID on the client's insurance card."),
        Length(min=2, max=40, message="A member ID is 2 to 40 characters."),
        Regexp(_MEMBER, message="A member ID has only letters, digits and dashes.")])
    cpt_code = SelectField("Service code", choices=[SelectChoice(code, f"{code}: {label}")
                                                   for code, label in CPT_CODES.items()])
    place_of_service = SelectField("Place of service", choices=[
        SelectChoice(code, label) for code, label in PLACES_OF_SERVICE.items()])
    diagnosis_code = StringField("Diagnosis (ICD-10)", filters=[
        lambda value: value.upper() if isinstance(value, str) else value], validators=[
        InputRequired("Enter the diagnosis code, like F41.1."),
        Length(max=8, message="A diagnosis code is at most 8 characters, like F41.1."),
        Regexp(_ICD10, message="Enter an ICD-10 code with its dot, like F41.1.")])
    confirm = BooleanField("Yes, send the corrected claim", validators=[
        InputRequired("Tick the box to confirm.")])


class VoidForm(_ActionForm):
    confirm = BooleanField("Yes, void this claim", validators=[
        InputRequired("Tick the box to confirm.")])


class WriteOffForm(_ActionForm):
    confirm = BooleanField("Yes, write it off", validators=[
        InputRequired("Tick the box to confirm.")])


class FilingLimitForm(Form):
    payer = SelectField("Payer", validators=[InputRequired("Choose the payer.")])
    days = WholeNumber("Days from the session", validators=[
        InputRequired("Enter the payer's limit in days, like 90."),
        NumberRange(min=1, max=730, message="Enter from 1 to 730 days.")])
