"""Refunding a payment and crediting an invoice from the billing desk, in two steps: the form
(amount and reason), then what will happen in cents, then it happens, once.

Each form gets its idempotency key when it is first shown, and carries it through the
review: sending the confirmation twice (a double click, a retry, the back button) finds
what the first one made (alma/billing/adjustments.py).
"""
import secrets

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from alma.accounts.access import me, team_required
from alma.billing import adjustments, gateways, service
from alma.billing.models import Payment
from alma.billing_desk import ledger
from alma.billing_desk.forms import CREDIT, CreditForm, RefundForm
from alma.billing_desk.views import ROLE, bp, invoice_or_404
from alma.templating import money


def new_key():
    return secrets.token_urlsafe(24)


def _fresh_key_if_spoilt(form):
    """A form whose key is missing or malformed gets a new one, and says so once (for the
    page: the key is no field anyone can fix)."""
    if form.key.errors:
        problem = form.key.errors[0]
        form.key.data, form.key.errors = new_key(), []
        return problem
    return None


def _attach(form, problem):
    """A service's problem, on its field if it names one; else for the page."""
    if problem.field and problem.field in form:
        form[problem.field].errors = [*form[problem.field].errors, str(problem)]
        return None
    return str(problem)


# --- Refunds ------------------------------------------------------------------------------------

def payment_or_404(payment_id):
    payment = Payment.get_or_none(Payment.id == payment_id)
    if payment is None:
        abort(404)
    return payment


def _refund_form(payment, form, problem=None, status=200):
    spoilt = _fresh_key_if_spoilt(form)
    return render_template("billing_desk/refund.html", payment=payment, invoice=payment.invoice,
                           form=form, refundable=service.refundable(payment),
                           label=ledger.gateway_label,
                           cannot=service.gateway_problem(payment),
                           problem=problem or spoilt), status


def _refund_review(plan, form, problem=None, status=200):
    return render_template("billing_desk/refund_review.html", plan=plan, form=form,
                           label=ledger.gateway_label,
                           payer=service.payer_email(plan.invoice),
                           problem=problem), status


@bp.get("/payments/<int:payment_id>/refund")
@team_required(ROLE)
def refund(payment_id):
    return _refund_form(payment_or_404(payment_id),
                        RefundForm(formdata=None, data={"key": new_key(), "after": CREDIT}))


@bp.post("/payments/<int:payment_id>/refund")
@team_required(ROLE)
def refund_review(payment_id):
    """The typed form again (to change it), or what the refund will do."""
    payment = payment_or_404(payment_id)
    form = RefundForm()
    if request.form.get("edit"):
        return _refund_form(payment, form)
    if not form.validate():
        return _refund_form(payment, form, status=422)
    try:
        plan = service.plan_refund(payment, form.cents, form.after.data == CREDIT)
    except adjustments.AdjustmentProblem as problem:
        return _refund_form(payment, form, _attach(form, problem), 422)
    return _refund_review(plan, form)


@bp.post("/payments/<int:payment_id>/refund/confirm")
@team_required(ROLE)
def refund_confirm(payment_id):
    payment = payment_or_404(payment_id)
    form = RefundForm()
    if not form.validate():
        return _refund_form(payment, form, status=422)
    credit_too = form.after.data == CREDIT
    try:
        made, now = adjustments.refund(payment.id, form.cents, form.reason.data, me(),
                                       form.key.data, credit_too=credit_too)
    except adjustments.KeyUsed as problem:
        form.key.data = new_key()
        return _refund_form(payment, form, str(problem), 409)
    except adjustments.AdjustmentProblem as problem:
        return _refund_form(payment, form, _attach(form, problem), 422)
    except gateways.GatewayUnavailable:
        current_app.logger.exception("could not refund payment %s", payment.id)
        plan = service.plan_refund(payment, form.cents, credit_too)
        return _refund_review(plan, form, "The payment provider didn't answer: nothing was "
                                          "refunded. Try again: this same form never refunds "
                                          "twice.", 503)
    if now:
        flash(f"Refunded {money(made.amount_cents)} of the {payment.gateway} payment "
              f"{payment.reference}{' and credited the invoice the same' if credit_too else ''}"
              f". A receipt is on its way to {service.payer_email(payment.invoice)}.")
    else:
        # The same form again (a double click before the page's script ran, a retry): the
        # person learns what the first one did, and that nothing more happened.
        flash(f"Refunded {money(made.amount_cents)} at {made.created_at:%H:%M} UTC. This form "
              f"was sent again: nothing more was refunded.")
    return redirect(url_for("billing_desk.invoice", number=payment.invoice.number), 303)


# --- Credit notes -------------------------------------------------------------------------------

def _credit_form(invoice, form, problem=None, status=200):
    spoilt = _fresh_key_if_spoilt(form)
    return render_template("billing_desk/credit.html", invoice=invoice, form=form,
                           amounts=service.amounts(invoice), problem=problem or spoilt), status


@bp.get("/invoices/<number>/credit")
@team_required(ROLE)
def credit(number):
    return _credit_form(invoice_or_404(number), CreditForm(formdata=None,
                                                           data={"key": new_key()}))


@bp.post("/invoices/<number>/credit")
@team_required(ROLE)
def credit_review(number):
    invoice = invoice_or_404(number)
    form = CreditForm()
    if request.form.get("edit"):
        return _credit_form(invoice, form)
    if not form.validate():
        return _credit_form(invoice, form, status=422)
    try:
        plan = adjustments.plan_credit(invoice, form.cents)
    except adjustments.AdjustmentProblem as problem:
        return _credit_form(invoice, form, _attach(form, problem), 422)
    return render_template("billing_desk/credit_review.html", plan=plan, form=form,
                           payer=service.payer_email(invoice))


@bp.post("/invoices/<number>/credit/confirm")
@team_required(ROLE)
def credit_confirm(number):
    invoice = invoice_or_404(number)
    form = CreditForm()
    if not form.validate():
        return _credit_form(invoice, form, status=422)
    try:
        note, now = adjustments.credit(invoice.id, form.cents, form.reason.data, me(),
                                       form.key.data)
    except adjustments.KeyUsed as problem:
        form.key.data = new_key()
        return _credit_form(invoice, form, str(problem), 409)
    except adjustments.AdjustmentProblem as problem:
        return _credit_form(invoice, form, _attach(form, problem), 422)
    if now:
        flash(f"Credited {money(note.amount_cents)} on invoice {invoice.number}. The credit "
              f"note is on its way to {service.payer_email(invoice)}.")
    else:
        flash(f"Credited {money(note.amount_cents)} at {note.created_at:%H:%M} UTC. This form "
              f"was sent again: nothing more was credited.")
    return redirect(url_for("billing_desk.invoice", number=invoice.number), 303)
