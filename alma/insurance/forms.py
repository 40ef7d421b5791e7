"""Forms of the insurance program: enrolment, moving clients in, sessions, benefit checks."""
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, EmailField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (DataRequired, Email, InputRequired, Length, NumberRange,
                                Optional, Regexp)

from alma.accounts.forms import strip
from alma.insurance.models import ATTENDANCE, CPT_CODES


def _date(label, message):
    return DateField(label, validators=[InputRequired(message)],
                     render_kw={"autocomplete": "off"})


def _member_id(missing):
    return StringField("Member ID", filters=[strip], validators=[
        DataRequired(missing), Length(max=40),
        Regexp(r"^[A-Za-z0-9-]+$", message="A member ID has only letters, digits and dashes, "
                                           "as on the insurance card.")])


class EnrolForm(FlaskForm):
    caqh_id = StringField("CAQH ProView ID", filters=[strip], validators=[
        DataRequired("Enter your CAQH ProView ID."),
        Regexp(r"^[0-9]{5,10}$", message="Enter your CAQH ProView ID: 5 to 10 digits.")])
    caqh_attested_on = _date("Date you last attested in CAQH",
                             "Enter the date you last attested, from your ProView profile.")
    malpractice_carrier = StringField("Malpractice insurance carrier", filters=[strip],
                                      validators=[DataRequired("Enter your malpractice "
                                                               "insurance carrier."),
                                                  Length(max=120)])
    malpractice_expires_on = _date("Malpractice cover ends on",
                                   "Enter the date your malpractice cover ends.")
    individually = SelectField("Already in network on your own with", choices=[
        SelectChoice("", "Neither"), SelectChoice("optum", "Optum"),
        SelectChoice("aetna", "Aetna"), SelectChoice("both", "Both")],
        validators=[Optional()])
    attest = BooleanField("I attest that what I've given is true and complete, and I authorise "
                          "Alma to credential me under its Tax ID.")


class MoveInForm(FlaskForm):
    first_name = StringField("First name (as on their insurance card)", filters=[strip],
                             validators=[DataRequired("Enter the client's first name."),
                                         Length(max=60)])
    last_name = StringField("Last name", filters=[strip], validators=[
        DataRequired("Enter the client's last name."), Length(max=60)])
    date_of_birth = _date("Date of birth", "Enter the client's date of birth.")
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


class FeesForm(FlaskForm):
    late_cancel_fee = DecimalField("Late-cancellation fee ($)", places=2, validators=[
        Optional(), NumberRange(1, 500, message="Enter a fee from $1 to $500, or leave it "
                                                "empty for none.")])
    no_show_fee = DecimalField("Missed-session fee ($)", places=2, validators=[
        Optional(), NumberRange(1, 500, message="Enter a fee from $1 to $500, or leave it "
                                                "empty for none.")])


class VisitForm(FlaskForm):
    client = SelectField("Client", validators=[InputRequired("Choose the client.")])
    held_on = _date("Date of the session", "Enter the date of the session.")
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


class BenefitsForm(FlaskForm):
    payer = SelectField("Your insurance", validators=[InputRequired("Choose your insurance.")])
    member_id = _member_id("Enter the member ID from your insurance card.")
    first_name = StringField("First name (as on your card)", filters=[strip], validators=[
        DataRequired("Enter your first name as it is on your card."), Length(max=60)])
    last_name = StringField("Last name", filters=[strip], validators=[
        DataRequired("Enter your last name as it is on your card."), Length(max=60)])
    date_of_birth = _date("Date of birth", "Enter your date of birth.")


class AnswersForm(FlaskForm):
    """What a client's insurer told them by phone."""

    in_network = BooleanField("They said I have behavioural (mental) health benefits "
                              "in network", default=True)
    copay = DecimalField("Copay for a mental health outpatient visit ($)", places=2,
                         validators=[Optional(), NumberRange(0, 1000, message="Enter an "
                                                             "amount from $0 to $1,000.")])
    coinsurance = DecimalField("Or coinsurance (%)", places=0, validators=[
        Optional(), NumberRange(0, 100, message="Enter a percent from 0 to 100.")])
    deductible_left = DecimalField("Deductible left to meet ($)", places=2, validators=[
        Optional(), NumberRange(0, 100_000, message="Enter an amount from $0 to $100,000.")])
    oop_left = DecimalField("Out-of-pocket maximum left ($, optional)", places=2, validators=[
        Optional(), NumberRange(0, 100_000, message="Enter an amount from $0 to $100,000.")])


class DecisionForm(FlaskForm):
    effective_on = DateField("In network from", validators=[Optional()])
    reason = TextAreaField("Why not (the provider reads this)", validators=[
        Optional(), Length(max=1000)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
