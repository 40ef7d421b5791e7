"""The forms of the self-pay pages. Codes are checked again by the service (one rule, one
place); here each field is made sure to be something a person meant."""
import datetime

from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (DataRequired, Email, InputRequired, Length, NumberRange, Optional,
                                Regexp)

from alma.benefits.forms import YEAR, birth_date_field
from alma.benefits.models import CPT_CODES
from alma.clock import today
from alma.inputs import Day, Form, Money, WholeNumber, one_time_key
from alma.selfpay.models import PAYMENT_METHODS, PLACES_OF_SERVICE

CODES = [SelectChoice(code, f"{code}: {label}") for code, label in CPT_CODES.items()]


class _Keyed(Form):
    """A form that makes one record: a hidden one-time key, so a double submit makes one."""

    submission_key = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.submission_key.data = one_time_key(self.submission_key.data)


def state_field(label="State"):
    return StringField(label, validators=[DataRequired("Enter the state, like CA."),
                                          Regexp(r"^[A-Za-z]{2}$",
                                                 message="Enter the state's two letters, "
                                                         "like CA.")],
                       filters=[lambda v: v.upper() if isinstance(v, str) else v])


def zip_field():
    return StringField("Zip code", validators=[
        DataRequired("Enter the zip code."),
        Regexp(r"^[0-9]{5}(-[0-9]{4})?$", message="Enter a 5-digit zip code.")])


class DetailsForm(Form):
    tax_id = StringField("Tax ID (EIN)", validators=[
        DataRequired("Enter your Tax ID, like 12-3456789."), Length(max=20)])
    street = StringField("Office street address", validators=[
        DataRequired("Enter your office's street address."), Length(max=120)])
    city = StringField("City", validators=[DataRequired("Enter the city."), Length(max=60)])
    state = state_field()
    zip = zip_field()
    phone = StringField("Phone", validators=[
        DataRequired("Enter a phone number clients and insurers can call."), Length(max=30),
        Regexp(r"^[0-9+()\-. ]{7,30}$", message="Enter a phone number, like (415) 555-0100.")])


class NewClientForm(Form):
    name = StringField("Name", validators=[DataRequired("Enter the client's name."),
                                           Length(max=120)])
    email = EmailField("Email", validators=[
        DataRequired("Enter the client's email: their documents are sent there."),
        Email("Enter an email address like name@example.com."), Length(max=254)])
    date_of_birth = birth_date_field("Enter the client's date of birth.")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.date_of_birth.data and self.date_of_birth.data > today():
            self.date_of_birth.errors.append("A date of birth is in the past.")
            ok = False
        return ok


class ClientForm(Form):
    name = StringField("Name", validators=[DataRequired("Enter the client's name."),
                                           Length(max=120)])
    date_of_birth = birth_date_field("Enter the client's date of birth: estimates and "
                                     "superbills must show it.")
    street = StringField("Street address", validators=[Optional(), Length(max=120)])
    city = StringField("City", validators=[Optional(), Length(max=60)])
    state = StringField("State", validators=[
        Optional(), Regexp(r"^[A-Za-z]{2}$", message="Enter the state's two letters, like CA.")],
        filters=[lambda v: v.upper() if isinstance(v, str) else v])
    zip = StringField("Zip code", validators=[
        Optional(), Regexp(r"^[0-9]{5}(-[0-9]{4})?$", message="Enter a 5-digit zip code.")])
    diagnosis_codes = StringField("Diagnosis codes (ICD-10-CM, optional)", validators=[
        Optional(), Length(max=60)])
    agreed_rate = Money("Sliding-scale rate agreed ($ a session, optional)", validators=[
        Optional(), NumberRange(1, 10000, message="Enter an amount from $1 to $10,000.")])
    first_session_on = Day("First session (if scheduled)", validators=[Optional()],
                           earliest=-YEAR, latest=YEAR)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.date_of_birth.data and self.date_of_birth.data > today():
            self.date_of_birth.errors.append("A date of birth is in the past.")
            ok = False
        address = [self.street.data, self.city.data, self.state.data, self.zip.data]
        if any(address) and not all(address):
            self.street.errors.append("Give the whole address: street, city, state and zip "
                                      "(a superbill shows it), or none of it yet.")
            ok = False
        return ok


class EstimateForm(_Keyed):
    primary_service = StringField("The service, in plain words", validators=[
        DataRequired("Say what the service is, in plain words."), Length(max=200)])
    first_code = SelectField("First session's code", choices=[SelectChoice("", "None")] + CODES,
                             validators=[Optional()])
    code = SelectField("Then, each session's code", choices=CODES, default="90837")
    sessions = WholeNumber("Sessions expected (the first included)", validators=[
        InputRequired("Enter how many sessions you expect."),
        NumberRange(1, 60, message="Enter from 1 to 60 sessions.")])
    months = WholeNumber("Over how many months (at most 12)", validators=[
        InputRequired("Enter how many months the estimate covers."),
        NumberRange(1, 12, message="One estimate covers from 1 to 12 months.")])
    period_start = Day("Starting", validators=[InputRequired("Enter the first day it covers.")],
                       earliest=-YEAR, latest=YEAR)
    rate = Money("Charge a session ($)", validators=[
        InputRequired("Enter what you charge a session."),
        NumberRange(1, 10000, message="Enter a rate from $1 to $10,000.")])
    diagnosis_codes = StringField("Diagnosis codes (ICD-10-CM, where known)", validators=[
        Optional(), Length(max=60)])


class SessionForm(_Keyed):
    held_on = Day("Date of the session", validators=[InputRequired("Enter the date.")],
                  earliest=-2 * YEAR, latest=datetime.timedelta(days=0))
    cpt_code = SelectField("Service", choices=CODES, default="90837")
    place_of_service = SelectField("Where", choices=[
        SelectChoice(code, f"{code}: {label}") for code, label in PLACES_OF_SERVICE.items()],
        default="10")
    fee = Money("Fee charged ($)", validators=[
        InputRequired("Enter the fee you charged."),
        NumberRange(0.01, 10000, message="Enter a fee from $0.01 to $10,000.")])
    diagnosis_codes = StringField("Diagnosis codes (blank: the client's)", validators=[
        Optional(), Length(max=60)])
    confirm_over_estimate = BooleanField(
        "I know this takes the bill $400 or more above the good-faith estimate; log it anyway")


class PaymentForm(_Keyed):
    amount = Money("Amount paid ($)", validators=[
        InputRequired("Enter the amount paid."),
        NumberRange(0.01, 10000, message="Enter an amount from $0.01 to $10,000.")])
    received_on = Day("Received on", validators=[InputRequired("Enter the date.")],
                      earliest=-2 * YEAR, latest=datetime.timedelta(days=0))
    method = SelectField("How", choices=[SelectChoice(k, v) for k, v in PAYMENT_METHODS.items()])


class SuperbillForm(_Keyed):
    starts_on = Day("From", validators=[InputRequired("Enter the first day.")],
                    earliest=-3 * YEAR, latest=datetime.timedelta(days=0))
    ends_on = Day("To", validators=[InputRequired("Enter the last day.")],
                  earliest=-3 * YEAR, latest=datetime.timedelta(days=0))
