"""Forms for signing in and choosing a password (Flask-WTF: CSRF included)."""
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, Length, Optional

from alma.inputs import Form


def strip(value):
    return value.strip() if isinstance(value, str) else value


def email_field():
    return EmailField("Email", filters=[strip], validators=[
        DataRequired("Enter your email address."),
        Email("Enter an email address like name@example.com."), Length(max=254)])


class SignInForm(Form):
    email = email_field()
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=128)])
    next = HiddenField()


class LinkForm(Form):
    # Named apart from SignInForm.email: both forms share the sign-in page.
    link_email = email_field()
    next = HiddenField()


class PasswordForm(Form):
    current_password = PasswordField("Current password", validators=[Optional(), Length(max=128)])
    new_password = PasswordField("New password", validators=[
        DataRequired("Choose a password."), Length(max=128)])


class SetPasswordForm(Form):
    password = PasswordField("Choose a password", validators=[
        DataRequired("Choose a password."), Length(max=128)])
