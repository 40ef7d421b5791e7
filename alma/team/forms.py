"""Forms of the team console."""
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from alma.accounts.forms import strip
from alma.accounts.service import ROLES
from alma.inputs import Form


class InviteForm(Form):
    name = StringField("Name", validators=[DataRequired("Enter their name."), Length(max=120)])
    email = StringField("Email", filters=[strip], validators=[
        DataRequired("Enter their email address."),
        Email("Enter an email address like name@example.com."), Length(max=254)])
    roles = SelectMultipleField(
        "Roles", choices=[SelectChoice(key, label) for key, label in ROLES.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[InputRequired("Choose at least one role.")])


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
