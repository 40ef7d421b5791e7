"""The public "get matched" form, and the matching team's forms."""

from wtforms import (BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from alma.accounts.forms import strip
from alma.consultations.forms import ContactForm, state_choices
from alma.consultations.models import FORMATS
from alma.directory.criteria import SELF_PAY
from alma.inputs import Form, one_time_key
from alma.network.models import GENDERS


def _choices(first, pairs):
    return [SelectChoice("", first)] + [SelectChoice(value, label) for value, label in pairs]


class MatchForm(ContactForm):
    state = SelectField("State where you live", validators=[
        InputRequired("Choose the state where you live.")])
    payment = SelectField("How you'll pay", validators=[InputRequired("Choose how you'll pay.")])
    plan = StringField("Plan name (optional)", validators=[Optional(), Length(max=120)])
    budget = StringField("If paying yourself: most you can pay a session ($)", validators=[
        Optional(), Regexp(r"^\$?[0-9]{1,4}$", message="Enter whole dollars, like 120.")])
    specialty = SelectField("What you'd like help with", validators=[Optional()])
    concerns = TextAreaField("Tell us more (optional)", validators=[
        Optional(), Length(max=2000, message="Please keep it under 2,000 characters.")])
    gender = SelectField("Therapist's gender", validators=[Optional()])
    language = SelectField("Language", validators=[Optional()])
    modality = SelectField("Type of therapy", validators=[Optional()])
    preferred_format = RadioField("How would you like to meet?",
                                  choices=[SelectChoice(v, label) for v, label in FORMATS.items()],
                                  validators=[InputRequired("Choose how you'd like to meet.")])
    zip_code = StringField("Zip code (for in-person visits, optional)", validators=[
        Optional(), Regexp(r"^[0-9]{5}$", message="Enter a 5-digit zip code, like 10001.")])
    availability = TextAreaField("When are you usually free?", validators=[
        DataRequired("Tell us when you're usually free."), Length(max=500)])
    consent = BooleanField("I agree that Alma's matching team uses this to find me a therapist "
                           "and emails me about it.",
                           validators=[DataRequired("We need your agreement to help.")])
    website = StringField("Leave this empty", validators=[Optional()])
    submission_key = HiddenField()

    def __init__(self, vocabulary, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = state_choices(vocabulary)
        self.payment.choices = _choices("Choose…", [(slug, p.name) for slug, p in
                                                     vocabulary.payers.items()]
                                        + [(SELF_PAY, "I'll pay myself")])
        self.specialty.choices = _choices("Not sure yet", ((slug, row.name) for slug, row in
                                                           vocabulary.specialties.items()))
        self.gender.choices = _choices("No preference", GENDERS.items())
        self.language.choices = _choices("English is fine", ((slug, row.name) for slug, row in
                                                             vocabulary.languages.items()))
        self.modality.choices = _choices("No preference", ((slug, row.name) for slug, row in
                                                           vocabulary.modalities.items()))
        self.submission_key.data = one_time_key(self.submission_key.data)


class MatchWaitlistForm(Form):
    """Join a state's waitlist from /match, when the network doesn't serve it yet."""

    email = EmailField("Email for the waitlist", filters=[strip], validators=[
        DataRequired("Enter your email address: that's how we'll tell you."),
        Email("Enter an email address like name@example.com."), Length(max=254)])
    state = HiddenField(validators=[DataRequired()])


class ProposeForm(Form):
    provider_id = HiddenField(validators=[DataRequired()])
    why = TextAreaField("Why this provider (the client reads this)", validators=[
        DataRequired("Tell the client why, in a sentence."), Length(max=1000)])


class WorkForm(Form):
    assignee = SelectField("Assigned to", validators=[Optional()])
    notes = TextAreaField("Notes (the team only)", validators=[Optional(), Length(max=5000)])


class CloseForm(Form):
    outcome = SelectField("How it ended", choices=[
        SelectChoice("matched", "The client has a first appointment"),
        SelectChoice("withdrawn", "The client withdrew"),
        SelectChoice("closed", "Closed for another reason")],
        validators=[InputRequired("Choose how it ended.")])
