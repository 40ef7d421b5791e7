"""/dev/mail: the outbox, readable in the browser. Development only (see create_app)."""
from flask import Blueprint, abort, render_template

from alma.mail.models import OutboundEmail
from alma.mail.service import rebased

bp = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")


@bp.get("")
def index():
    emails = OutboundEmail.select().order_by(OutboundEmail.id.desc()).limit(200)
    return render_template("mail/index.html", emails=emails)


@bp.get("/<int:email_id>")
def show(email_id):
    email = OutboundEmail.get_or_none(OutboundEmail.id == email_id)
    if email is None:
        abort(404)
    return render_template("mail/show.html", email=email,
                           text_body=rebased(email.text_body, email.base_url))
