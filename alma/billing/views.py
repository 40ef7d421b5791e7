"""Invoice pages (by emailed link, or for the signed-in member who owes them), paying,
receipts, the local test checkout and gateway webhooks."""
from flask import (Blueprint, abort, current_app, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user

from alma.accounts import link_pages
from alma.billing import events, gateways, service
from alma.billing.models import Invoice
from alma.extensions import csrf, limiter

bp = Blueprint("billing", __name__, url_prefix="/billing")

LINK_PROBLEM = "This link has expired or been used already: each link works once."


def _may_see(invoice):
    if invoice.id in session.get("invoice_ids", []):
        return True
    if current_user.is_authenticated and current_user.provider_id:
        return current_user.provider_id in (invoice.owed_by_provider_id,
                                            invoice.collecting_provider_id)
    return False


def invoice_or_404(number):
    invoice = Invoice.get_or_none(Invoice.number == number)
    if invoice is None or not _may_see(invoice):
        abort(404)
    return invoice


def _invoice_url(invoice_id):
    return url_for("billing.invoice", number=Invoice.get_by_id(invoice_id).number)


@bp.get("/link/<token>")
def invoice_link(token):
    return link_pages.confirm(
        token, service.INVOICE_LINK, "billing/link.html", LINK_PROBLEM,
        lambda invoice_id: _invoice_url(invoice_id)
        if invoice_id in session.get("invoice_ids", []) else None, for_client=True)


@bp.post("/link/<token>")
@limiter.limit("30 per hour")
def invoice_link_post(token):
    def remember(invoice_id):
        session["invoice_ids"] = sorted(set(session.get("invoice_ids", [])) | {invoice_id})
        return _invoice_url(invoice_id)
    return link_pages.spend(token, service.INVOICE_LINK, LINK_PROBLEM, remember,
                            for_client=True)


def _invoice_page(found, problem=None, status=200):
    explained = next((url for _, url in events.invoice_explanation.send(found) if url), None)
    return render_template("billing/invoice.html", invoice=found, amounts=service.amounts(found),
                           paid=request.args.get("paid"), can_pay=gateways.available(),
                           problem=problem, explained=explained), status


@bp.get("/invoices/<number>")
def invoice(number):
    return _invoice_page(invoice_or_404(number))


@bp.get("/invoices/<number>/receipt")
def receipt(number):
    found = invoice_or_404(number)
    return render_template("billing/receipt.html", invoice=found, amounts=service.amounts(found))


@bp.post("/invoices/<number>/pay")
@limiter.limit("20 per hour")
def pay(number):
    found = invoice_or_404(number)
    due = service.amounts(found).due
    if due <= 0:
        return redirect(url_for("billing.invoice", number=number), 303)
    if service.paid_to_provider_directly(found):
        return _invoice_page(found, "Pay this fee to your provider directly.", 409)
    gateway = gateways.gateway()
    if gateway is None:
        return _invoice_page(found, "Online payment isn't set up here.", 409)
    try:
        checkout = gateway.start_checkout(
            found, due, success_url=url_for("billing.invoice", number=number, paid=1,
                                            _external=True),
            cancel_url=url_for("billing.invoice", number=number, _external=True))
    except gateways.GatewayUnavailable:
        current_app.logger.exception("could not start a checkout for %s", number)
        return _invoice_page(found, "We couldn't reach our payment provider. Nothing was "
                                    "charged; please try again in a few minutes.", 503)
    return redirect(checkout.url, 303)


def _test_checkout(values):
    """The invoice a local test checkout is for and what it charges: what is due now,
    whatever the browser says (404 unless the local gateway)."""
    if current_app.config["PAYMENT_GATEWAY"] != "local":
        abort(404)
    found = invoice_or_404(values.get("invoice", ""))
    return found, max(service.amounts(found).due, 0)


def _test_checkout_page(found, amount, reference, problem=None, status=200):
    return render_template("billing/test_checkout.html", invoice=found, amount=amount,
                           reference=reference, card=gateways.LocalGateway.TEST_CARD,
                           problem=problem), status


@bp.get("/test-checkout/<reference>")
def test_checkout(reference):
    return _test_checkout_page(*_test_checkout(request.args), reference)


@bp.post("/test-checkout/<reference>")
@limiter.limit("30 per hour")
def test_checkout_post(reference):
    """The test card pays: the local gateway signs the event and it goes the webhook's way."""
    found, amount = _test_checkout(request.form)
    if service.paid_to_provider_directly(found):
        return _test_checkout_page(found, amount, reference,
                                   "Pay this fee to your provider directly.", 409)
    card = request.form.get("card", "").replace(" ", "")
    if card != gateways.LocalGateway.TEST_CARD.replace(" ", ""):
        return _test_checkout_page(found, amount, reference,
                                   "Your card was declined (use the test card).", 402)
    if amount == 0:
        # Paid already (a second tab, a second click): nothing more to take.
        return redirect(url_for("billing.invoice", number=found.number), 303)
    gateway = gateways.LocalGateway()
    payload = gateway.event_for(found.number, amount, reference)
    try:
        event = gateway.parse_event(payload, {"Alma-Signature": gateway.sign(payload)})
        service.apply_event(gateway, event)
    except service.BillingProblem as problem:
        return _test_checkout_page(found, amount, reference, str(problem), 409)
    return redirect(url_for("billing.invoice", number=found.number, paid=1), 303)


@bp.post("/webhooks/<name>")
@csrf.exempt  # a gateway can't send our CSRF token; its signature is checked instead
@limiter.limit("600 per minute")
def webhook(name):
    gateway = gateways.gateway()
    if gateway is None or name != gateway.name:
        abort(404)
    try:
        event = gateway.parse_event(request.get_data(), request.headers)
        applied = service.apply_event(gateway, event)
    except gateways.InvalidEvent:
        return {"error": "invalid event"}, 400
    except gateways.GatewayUnavailable:
        # Nothing was recorded; the gateway sends the event again later.
        current_app.logger.exception("could not apply a %s event", name)
        return {"error": "try again later"}, 503
    except service.BillingProblem as problem:
        return {"error": str(problem)}, 422
    return {"applied": applied}, 200
