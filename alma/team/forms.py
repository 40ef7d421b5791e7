"""Forms of the team console."""
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length
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
