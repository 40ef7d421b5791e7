"""/team/billing: the billing desk's invoice lookup and an invoice with everything that
happened to it. Refunds and credit notes are in refunds.py, money by day in money.py."""
from flask import Blueprint, abort, render_template, request

from alma import audit
from alma.accounts.access import me, team_required
from alma.billing.models import Invoice
from alma.billing_desk import ledger, lookup
from alma.billing_desk.forms import LookupForm
from alma.clock import today
from alma.web import whole_number

bp = Blueprint("billing_desk", __name__, url_prefix="/team/billing")
ROLE = "billing"  # and admins (team_required lets them in)


def invoice_or_404(number):
    invoice = Invoice.get_or_none(Invoice.number == number)
    if invoice is None:
        abort(404)
    return invoice


@bp.get("")
@team_required(ROLE)
def invoices():
    form = LookupForm(request.args)
    if not form.validate():
        return render_template("billing_desk/invoices.html", form=form, found=None,
                               searched=True), 400
    criteria = lookup.Criteria(q=form.q.data or "", kind=form.kind.data or "",
                               status=form.status.data or "",
                               issued_from=form.issued_from.data, issued_to=form.issued_to.data)
    found = lookup.find(criteria, whole_number(request.args.get("page")) or 1)
    # A client's invoices tell who was seen, when, under which plan: their views are kept.
    audit.record_many("listed", "invoice", [(invoice.id, invoice.owed_by_client_id)
                                            for invoice, _ in found.rows
                                            if invoice.owed_by_client_id], me())
    return render_template("billing_desk/invoices.html", form=form, found=found, today=today(),
                           searched=any(request.args.get(name) for name in form.data))


@bp.get("/invoices/<number>")
@team_required(ROLE)
def invoice(number):
    found = invoice_or_404(number)
    audit.record("viewed", "invoice", found.id, client=found.owed_by_client_id, actor=me())
    return render_template("billing_desk/invoice.html", d=lookup.detail(found), today=today(),
                           label=ledger.gateway_label)
