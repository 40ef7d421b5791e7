"""/practice/invoices: the provider's clients' invoices, overdue ones first.

Clients stay with a provider who has left the network, so their invoices do too:
this page needs a provider's sign-in, not a current membership.
"""
from flask import render_template
from flask_login import login_required

from alma import audit
from alma.billing import overdue
from alma.practice.views import _provider_even_if_left, bp
from alma.team.access import me


@bp.get("/invoices")
@login_required
def invoices():
    provider = _provider_even_if_left()
    rows = overdue.client_invoices(provider)
    clients = sorted({row.client_id for row in rows})
    audit.record_many("viewed", "client_invoices", [(None, c) for c in clients], me())
    return render_template("practice/invoices.html", rows=rows, provider=provider,
                           may_collect_after=overdue.PROVIDER_MAY_COLLECT_AFTER_DAYS)
