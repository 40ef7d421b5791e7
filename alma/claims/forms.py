"""The form a provider logs a session with."""
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from alma.benefits.forms import YEAR, day_field
from alma.benefits.models import CPT_CODES
from alma.claims.models import ATTENDANCE
from alma.inputs import Form


class VisitForm(Form):
    client = SelectField("Client", validators=[InputRequired("Choose the client.")])
    held_on = day_field("Date of the session", "Enter the date of the session.",
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
    # Only for a late cancellation or a no-show (an attended session is billed to the
    # insurer): unticked unless the provider ticks it, hidden while "Attended" is chosen.
    charge_fee = BooleanField("Invoice my fee for this late cancellation or missed session",
                              default=False)
