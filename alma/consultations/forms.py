"""The consultation request form, and the provider's answer."""

from wtforms import (BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField,
                     TelField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from alma.accounts.forms import strip
from alma.consultations.models import DECLINE_REASONS, FORMATS, PROVIDER_DECLINE_REASONS
from alma.directory.criteria import SELF_PAY
from alma.inputs import Form, one_time_key

NOT_SERVED = " (not yet served: join the waitlist)"


def state_choices(vocabulary):
    """Every state, those the network doesn't serve yet marked so before anyone picks one."""
    return [SelectChoice("", "Choose…")] + [
        SelectChoice(code, state.name if state.operating else state.name + NOT_SERVED)
        for code, state in vocabulary.states.items()]


class ContactForm(Form):
    """Who the client is, asked the same way on every form a client fills."""

    name = StringField("Your name", validators=[DataRequired("Tell us your name."),
                                               Length(max=120)])
    email = EmailField("Email", filters=[strip], validators=[
        DataRequired("Enter your email address: that's how we'll reach you."),
        Email("Enter an email address like name@example.com."), Length(max=254)])
    phone = TelField("Phone (optional)", validators=[
        Optional(), Length(max=30),
        Regexp(r"^[0-9 +().-]{7,30}$", message="Enter a phone number, like (555) 010-1234.")])


class RequestForm(ContactForm):
    state = SelectField("State where you live", validators=[
        InputRequired("Choose the state where you live.")])
    payment = SelectField("How you'll pay", validators=[InputRequired("Choose how you'll pay.")])
    member_id = StringField("Member ID (optional)", validators=[Optional(), Length(max=40)])
    concerns = TextAreaField("What would you like help with?", validators=[
        DataRequired("Tell the therapist a little about what brings you."),
        Length(max=2000, message="Please keep it under 2,000 characters.")])
    preferred_format = RadioField("How would you like to meet?", choices=[SelectChoice(value, label)
                                                           for value, label in FORMATS.items()],
                                  validators=[InputRequired("Choose how you'd like to meet.")])
    availability = TextAreaField("When are you usually free?", validators=[
        DataRequired("Tell the therapist when you're usually free."),
        Length(max=500, message="Please keep it under 500 characters.")])
    consent = BooleanField(
        "I agree that Alma shares this with the therapist and emails me about my request.",
        validators=[DataRequired("We need your agreement to send the request.")])
    # A field people never see: only robots fill it in.
    website = StringField("Leave this empty", validators=[Optional()])
    submission_key = HiddenField()

    def __init__(self, vocabulary, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = state_choices(vocabulary)
        self.payment.choices = [SelectChoice("", "Choose…")] + [
            SelectChoice(slug, payer.name) for slug, payer in vocabulary.payers.items()] \
            + [SelectChoice(SELF_PAY, "I'll pay myself")]
        self.submission_key.data = one_time_key(self.submission_key.data)


class DeclineForm(Form):
    reason = RadioField("Why?", choices=[SelectChoice(r, DECLINE_REASONS[r].capitalize())
                                         for r in PROVIDER_DECLINE_REASONS],
                        validators=[InputRequired("Choose a reason.")])
    note = TextAreaField("A note for the client (optional)",
                         validators=[Optional(), Length(max=1000)])


class WaitlistForm(Form):
    submission_key = HiddenField(validators=[DataRequired()])
