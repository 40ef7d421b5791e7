"""Forms of the billing desk: looking invoices up, a refund, a credit note, a date range.

Amounts are typed in dollars (Money refuses "NaN", "-5", "１２" and the like) and become
integer cents here, at most two decimals: "10.005" is refused, not rounded.
"""
import datetime
import decimal

from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from alma.billing.adjustments import KEY, REASON_MAX
from alma.billing.models import KINDS
from alma.inputs import Day, Form, Money, cents

YEAR = datetime.timedelta(days=366)
STATUSES = {"open": "Open", "overdue": "Overdue", "paid": "Paid", "void": "Void"}
CREDIT, OWE = "credit", "owe"


class QueryForm(Form):
    """A form read from the query string: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False


class LookupForm(QueryForm):
    q = StringField("Number, name or email", validators=[Length(
        max=200, message="Search for at most 200 characters.")])
    kind = SelectField("Kind", choices=[SelectChoice("", "Any kind")] + [
        SelectChoice(key, label) for key, label in KINDS.items()], validators=[Optional()])
    status = SelectField("Status", choices=[SelectChoice("", "Any status")] + [
        SelectChoice(key, label) for key, label in STATUSES.items()], validators=[Optional()])
    issued_from = Day("Issued from", validators=[Optional()], earliest=-20 * YEAR,
                      latest=YEAR)
    issued_to = Day("Issued to", validators=[Optional()], earliest=-20 * YEAR, latest=YEAR)

    def validate_issued_to(self, field):
        if field.data and self.issued_from.data and field.data < self.issued_from.data:
            raise ValidationError("Enter a date on or after the first one.")


class RangeForm(QueryForm):
    start = Day("From", validators=[Optional()], earliest=-20 * YEAR, latest=YEAR)
    end = Day("To", validators=[Optional()], earliest=-20 * YEAR, latest=YEAR)

    def validate_end(self, field):
        if field.data and self.start.data:
            if field.data < self.start.data:
                raise ValidationError("Enter a day on or after the first one.")
            if (field.data - self.start.data).days >= 366:
                raise ValidationError("Choose at most a year (366 days) at a time.")


def amount_field(label):
    return Money(label, message="Enter an amount in dollars, like 25 or 25.50.",
                 render_kw={"inputmode": "decimal", "autocomplete": "off"})


def _amount_in_cents(form, field):
    if field.data is None:
        if not field.errors:
            raise ValidationError("Enter an amount in dollars, like 25 or 25.50.")
        return
    if field.data != field.data.quantize(decimal.Decimal("0.01")):
        raise ValidationError("Enter dollars and cents: at most two decimals.")
    if cents(field.data) <= 0:
        raise ValidationError("Enter an amount more than $0.")


class AdjustmentForm(Form):
    reason = StringField("Reason", validators=[
        DataRequired("Say why: the reason is kept with it and is on the payer's receipt."),
        Length(max=REASON_MAX, message=f"Keep the reason to {REASON_MAX} characters.")],
        render_kw={"maxlength": REASON_MAX, "autocomplete": "off"})
    # Made when the form is first shown; the same key in a second submit finds what the
    # first one made (alma/billing/adjustments.py).
    key = HiddenField(validators=[Regexp(KEY, message="This form has expired: open it again.")])

    def validate_amount(self, field):
        _amount_in_cents(self, field)

    @property
    def cents(self):
        return cents(self.amount.data)


class RefundForm(AdjustmentForm):
    amount = amount_field("Amount to refund ($)")
    after = RadioField("Afterwards", choices=[
        SelectChoice(CREDIT, "They don't owe it: lower the invoice by the same amount "
                             "(a credit note)"),
        SelectChoice(OWE, "They owe it again: the invoice asks for it (and reminds them)")],
        validators=[DataRequired("Choose what the invoice asks for afterwards.")])

    field_order = ("amount", "reason", "after")


class CreditForm(AdjustmentForm):
    amount = amount_field("Amount to credit ($)")
