"""/practice/invoices: the provider's clients' invoices, overdue ones first.

Clients stay with a provider who has left the network, so their invoices do too:
this page needs a provider's sign-in, not a current membership.
"""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required

from alma import audit
from alma.accounts.access import me
from alma.billing import overdue
from alma.billing import service as billing
from alma.billing.models import Invoice
from alma.practice.views import _provider_even_if_left, bp


@bp.get("/invoices")
@login_required
def invoices():
    provider = _provider_even_if_left()
    rows = overdue.client_invoices(provider)
    clients = sorted({row.client_id for row in rows})
    audit.record_many("viewed", "client_invoices", [(None, c) for c in clients], me())
    return render_template("practice/invoices.html", rows=rows, provider=provider,
                           may_collect_after=overdue.PROVIDER_MAY_COLLECT_AFTER_DAYS)


@bp.post("/invoices/<number>/paid")
@login_required
def mark_paid(number):
    """The client paid the provider directly (their own fee, or a balance unpaid 60 days)."""
    provider = _provider_even_if_left()
    invoice = Invoice.get_or_none((Invoice.number == number)
                                  & ((Invoice.collecting_provider == provider.id)
                                     | (Invoice.treating_provider == provider.id)))
    if invoice is None:
        abort(404)
    try:
        overdue.record_paid_directly(invoice, provider)
    except billing.BillingProblem as problem:
        flash(str(problem))
    else:
        audit.record("marked_paid", "invoice", invoice.id, client=invoice.owed_by_client_id,
                     actor=me())
        flash(f"Invoice {invoice.number} is marked paid; your client gets a receipt.")
    return redirect(url_for("practice.invoices"), 303)
