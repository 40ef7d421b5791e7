"""The forms a provider logs a session with, and voids one logged by mistake with."""
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

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


class VoidVisitForm(Form):
    # Kept in the audit trail with what was voided (the client's credit note says only that
    # the session was logged in error): as the billing team says why it voids a claim.
    reason = TextAreaField("What was wrong", validators=[
        DataRequired("Say what was wrong with it: it is kept with the record."),
        Length(max=500, message="Say it in at most 500 characters.")])
