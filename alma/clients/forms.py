"""The one form a client without a password fills in: "email me a new link"."""
from alma.accounts.forms import email_field
from alma.inputs import Form


class NewLinkForm(Form):
    email = email_field()
