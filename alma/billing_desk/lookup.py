"""Finding any invoice, and everything that happened to one, for the billing desk."""
from dataclasses import dataclass

from peewee import JOIN

from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.billing import service
from alma.billing.models import OPEN, CreditNote, Invoice, Payment, Refund
from alma.clock import today
from alma.network.models import Client, Provider

PER_PAGE = 25
MOST_WORDS = 6
# What an invoice's history shows: changes, not who looked.
LOOKS = ("viewed", "listed")


@dataclass
class Criteria:
    q: str = ""
    kind: str = ""
    status: str = ""
    issued_from: object = None
    issued_to: object = None


@dataclass
class Found:
    rows: list  # (invoice, Amounts)
    total: int
    page: int
    pages: int


def _matches(word):
    """An invoice whose number, or whose payer's name or email, holds `word`."""
    return (Invoice.number.contains(word) | Client.name.contains(word)
            | Client.email.contains(word) | Provider.first_name.contains(word)
            | Provider.last_name.contains(word) | Provider.email.contains(word))


def _query(criteria):
    query = (Invoice.select(Invoice, Client, Provider)
             .join(Client, JOIN.LEFT_OUTER, on=Invoice.owed_by_client)
             .switch(Invoice)
             .join(Provider, JOIN.LEFT_OUTER, on=Invoice.owed_by_provider))
    for word in criteria.q.split()[:MOST_WORDS]:
        query = query.where(_matches(word))
    if criteria.kind:
        query = query.where(Invoice.kind == criteria.kind)
    if criteria.status == "overdue":
        query = query.where((Invoice.status == OPEN) & (Invoice.due_on < today()))
    elif criteria.status:
        query = query.where(Invoice.status == criteria.status)
    if criteria.issued_from:
        query = query.where(Invoice.issued_on >= criteria.issued_from)
    if criteria.issued_to:
        query = query.where(Invoice.issued_on <= criteria.issued_to)
    return query


def find(criteria, page=1):
    """One page of the invoices that match, newest first, each with its amounts."""
    query = _query(criteria)
    total = query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    invoices = list(query.order_by(Invoice.issued_on.desc(), Invoice.id.desc())
                    .paginate(page, PER_PAGE))
    sums = service.amounts_for(invoices)
    return Found([(invoice, sums[invoice.id]) for invoice in invoices], total, page, pages)


@dataclass
class PaymentRow:
    payment: Payment
    refunds: list
    refunded: int
    refundable: int
    cannot_refund: str  # why not, or None


@dataclass
class Detail:
    invoice: Invoice
    amounts: service.Amounts
    payments: list  # PaymentRow
    refunds: list
    credit_notes: list
    history: list  # AuditEvent


def detail(invoice):
    """Everything about one invoice: every payment, refund and credit note, who made it."""
    payments = list(Payment.select().where(Payment.invoice == invoice.id)
                    .order_by(Payment.created_at, Payment.id))
    refunds = list(Refund.select(Refund, User).join(User, JOIN.LEFT_OUTER)
                   .where(Refund.payment.in_([p.id for p in payments]))
                   .order_by(Refund.created_at, Refund.id)) if payments else []
    rows = []
    for payment in payments:
        mine = [r for r in refunds if r.payment_id == payment.id]
        back = sum(r.amount_cents for r in mine)
        left = 0 if payment.gateway == service.DIRECT else payment.amount_cents - back
        rows.append(PaymentRow(payment, mine, back, left, service.gateway_problem(payment)))
    notes = list(CreditNote.select(CreditNote, User).join(User, JOIN.LEFT_OUTER)
                 .where(CreditNote.invoice == invoice.id)
                 .order_by(CreditNote.created_at, CreditNote.id))
    history = list(AuditEvent.select(AuditEvent, User).join(User, JOIN.LEFT_OUTER)
                   .where((AuditEvent.subject_type == "invoice")
                          & (AuditEvent.subject_id == invoice.id)
                          & AuditEvent.action.not_in(LOOKS))
                   .order_by(AuditEvent.at, AuditEvent.id))
    return Detail(invoice, service.amounts(invoice), rows, refunds, notes, history)

