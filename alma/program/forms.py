"""Forms of the insurance program: enrolment, moving clients in, the provider's fees, and
the credentialing team's decision."""
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (DataRequired, Email, InputRequired, Length, NumberRange, Optional,
                                Regexp)

from alma.accounts.forms import strip
from alma.benefits.forms import YEAR, birth_date_field, day_field, member_id_field
from alma.inputs import Day, Form, Money


class EnrolForm(Form):
    caqh_id = StringField("CAQH ProView ID", filters=[strip], validators=[
        DataRequired("Enter your CAQH ProView ID."),
        Regexp(r"^[0-9]{5,10}$", message="Enter your CAQH ProView ID: 5 to 10 digits.")])
    caqh_attested_on = day_field("Date you last attested in CAQH",
                                 "Enter the date you last attested, from your ProView profile.",
                                 earliest=-10 * YEAR, latest=YEAR)
    malpractice_carrier = StringField("Malpractice insurance carrier", filters=[strip],
                                      validators=[DataRequired("Enter your malpractice "
                                                               "insurance carrier."),
                                                  Length(max=120)])
    malpractice_expires_on = day_field("Malpractice cover ends on",
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
    date_of_birth = birth_date_field("Enter the client's date of birth.")
    gender = SelectField("Sex on their insurance card", choices=[
        SelectChoice("U", "Not given"), SelectChoice("F", "Female"), SelectChoice("M", "Male")])
    email = EmailField("Client's email (for copay invoices)", filters=[strip], validators=[
        DataRequired("Enter the client's email: copay invoices go there."),
        Email("Enter an email address like name@example.com."), Length(max=254)])
    payer = SelectField("Insurance", validators=[InputRequired("Choose their insurance.")])
    member_id = member_id_field("Enter the member ID from their card.")
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


class DecisionForm(Form):
    effective_on = Day("In network from", validators=[Optional()], earliest=-YEAR,
                       latest=YEAR)
    reason = TextAreaField("Why not (the provider reads this)", validators=[
        Optional(), Length(max=1000)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
