"""/practice/self-pay: a provider's self-pay clients, their good-faith estimates, sessions,
payments and superbills; and the client's copies, opened from an emailed link."""
from flask import Blueprint, abort, flash, redirect, render_template, session, url_for

from alma import audit
from alma.accounts import link_pages, links
from alma.accounts.access import me, provider_required
from alma.extensions import limiter
from alma.inputs import cents
from alma.selfpay import service
from alma.selfpay.forms import (ClientForm, DetailsForm, EstimateForm, NewClientForm, PaymentForm,
                                SessionForm, SuperbillForm)
from alma.selfpay.models import (PAYMENT_METHODS, GoodFaithEstimate, SelfPayClient, SelfPaySession,
                                 Superbill)

bp = Blueprint("selfpay", __name__)
LINK_PROBLEM = ("This link has expired, been used already (each link works once) or isn't "
                "right. Ask your provider to send it again.")
OPENED = "self_pay_documents"  # the documents this browser opened from a link


def _provider():
    return me().provider


def _own(model, object_id):
    row = service.owned(_provider(), model, object_id)
    if row is None:
        abort(404)
    return row


# --- The list, and the practice's details -------------------------------------------------

@bp.get("/practice/self-pay")
@provider_required
def index():
    return _index_page(NewClientForm(formdata=None))


def _index_page(form, status=200):
    provider = _provider()
    rows = service.clients_of(provider)
    audit.record_many("viewed", "self_pay_clients", [(row.id, row.client_id) for row in rows],
                      me())
    # The clients whose estimate's period is over: a new one is needed.
    current = service.current_estimates([row.id for row in rows if not row.gfe_wanted])
    ended = {spc_id: estimate.period_end for spc_id, estimate in current.items()
             if estimate.period_end < service.today()}
    return render_template("selfpay/index.html", rows=rows, form=form, ended=ended,
                           missing=service.missing_details(provider),
                           details=service.details_for(provider), today=service.today()), status


@bp.post("/practice/self-pay/clients")
@provider_required
def add_client():
    form = NewClientForm()
    if not form.validate():
        return _index_page(form, 422)
    spc, created = service.add_client(_provider(), form.data, actor=me())
    if not created:
        flash(f"{spc.name} is already one of your self-pay clients.")
    return redirect(url_for("selfpay.client_page", spc_id=spc.id), 303)


@bp.get("/practice/self-pay/details")
@provider_required
def details():
    found = service.details_for(_provider())
    form = DetailsForm(formdata=None, obj=found)
    return render_template("selfpay/details.html", form=form)


@bp.post("/practice/self-pay/details")
@provider_required
def details_post():
    form = DetailsForm()
    if form.validate():
        try:
            service.save_details(_provider(), form.data)
        except service.SelfPayProblem as problem:
            form[problem.field].errors.append(str(problem))
        else:
            flash("Saved: your estimates and superbills show these details.")
            return redirect(url_for("selfpay.index"), 303)
    return render_template("selfpay/details.html", form=form), 422


# --- One client ----------------------------------------------------------------------------

def _client_page(spc, client_form=None, estimate_form=None, session_form=None,
                 superbill_form=None, payment_form=None, problem=None, status=200):
    provider = _provider()
    if client_form is None:
        client_form = ClientForm(formdata=None, obj=spc, agreed_rate=(
            spc.agreed_rate_cents / 100 if spc.agreed_rate_cents else None),
            diagnosis_codes=" ".join(spc.codes))
    if estimate_form is None:
        estimate_form = EstimateForm(formdata=None, data=service.prefill(spc))
    if session_form is None:
        rate = service.rate_for(spc)
        session_form = SessionForm(formdata=None, data={
            "fee": rate / 100 if rate else None, "held_on": service.today()})
    if superbill_form is None:
        superbill_form = SuperbillForm(formdata=None, data={
            "starts_on": service.today().replace(day=1), "ends_on": service.today()})
    estimate, logged, above = service.standing(spc)
    sessions = service.sessions_of(spc)
    payment_forms = {s.id: PaymentForm(formdata=None, data={
        "amount": (s.fee_cents - s.paid_cents) / 100, "received_on": service.today()},
        prefix=f"p{s.id}") for s in sessions if s.paid_cents < s.fee_cents}
    if payment_form is not None:
        payment_forms[payment_form[0]] = payment_form[1]
    audit.record("viewed", "self_pay_client", spc.id, client=spc.client_id, actor=me())
    return render_template(
        "selfpay/client.html", spc=spc, client_form=client_form, estimate_form=estimate_form,
        session_form=session_form, superbill_form=superbill_form, problem=problem,
        estimate=estimate, logged=logged, above=above, warning=service.warning(spc),
        sessions=sessions, payment_forms=payment_forms,
        estimates=list(spc.estimates.order_by(GoodFaithEstimate.id.desc())),
        superbills=list(spc.superbills.order_by(Superbill.id.desc())),
        missing=service.missing_details(provider), methods=PAYMENT_METHODS,
        today=service.today()), status


@bp.get("/practice/self-pay/clients/<int:spc_id>")
@provider_required
def client_page(spc_id):
    return _client_page(_own(SelfPayClient, spc_id))


@bp.post("/practice/self-pay/clients/<int:spc_id>")
@provider_required
def client_post(spc_id):
    spc = _own(SelfPayClient, spc_id)
    form = ClientForm()
    if form.validate():
        try:
            service.update_client(spc, {**form.data,
                                        "agreed_rate_cents": cents(form.agreed_rate.data)},
                                  actor=me())
        except service.SelfPayProblem as problem:
            form[problem.field].errors.append(str(problem))
        else:
            flash("Saved." + (f" The estimate is due by {spc.gfe_due_on:%A, %B %-d}."
                              if spc.gfe_wanted and spc.gfe_due_on else ""))
            return redirect(url_for("selfpay.client_page", spc_id=spc.id), 303)
    spc = SelfPayClient.get_by_id(spc.id)  # nothing half-written shows as saved
    return _client_page(spc, client_form=form, status=422)


@bp.post("/practice/self-pay/clients/<int:spc_id>/asked")
@provider_required
def client_asked(spc_id):
    spc = service.client_asked(_own(SelfPayClient, spc_id), actor=me())
    flash(f"Noted: {spc.name} asked for an estimate; it is due by "
          f"{spc.gfe_due_on:%A, %B %-d}.")
    return redirect(url_for("selfpay.client_page", spc_id=spc.id), 303)


@bp.post("/practice/self-pay/clients/<int:spc_id>/estimates")
@provider_required
def issue_estimate(spc_id):
    spc = _own(SelfPayClient, spc_id)
    form = EstimateForm()
    if not form.validate():
        return _client_page(spc, estimate_form=form, status=422)
    try:
        estimate = service.issue_estimate(spc, {**form.data, "rate_cents": cents(form.rate.data)},
                                          form.submission_key.data, actor=me())
    except service.SelfPayProblem as problem:
        if problem.field in form:
            form[problem.field].errors.append(str(problem))
        return _client_page(spc, estimate_form=form, problem=str(problem),
                            status=problem.status)
    flash(f"Estimate {estimate.number} issued and emailed to {spc.name}.")
    return redirect(url_for("selfpay.estimate", estimate_id=estimate.id), 303)


@bp.get("/practice/self-pay/estimates/<int:estimate_id>")
@provider_required
def estimate(estimate_id):
    found = _own(GoodFaithEstimate, estimate_id)
    audit.record("viewed", "good_faith_estimate", found.id, client=found.client_id, actor=me())
    return render_template("selfpay/estimate.html", estimate=found, content=found.content,
                           superseded_by=GoodFaithEstimate.get_or_none(
                               GoodFaithEstimate.supersedes == found.id), for_provider=True)


@bp.post("/practice/self-pay/estimates/<int:estimate_id>/send")
@provider_required
def resend_estimate(estimate_id):
    found = _own(GoodFaithEstimate, estimate_id)
    service.send_estimate(found)
    audit.record("sent", "good_faith_estimate", found.id, client=found.client_id, actor=me())
    flash(f"A new link to estimate {found.number} is on its way to {found.client.email}.")
    return redirect(url_for("selfpay.estimate", estimate_id=found.id), 303)


@bp.post("/practice/self-pay/clients/<int:spc_id>/sessions")
@provider_required
def log_session(spc_id):
    spc = _own(SelfPayClient, spc_id)
    form = SessionForm()
    if not form.validate():
        return _client_page(spc, session_form=form, status=422)
    try:
        service.log_session(spc, {**form.data, "fee_cents": cents(form.fee.data)},
                            form.submission_key.data, confirmed=form.confirm_over_estimate.data,
                            actor=me())
    except service.SelfPayProblem as problem:
        form[problem.field].errors.append(str(problem))
        return _client_page(spc, session_form=form, problem=str(problem), status=problem.status)
    flash("Session logged.")
    return redirect(url_for("selfpay.client_page", spc_id=spc.id, _anchor="sessions-h"), 303)


@bp.post("/practice/self-pay/sessions/<int:session_id>/payments")
@provider_required
def record_payment(session_id):
    row = _own(SelfPaySession, session_id)
    spc = row.self_pay_client
    form = PaymentForm(prefix=f"p{row.id}")
    if form.validate():
        try:
            service.record_payment(row, cents(form.amount.data), form.received_on.data,
                                   form.method.data, form.submission_key.data, actor=me())
        except service.SelfPayProblem as problem:
            form[problem.field].errors.append(str(problem))
        else:
            flash("Payment recorded.")
            return redirect(url_for("selfpay.client_page", spc_id=spc.id,
                                    _anchor="sessions-h"), 303)
    return _client_page(spc, payment_form=(row.id, form), status=422)


@bp.post("/practice/self-pay/clients/<int:spc_id>/superbills")
@provider_required
def make_superbill(spc_id):
    spc = _own(SelfPayClient, spc_id)
    form = SuperbillForm()
    if not form.validate():
        return _client_page(spc, superbill_form=form, status=422)
    try:
        bill = service.make_superbill(spc, form.starts_on.data, form.ends_on.data,
                                      form.submission_key.data, actor=me())
    except service.SelfPayProblem as problem:
        form[problem.field].errors.append(str(problem))
        return _client_page(spc, superbill_form=form, problem=str(problem),
                            status=problem.status)
    flash(f"Superbill {bill.number} made and emailed to {spc.name}.")
    return redirect(url_for("selfpay.superbill", bill_id=bill.id), 303)


@bp.get("/practice/self-pay/superbills/<int:bill_id>")
@provider_required
def superbill(bill_id):
    found = _own(Superbill, bill_id)
    audit.record("viewed", "superbill", found.id, client=found.client_id, actor=me())
    return render_template("selfpay/superbill.html", bill=found, content=found.content,
                           for_provider=True)


@bp.post("/practice/self-pay/superbills/<int:bill_id>/send")
@provider_required
def resend_superbill(bill_id):
    found = _own(Superbill, bill_id)
    service.send_superbill(found)
    audit.record("sent", "superbill", found.id, client=found.client_id, actor=me())
    flash(f"A new link to superbill {found.number} is on its way to {found.client.email}.")
    return redirect(url_for("selfpay.superbill", bill_id=found.id), 303)


# --- The client's copies, from the emailed link ---------------------------------------------------

def _opened(kind, object_id):
    return f"{kind}:{object_id}" in session.get(OPENED, [])


def _remember(kind, endpoint, key):
    def remember(object_id):
        session[OPENED] = sorted(set(session.get(OPENED, [])) | {f"{kind}:{object_id}"})
        return url_for(endpoint, **{key: object_id})
    return remember


@bp.get("/self-pay/estimates/link/<token>")
def estimate_link(token):
    return link_pages.confirm(
        token, service.ESTIMATE_LINK, "selfpay/link.html", LINK_PROBLEM,
        lambda object_id: url_for("selfpay.client_estimate", estimate_id=object_id)
        if _opened("gfe", object_id) else None, for_client=True)


@bp.post("/self-pay/estimates/link/<token>")
@limiter.limit("30 per hour")
def estimate_link_post(token):
    return link_pages.spend(token, service.ESTIMATE_LINK, LINK_PROBLEM,
                            _remember("gfe", "selfpay.client_estimate", "estimate_id"),
                            for_client=True)


@bp.get("/self-pay/estimates/<int:estimate_id>")
def client_estimate(estimate_id):
    if not _opened("gfe", estimate_id):
        abort(404)
    found = GoodFaithEstimate.get_by_id(estimate_id)
    audit.record("viewed", "good_faith_estimate", found.id, client=found.client_id,
                 actor_label="client (emailed link)")
    return render_template("selfpay/estimate.html", estimate=found, content=found.content,
                           superseded_by=GoodFaithEstimate.get_or_none(
                               GoodFaithEstimate.supersedes == found.id), for_provider=False)


@bp.get("/self-pay/superbills/link/<token>")
def superbill_link(token):
    return link_pages.confirm(
        token, service.SUPERBILL_LINK, "selfpay/link.html", LINK_PROBLEM,
        lambda object_id: url_for("selfpay.client_superbill", bill_id=object_id)
        if _opened("superbill", object_id) else None, for_client=True)


@bp.post("/self-pay/superbills/link/<token>")
@limiter.limit("30 per hour")
def superbill_link_post(token):
    return link_pages.spend(token, service.SUPERBILL_LINK, LINK_PROBLEM,
                            _remember("superbill", "selfpay.client_superbill", "bill_id"),
                            for_client=True)


@bp.get("/self-pay/superbills/<int:bill_id>")
def client_superbill(bill_id):
    if not _opened("superbill", bill_id):
        abort(404)
    found = Superbill.get_by_id(bill_id)
    audit.record("viewed", "superbill", found.id, client=found.client_id,
                 actor_label="client (emailed link)")
    return render_template("selfpay/superbill.html", bill=found, content=found.content,
                           for_provider=False)


# --- The client asks for an estimate, from the link emailed when their request was accepted --

@bp.get("/self-pay/ask/<token>")
def ask_link(token):
    link = links.lookup(token, service.ASK_LINK)
    spc = SelfPayClient.get_or_none(SelfPayClient.id == link.subject_id) if link else None
    try:
        links.check(token, service.ASK_LINK)
    except links.LinkProblem:
        return link_pages.problem(LINK_PROBLEM, for_client=True)
    return render_template("selfpay/ask.html", spc=spc)


@bp.post("/self-pay/ask/<token>")
@limiter.limit("30 per hour")
def ask_link_post(token):
    try:
        link = links.spend(token, service.ASK_LINK)
    except links.LinkProblem:
        return link_pages.problem(LINK_PROBLEM, for_client=True)
    spc = service.client_asked(SelfPayClient.get_by_id(link.subject_id), by_client=True)
    return render_template("selfpay/asked.html", spc=spc)
