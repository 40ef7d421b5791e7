"""Forms of a client's own benefit check, and the insurance card's fields other features'
forms ask for too (the program's move-in, claims' session date)."""
import datetime

from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from alma.accounts.forms import strip
from alma.inputs import Day, Form, Money

DAY = datetime.timedelta(days=1)
YEAR = 366 * DAY


def day_field(label, message, earliest, latest):
    return Day(label, validators=[InputRequired(message)], earliest=earliest, latest=latest)


def birth_date_field(message):
    # Outer bounds only (the oldest living people were born about 115 years ago); a date
    # in the future is refused with its own message where the date is used.
    return day_field("Date of birth", message, earliest=-120 * YEAR, latest=YEAR)


def member_id_field(missing):
    return StringField("Member ID", filters=[strip], validators=[
        DataRequired(missing), Length(max=40),
        Regexp(r"^[A-Za-z0-9-]+$", message="A member ID has only letters, digits and dashes, "
                                           "as on the insurance card.")])


class BenefitsForm(Form):
    payer = SelectField("Your insurance", validators=[InputRequired("Choose your insurance.")])
    member_id = member_id_field("Enter the member ID from your insurance card.")
    first_name = StringField("First name (as on your card)", filters=[strip], validators=[
        DataRequired("Enter your first name as it is on your card."), Length(max=60)])
    last_name = StringField("Last name", filters=[strip], validators=[
        DataRequired("Enter your last name as it is on your card."), Length(max=60)])
    date_of_birth = birth_date_field("Enter your date of birth.")


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
