"""The provider's listing, as they edit it."""
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from alma.inputs import Form, WholeNumber
from alma.network.models import AGE_GROUPS


def _checkboxes(label):
    return SelectMultipleField(label, widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput(), validators=[Optional()])


class ListingForm(Form):
    pronouns = StringField("Pronouns (optional)", validators=[Optional(), Length(max=40)])
    bio = TextAreaField("About you", validators=[Optional(), Length(max=3000)])
    approach = TextAreaField("Your approach", validators=[Optional(), Length(max=2000)])
    specialties = _checkboxes("What you help with")
    modalities = _checkboxes("Types of therapy")
    languages = _checkboxes("Languages")
    ages = _checkboxes("Who you work with")
    offers_telehealth = BooleanField("Telehealth")
    offers_in_person = BooleanField("In person")
    office_zip = StringField("Office zip code (for in-person visits)", validators=[
        Optional(), Regexp(r"^[0-9]{5}$", message="Enter a 5-digit zip code.")])
    cash_rate = WholeNumber("Self-pay rate a session ($)", validators=[
        Optional(), NumberRange(20, 1000, message="Enter a rate from $20 to $1,000.")])
    sliding_scale = BooleanField("I offer a sliding scale")
    sliding_scale_min = WholeNumber("Sliding scale from ($)", validators=[
        Optional(), NumberRange(1, 1000, message="Enter an amount from $1 to $1,000.")])
    accepting_new_clients = BooleanField("I'm accepting new clients")
    weekly_caseload_cap = WholeNumber("Most clients a week", validators=[
        Optional(), NumberRange(1, 80, message="Enter a number from 1 to 80.")])
    cancellation_policy = TextAreaField("Cancellation policy", validators=[
        Optional(), Length(max=1000)])
    contact_by_email = BooleanField("Clients may reach me by email")
    contact_by_text = BooleanField("Clients may reach me by text")

    def __init__(self, vocabulary, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.specialties.choices = [SelectChoice(slug, row.name)
                                    for slug, row in vocabulary.specialties.items()]
        self.modalities.choices = [SelectChoice(slug, row.name)
                                   for slug, row in vocabulary.modalities.items()]
        self.languages.choices = [SelectChoice(slug, row.name)
                                  for slug, row in vocabulary.languages.items()]
        self.ages.choices = [SelectChoice(key, label) for key, (_, label) in AGE_GROUPS.items()]

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not (self.offers_telehealth.data or self.offers_in_person.data):
            self.offers_telehealth.errors.append("Offer telehealth, in person, or both.")
            ok = False
        if self.offers_in_person.data and not self.office_zip.data:
            self.office_zip.errors.append("In person: give your office's zip code.")
            ok = False
        if self.sliding_scale.data and self.cash_rate.data and self.sliding_scale_min.data \
                and self.sliding_scale_min.data > self.cash_rate.data:
            self.sliding_scale_min.errors.append("The sliding scale starts below your rate.")
            ok = False
        return ok


class OutsideClientForm(Form):
    name = StringField("Name", validators=[DataRequired("Enter their name."), Length(max=120)])
    email = StringField("Email (optional)", validators=[
        Optional(), Email("Enter an email address like name@example.com."), Length(max=254)])
    phone = StringField("Phone (optional)", validators=[Optional(), Length(max=30)])
    notes = TextAreaField("Notes (only you see them)", validators=[Optional(), Length(max=2000)])
