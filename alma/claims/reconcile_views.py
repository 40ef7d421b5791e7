"""The billing team's reviews of higher client shares (/team/claims/reviews), and the
client's explanation page, opened from the email's link (/claims/explanations/…)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from alma.accounts import link_pages
from alma.accounts.access import me, team_required
from alma.billing import gateways
from alma.billing import service as billing
from alma.claims import reconcile, refunds_owed
from alma.claims.reconcile_models import ShareReconciliation
from alma.extensions import limiter

bp = Blueprint("reconcile", __name__)

LINK_PROBLEM = ("This link has expired, been used already (each link works once) or isn't "
                "right.")


def _review_or_404(row_id):
    row = ShareReconciliation.get_or_none(ShareReconciliation.id == row_id)
    if row is None or not row.review_status:
        abort(404)
    return row


@bp.get("/team/claims/reviews")
@team_required("billing")
def reviews():
    return _reviews_page()


def _reviews_page(**problem):
    return render_template("claims/reconcile/reviews.html", pending=reconcile.pending_reviews(),
                           decided=reconcile.recent_decisions(), words=reconcile,
                           owed=refunds_owed.pending(), **problem)


@bp.post("/team/claims/reviews/<int:row_id>/approve")
@team_required("billing")
def approve(row_id):
    _review_or_404(row_id)
    try:
        row = reconcile.approve(row_id, me())
    except reconcile.ReviewProblem as problem:
        flash(str(problem))
    else:
        flash(f"Invoiced {row.additional_invoice.number} for the difference; the client is "
              "emailed the explanation.")
    return redirect(url_for("reconcile.reviews"), 303)


@bp.post("/team/claims/reviews/<int:row_id>/waive")
@team_required("billing")
def waive(row_id):
    _review_or_404(row_id)
    try:
        reconcile.waive(row_id, me(), request.form.get("reason", ""))
    except reconcile.ReviewProblem as problem:
        flash(str(problem))
        return _reviews_page(problem_for=row_id, problem=str(problem),
                             waive_reason=request.form.get("reason", "")), 422
    flash("Waived: the client won't be billed the difference.")
    return redirect(url_for("reconcile.reviews"), 303)


@bp.post("/team/claims/reviews/<int:row_id>/refund-settled")
@team_required("billing")
def refund_settled(row_id):
    row = ShareReconciliation.get_or_none(ShareReconciliation.id == row_id)
    if row is None or not row.refund_owed_cents:
        abort(404)
    try:
        refunds_owed.settle(row_id, me(), request.form.get("note", ""))
    except refunds_owed.SettleProblem as problem:
        if ShareReconciliation.get_by_id(row_id).refund_settled_at is not None:
            flash(str(problem))  # settled before (by someone else): nothing to correct
            return redirect(url_for("reconcile.reviews"), 303)
        return _reviews_page(settle_for=row_id, settle_problem=str(problem),
                             settle_note=request.form.get("note", "")), 422
    flash("Recorded: the refund owed is settled.")
    return redirect(url_for("reconcile.reviews"), 303)


# --- The client's explanation -------------------------------------------------------------

def _opened(row_id):
    row = ShareReconciliation.get_or_none(ShareReconciliation.id == row_id)
    return row if row and row.additional_invoice_id in session.get("invoice_ids", []) else None


@bp.get("/claims/explanations/link/<token>")
def explanation_link(token):
    return link_pages.confirm(
        token, reconcile.EXPLANATION_LINK, "claims/reconcile/link.html", LINK_PROBLEM,
        lambda row_id: url_for("reconcile.explanation", row_id=row_id)
        if _opened(row_id) else None, for_client=True)


@bp.post("/claims/explanations/link/<token>")
@limiter.limit("30 per hour")
def explanation_link_post(token):
    def remember(row_id):
        invoice_id = ShareReconciliation.get_by_id(row_id).additional_invoice_id
        # The same key the invoice's own link uses: the bill opens, and can be paid, too.
        session["invoice_ids"] = sorted(set(session.get("invoice_ids", [])) | {invoice_id})
        return url_for("reconcile.explanation", row_id=row_id)
    return link_pages.spend(token, reconcile.EXPLANATION_LINK, LINK_PROBLEM, remember,
                            for_client=True)


@bp.get("/claims/explanations/<int:row_id>")
def explanation(row_id):
    row = _opened(row_id)
    if row is None:
        abort(404)
    claim = row.claim
    invoice = row.additional_invoice
    return render_template(
        "claims/reconcile/explanation.html", row=row, claim=claim, invoice=invoice,
        amounts=billing.amounts(invoice), estimate=reconcile.estimate_parts(claim),
        decided=reconcile.decision_words(claim), plan_paid=reconcile.plan_paid(claim),
        payer=reconcile.payer_name(claim),
        what=reconcile.session_words(claim), can_pay=gateways.available())
