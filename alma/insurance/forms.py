"""Forms of the insurance program: enrolment, moving clients in, sessions, benefit checks."""
import datetime

from wtforms import (BooleanField, EmailField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (DataRequired, Email, InputRequired, Length, NumberRange,
                                Optional, Regexp)

from alma.accounts.forms import strip
from alma.inputs import Day, Form, Money
from alma.insurance.models import ATTENDANCE, CPT_CODES


DAY = datetime.timedelta(days=1)
YEAR = 366 * DAY


def _date(label, message, earliest, latest):
    return Day(label, validators=[InputRequired(message)], earliest=earliest, latest=latest)


def _birth_date(message):
    # Outer bounds only (the oldest living people were born about 115 years ago); a date
    # in the future is refused with its own message where the date is used.
    return _date("Date of birth", message, earliest=-120 * YEAR, latest=YEAR)


def _member_id(missing):
    return StringField("Member ID", filters=[strip], validators=[
        DataRequired(missing), Length(max=40),
        Regexp(r"^[A-Za-z0-9-]+$", message="A member ID has only letters, digits and dashes, "
                                           "as on the insurance card.")])


class EnrolForm(Form):
    caqh_id = StringField("CAQH ProView ID", filters=[strip], validators=[
        DataRequired("Enter your CAQH ProView ID."),
        Regexp(r"^[0-9]{5,10}$", message="Enter your CAQH ProView ID: 5 to 10 digits.")])
    caqh_attested_on = _date("Date you last attested in CAQH",
                             "Enter the date you last attested, from your ProView profile.",
                             earliest=-10 * YEAR, latest=YEAR)
    malpractice_carrier = StringField("Malpractice insurance carrier", filters=[strip],
                                      validators=[DataRequired("Enter your malpractice "
                                                               "insurance carrier."),
                                                  Length(max=120)])
    malpractice_expires_on = _date("Malpractice cover ends on",
                                   "Enter the date your malpractice cover ends.",
                                   earliest=-10 * YEAR, latest=10 * YEAR)
    individually = SelectField("Already in network on your own with", choices=[
        SelectChoice("", "Neither"), SelectChoice("optum", "Optum"),
        SelectChoice("aetna", "Aetna"), SelectChoice("both", "Both")],
        validators=[Optional()])
    attest = BooleanField("I attest that what I've given is true and complete, and I authorise "
                          "Alma to credential me under its Tax ID.")


class MoveInForm(Form):
    first_name = StringField("First name (as on their insurance card)", filters=[strip],
                             validators=[DataRequired("Enter the client's first name."),
                                         Length(max=60)])
    last_name = StringField("Last name", filters=[strip], validators=[
        DataRequired("Enter the client's last name."), Length(max=60)])
    date_of_birth = _birth_date("Enter the client's date of birth.")
    gender = SelectField("Sex on their insurance card", choices=[
        SelectChoice("U", "Not given"), SelectChoice("F", "Female"), SelectChoice("M", "Male")])
    email = EmailField("Client's email (for copay invoices)", filters=[strip], validators=[
        DataRequired("Enter the client's email: copay invoices go there."),
        Email("Enter an email address like name@example.com."), Length(max=254)])
    payer = SelectField("Insurance", validators=[InputRequired("Choose their insurance.")])
    member_id = _member_id("Enter the member ID from their card.")
    address = StringField("Street address", filters=[strip], validators=[
        DataRequired("Enter the client's street address (claims need it)."), Length(max=55)])
    city = StringField("City", filters=[strip], validators=[
        DataRequired("Enter the city."), Length(max=30)])
    state = SelectField("State", validators=[InputRequired("Choose the state.")])
    zip = StringField("Zip code", filters=[strip], validators=[
        DataRequired("Enter the zip code."),
        Regexp(r"^[0-9]{5}([0-9]{4})?$", message="Enter a 5-digit zip code.")])
    diagnosis_code = StringField("Primary diagnosis (ICD-10)", filters=[strip], validators=[
        DataRequired("Enter the primary diagnosis code, like F41.1."), Length(max=8)])
    tell = BooleanField("Email the client that their sessions now go through Alma",
                        default=True)


class FeesForm(Form):
    late_cancel_fee = Money("Late-cancellation fee ($)", validators=[
        Optional(), NumberRange(1, 500, message="Enter a fee from $1 to $500, or leave it "
                                                "empty for none.")])
    no_show_fee = Money("Missed-session fee ($)", validators=[
        Optional(), NumberRange(1, 500, message="Enter a fee from $1 to $500, or leave it "
                                                "empty for none.")])


class VisitForm(Form):
    client = SelectField("Client", validators=[InputRequired("Choose the client.")])
    held_on = _date("Date of the session", "Enter the date of the session.",
                    earliest=-YEAR, latest=YEAR)
    cpt_code = SelectField("Service", choices=[SelectChoice(code, f"{code}: {label}")
                                              for code, label in CPT_CODES.items()],
                           default="90834")
    format = RadioField("Held", choices=[SelectChoice("telehealth", "By telehealth"),
                                         SelectChoice("in_person", "In person")],
                        validators=[InputRequired("Say how the session was held.")])
    attendance = RadioField("Attendance", choices=[SelectChoice(k, v)
                                                   for k, v in ATTENDANCE.items()],
                            default="attended",
                            validators=[InputRequired("Say whether the client attended.")])
    charge_fee = BooleanField("Invoice my fee for a late cancellation or missed session",
                              default=True)


class BenefitsForm(Form):
    payer = SelectField("Your insurance", validators=[InputRequired("Choose your insurance.")])
    member_id = _member_id("Enter the member ID from your insurance card.")
    first_name = StringField("First name (as on your card)", filters=[strip], validators=[
        DataRequired("Enter your first name as it is on your card."), Length(max=60)])
    last_name = StringField("Last name", filters=[strip], validators=[
        DataRequired("Enter your last name as it is on your card."), Length(max=60)])
    date_of_birth = _birth_date("Enter your date of birth.")


class AnswersForm(Form):
    """What a client's insurer told them by phone."""

    in_network = BooleanField("They said I have behavioural (mental) health benefits "
                              "in network", default=True)
    copay = Money("Copay for a mental health outpatient visit ($)",
                  validators=[Optional(), NumberRange(0, 1000, message="Enter an "
                                                             "amount from $0 to $1,000.")])
    coinsurance = Money("Or coinsurance (%)", places=None,
                        message="Enter a percent from 0 to 100, like 20.", validators=[
        Optional(), NumberRange(0, 100, message="Enter a percent from 0 to 100.")])
    deductible_left = Money("Deductible left to meet ($)", validators=[
        Optional(), NumberRange(0, 100_000, message="Enter an amount from $0 to $100,000.")])
    oop_left = Money("Out-of-pocket maximum left ($, optional)", validators=[
        Optional(), NumberRange(0, 100_000, message="Enter an amount from $0 to $100,000.")])


class DecisionForm(Form):
    effective_on = Day("In network from", validators=[Optional()], earliest=-YEAR,
                       latest=YEAR)
    reason = TextAreaField("Why not (the provider reads this)", validators=[
        Optional(), Length(max=1000)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
