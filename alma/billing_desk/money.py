"""/team/billing/money: money in and out by day, its CSV, and the rows behind one day."""
import csv
import datetime
import io

from flask import Response, abort, render_template, request

from alma.accounts.access import team_required
from alma.billing_desk import ledger
from alma.billing_desk.forms import YEAR, RangeForm
from alma.billing_desk.views import ROLE, bp
from alma.clock import today
from alma.inputs import parse_day

# A leading =, +, -, @, tab or carriage return would be read as a formula by spreadsheets
# (OWASP's CSV injection advice; the same as alma/practice/views.py's exports).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _range():
    """(form, ledger) for the days asked (the last 30 by default; one day given, the other
    follows), or (form, None) with the form saying what is wrong."""
    form = RangeForm(request.args)
    if not form.validate():
        return form, None
    start, end = form.start.data, form.end.data
    if start is None and end is None:
        start, end = ledger.default_range()
    elif start is None:
        start = end - datetime.timedelta(days=ledger.DEFAULT_DAYS - 1)
    elif end is None:
        end = max(start, today())
    if (end - start).days >= 366:
        form.end.errors = [*form.end.errors, "Choose at most a year (366 days) at a time."]
        return form, None
    form.start.data, form.end.data = start, end
    return form, ledger.by_day(start, end)


@bp.get("/money")
@team_required(ROLE)
def money():
    form, found = _range()
    return render_template("billing_desk/money.html", form=form, ledger=found,
                           label=ledger.gateway_label), 200 if found else 400


def safe_cell(value):
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def csv_rows(found):
    gateways = found.gateways
    yield (["day", "payments_in", "paid_in_cents"] + [f"{g}_cents" for g in gateways]
           + ["refunds_out", "refunded_cents", "credit_notes", "credited_cents", "net_cents",
              "paid_to_providers_directly_cents", "insurer_remittances", "remitted_cents",
              "provider_payouts", "paid_out_cents", "recoupments", "recouped_cents",
              "write_offs", "written_off_cents"])
    for row in [*found.days, found.totals]:
        yield ([row.day.isoformat() if row.day else "total", row.payments, row.paid_in]
               + [row.by_gateway.get(g, [0, 0])[1] for g in gateways]
               + [row.refunds, row.refunded, row.credit_notes, row.credited, row.net,
                  row.direct, row.remittances, row.remitted, row.payouts, row.paid_out,
                  row.recoupments, row.recouped, row.write_offs, row.written_off])


@bp.get("/money.csv")
@team_required(ROLE)
def money_csv():
    form, found = _range()
    if found is None:
        return render_template("billing_desk/money.html", form=form, ledger=None,
                               label=ledger.gateway_label), 400
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(found):
        writer.writerow([safe_cell(cell) for cell in row])
    name = f"alma-money-{found.start.isoformat()}-to-{found.end.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/money/<day>")
@team_required(ROLE)
def money_day(day):
    on = parse_day(day, earliest=-20 * YEAR, latest=YEAR)  # the days the range form allows
    if on is None:
        abort(404)
    return render_template("billing_desk/money_day.html", entries=ledger.entries_on(on),
                           totals=ledger.by_day(on, on).totals, label=ledger.gateway_label)
