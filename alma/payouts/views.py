"""Payout pages: the provider's /practice/payouts (what is coming and when, past
statements), and the billing team's /team/payouts, where every line leads, in one click
each, to its claim, its remittance, its session and the client's invoice."""
import csv
import io
from decimal import Decimal

import click
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from alma import audit
from alma.accounts.access import me, team_required
from alma.claims import reconcile
from alma.claims.models import Claim, Visit
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.clock import today
from alma.network.models import ProgramClient, Provider
from alma.payouts import by_month, rates
from alma.payouts import statements as service
from alma.payouts.forms import AccountForm
from alma.payouts.models import WAITING, PayoutLine, PayoutStatement, PayRate
from alma.practice.views import FORMULA_STARTS

bp = Blueprint("payouts", __name__, cli_group="payouts")


def _provider():
    """A provider's own pages stay theirs after they leave: they are still paid."""
    if current_user.provider_id is None:
        abort(403)
    return current_user.provider


def _own_statement(statement_id):
    statement = PayoutStatement.get_or_none(
        (PayoutStatement.id == statement_id)
        & (PayoutStatement.provider == _provider().id))
    if statement is None:
        abort(404)
    return statement


def _seen(visit_ids, action="viewed"):
    """Payout lines name clients' sessions: who saw or exported them is recorded."""
    visits = sorted({visit_id for visit_id in visit_ids if visit_id})
    if visits:
        rows = (Visit.select(Visit.id, ProgramClient.client).join(ProgramClient)
                .where(Visit.id.in_(visits)).tuples())
        audit.record_many(action, "visit", list(rows), me())


@bp.get("/practice/payouts")
@login_required
def page():
    provider = _provider()
    coming = service.coming(provider.id)
    _seen(item.links.get("visit") for item in coming["items"])
    return render_template("payouts/practice.html", provider=provider, coming=coming,
                           pictures=by_month.pictures(provider.id, due=coming["items"]),
                           statements=service.statements_of(provider.id),
                           rates=sorted(rates.current_rates(provider.id, today()).values(),
                                        key=lambda rate: rate.cpt_code))


@bp.get("/practice/payouts/<int:statement_id>")
@login_required
def statement(statement_id):
    found = _own_statement(statement_id)
    lines = service.lines_of(found)
    _seen(line.visit_id for line in lines)
    return render_template("payouts/statement.html", statement=found, lines=lines,
                           provider=found.provider, team=False,
                           pay_on=service.pay_day(found.period_end))


def _dollars(cents):
    """A number, not text: a spreadsheet sums it, and a minus sign is no formula."""
    return Decimal(cents).scaleb(-2)


def _csv(filename, statement, lines):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "what", "description", "amount", "claim", "835 trace",
                     "session date", "invoice"])
    for line in lines:
        row = [line.happened_at.date().isoformat(), line.kind_label, line.description,
               _dollars(line.amount_cents),
               line.claim.patient_control_number if line.claim_id else "",
               line.remittance.trace_number if line.remittance_id else "",
               line.visit.held_on.isoformat() if line.visit_id else "",
               line.invoice.number if line.invoice_id else ""]
        # A leading =, +, -, @, tab or carriage return would be read as a formula by a
        # spreadsheet (as /practice's exports): such a cell is written with a quote first.
        writer.writerow(["'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v
                         for v in row])
    writer.writerow([])
    for label, cents in (("carried in", statement.carried_in_cents),
                         ("lines", statement.lines_cents), ("total", statement.total_cents),
                         ("carried to the next statement", statement.carried_out_cents)):
        writer.writerow(["", label, "", _dollars(cents)])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/practice/payouts/<int:statement_id>.csv")
@login_required
def statement_csv(statement_id):
    found = _own_statement(statement_id)
    lines = service.lines_of(found)
    _seen((line.visit_id for line in lines), "exported")
    return _csv(f"payout-{found.period_start.isoformat()}.csv", found, lines)


# --- The billing team --------------------------------------------------------------------------

def trace_links_for(lines):
    """A function giving (label, url) for each record a line came from, one click each: its
    claim, its 835, its session and every invoice the client had for the session. The
    sessions' invoices are read once for all the lines."""
    visit_ids = {line.visit_id for line in lines if line.visit_id}
    invoices_of = {}
    if visit_ids:
        for invoice, visit in reconcile.session_invoices(Visit.id.in_(visit_ids)):
            invoices_of.setdefault(visit.id, []).append(invoice)

    def trace_links(line):
        links = []
        if line.claim_id:
            links.append((f"Claim {line.claim.patient_control_number}",
                          url_for("payouts.team_claim", claim_id=line.claim_id)))
        if line.remittance_id:
            links.append((f"835 {line.remittance.trace_number}",
                          url_for("payouts.team_remittance", remittance_id=line.remittance_id)))
        if line.visit_id:
            links.append((f"Session {line.visit.held_on:%b %-d}",
                          url_for("payouts.team_visit", visit_id=line.visit_id)))
        invoices = sorted(invoices_of.get(line.visit_id, []), key=lambda invoice: invoice.id)
        if line.invoice_id and line.invoice_id not in {invoice.id for invoice in invoices}:
            invoices.insert(0, line.invoice)
        for invoice in invoices:
            # The billing desk's page of the invoice (by endpoint: the desk is a sibling layer).
            links.append((f"Invoice {invoice.number}",
                          url_for("billing_desk.invoice", number=invoice.number)))
        return links
    return trace_links


@bp.get("/team/payouts")
@team_required("billing")
def team_list():
    rows = list(PayoutStatement.select(PayoutStatement, Provider).join(Provider)
                .order_by(PayoutStatement.period_start.desc(), Provider.last_name).limit(500))
    return render_template("payouts/team.html", statements=rows, form=AccountForm(),
                           waiting=_waiting())


@bp.get("/team/payouts/<int:statement_id>")
@team_required("billing")
def team_statement(statement_id):
    found = PayoutStatement.get_or_none(PayoutStatement.id == statement_id) or abort(404)
    lines = service.lines_of(found)
    _seen(line.visit_id for line in lines)
    return render_template("payouts/statement.html", statement=found, lines=lines,
                           provider=found.provider, team=True, trace_links=trace_links_for(lines),
                           pay_on=service.pay_day(found.period_end))


@bp.get("/team/payouts/<int:statement_id>.csv")
@team_required("billing")
def team_statement_csv(statement_id):
    found = PayoutStatement.get_or_none(PayoutStatement.id == statement_id) or abort(404)
    lines = service.lines_of(found)
    _seen((line.visit_id for line in lines), "exported")
    return _csv(f"payout-{found.provider.slug}-{found.period_start.isoformat()}.csv", found,
                lines)


def _lines_about(condition):
    return list(PayoutLine.select(PayoutLine, PayoutStatement).join(PayoutStatement)
                .where(condition).order_by(PayoutLine.id))


@bp.get("/team/payouts/claims/<int:claim_id>")
@team_required("billing")
def team_claim(claim_id):
    claim = Claim.get_or_none(Claim.id == claim_id) or abort(404)
    visit = claim.visit
    audit.record("viewed", "visit", visit.id, client=visit.program_client.client_id,
                 actor=me())
    payments = list(ClaimPayment.select(ClaimPayment, Remittance).join(Remittance)
                    .where(ClaimPayment.claim == claim.id).order_by(ClaimPayment.id))
    return render_template("payouts/trace_claim.html", claim=claim, visit=visit,
                           payments=payments, invoices=reconcile.visit_invoices(visit),
                           lines=_lines_about(PayoutLine.claim == claim.id))


@bp.get("/team/payouts/remittances/<int:remittance_id>")
@team_required("billing")
def team_remittance(remittance_id):
    remittance = Remittance.get_or_none(Remittance.id == remittance_id) or abort(404)
    payments = list(ClaimPayment.select().where(ClaimPayment.remittance == remittance.id)
                    .order_by(ClaimPayment.id))
    return render_template("payouts/trace_remittance.html", remittance=remittance,
                           payments=payments,
                           lines=_lines_about(PayoutLine.remittance == remittance.id))


@bp.get("/team/payouts/visits/<int:visit_id>")
@team_required("billing")
def team_visit(visit_id):
    visit = Visit.get_or_none(Visit.id == visit_id) or abort(404)
    audit.record("viewed", "visit", visit.id, client=visit.program_client.client_id,
                 actor=me())
    claims = list(Claim.select().where(Claim.visit == visit.id).order_by(Claim.id))
    return render_template("payouts/trace_visit.html", visit=visit, claims=claims,
                           invoices=reconcile.visit_invoices(visit),
                           lines=_lines_about(PayoutLine.visit == visit.id))


def _waiting():
    """Providers with a statement waiting for their bank details."""
    return list(Provider.select().join(PayoutStatement)
                .where(PayoutStatement.status == WAITING).distinct().order_by(Provider.last_name))


@bp.post("/team/payouts/providers/<int:provider_id>/account")
@team_required("billing")
def set_account(provider_id):
    """Where a provider is paid: their Stripe Connect account id, as Stripe gave it."""
    provider = Provider.get_or_none(Provider.id == provider_id) or abort(404)
    form = AccountForm()
    if not form.validate():
        flash(" ".join(form.account.errors) or "Give the provider's Stripe account id.")
        return redirect(url_for("payouts.team_list"), 303)
    service.set_payout_account(provider, form.account.data)
    audit.record("changed", "payout_account", provider.id, actor=me())
    flash(f"{provider.full_name} is paid to {form.account.data} from now on; statements "
          "waiting for bank details are paid on the next run.")
    return redirect(url_for("payouts.team_list"), 303)


# --- The team's commands: `flask payouts rates`, `flask payouts set-rate` ----------------------

@bp.cli.command("rates")
def rates_command():
    """List every pay rate, newest first for each code."""
    for rate in PayRate.select().order_by(PayRate.cpt_code, PayRate.license_type,
                                          PayRate.starts_on.desc()):
        click.echo(f"{rate.cpt_code}  {rate.license_type or 'any licence':12}  "
                   f"{rate.cents / 100:>9,.2f}  from {rate.starts_on.isoformat()}")


@bp.cli.command("set-rate")
@click.argument("cpt_code")
@click.argument("dollars")
@click.option("--from", "starts_on", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="The first session day it applies to (YYYY-MM-DD).")
@click.option("--licence", "license_type", default=None,
              help="Only for providers with this licence type (LCSW, LMFT…).")
def set_rate_command(cpt_code, dollars, starts_on, license_type):
    """Pay CPT_CODE sessions DOLLARS (e.g. 104.50) from a day."""
    try:
        amount = Decimal(dollars)
        cents = int(amount * 100)
        if cents != amount * 100:
            raise ValueError("whole cents only")
        rate = rates.set_rate(cpt_code, cents, starts_on.date(), license_type)
    except (ArithmeticError, ValueError) as problem:
        raise click.BadParameter(str(problem)) from None
    click.echo(f"{rate.cpt_code} pays {rate.cents / 100:,.2f} from {rate.starts_on} "
               f"({rate.license_type or 'any licence'}).")
