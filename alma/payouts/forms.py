"""The billing team's form: where a provider is paid."""
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from alma.accounts.forms import strip
from alma.inputs import Form


class AccountForm(Form):
    account = StringField("Stripe account id", filters=[strip], validators=[
        DataRequired("Give the provider's Stripe account id."), Length(max=100),
        Regexp(r"^acct_[A-Za-z0-9]+$",
               message="A Stripe account id looks like acct_1Nv0FGQ9RKHgCVdK.")])
