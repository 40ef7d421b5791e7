"""Clients' overdue invoices: marked, chased kindly, and reported to their provider.

A client's invoice (a copay, coinsurance, a cancellation or missed-visit fee, a
self-pay session) is overdue from the day after its due date until it is paid.

- `mark_overdue` stamps `overdue_since` on each one, once.
- `remind_clients` emails the client 1, 7 and 14 days after the due date. The
  claim moves `reminded_count` straight to the stage that is due, so a job that
  was down for days sends the latest reminder only, never a backlog.
- `send_digests` tells each treating provider, at most once a day, which of their
  clients' invoices are overdue, and only when that picture changed (a new one,
  a new reminder stage, one paid, one past 60 days). The unique (provider,
  sent_on) row of OverdueDigest is the claim, written with its email.
- 60 days after the due date, a balance Alma collects may be collected by the
  provider directly from their client.

Membership fees (owed by providers) are chased in alma.membership.fees instead.
"""
import datetime
import uuid
from dataclasses import dataclass

from peewee import JOIN, IntegrityError

from alma.billing import service as billing
from alma.billing.models import OPEN, PAID, Invoice, OverdueDigest
from alma.clock import today
from alma.db import db
from alma.jobs import claim_each, stop_requested
from alma.mail import service as mail
from alma.network.models import Client, Provider

REMIND_AFTER_DAYS = (1, 7, 14)
PROVIDER_MAY_COLLECT_AFTER_DAYS = 60
GROUP, PROVIDER = "group", "provider"
RECENT_PAID = 50


def _client_invoice():
    return Invoice.owed_by_client.is_null(False)


def _overdue_on(on):
    """Open client invoices whose due date has passed by `on`."""
    return _client_invoice() & (Invoice.status == OPEN) & (Invoice.due_on < on)


def days_overdue(invoice, on):
    return max((on - invoice.due_on).days, 0)


def reminder_stage(invoice, on):
    """Which reminder (0 for none, 1 to 3) is due for this invoice on `on`."""
    days = days_overdue(invoice, on)
    return sum(1 for after in REMIND_AFTER_DAYS if days >= after)


def may_collect_directly(invoice, on):
    """A balance Alma collects, unpaid 60 days after its due date, is the provider's to collect.

    (A provider's own cancellation or missed-visit fee is theirs to collect all along.)
    """
    return (invoice.owed_by_client_id is not None and invoice.status == OPEN
            and invoice.collected_by == GROUP
            and days_overdue(invoice, on) >= PROVIDER_MAY_COLLECT_AFTER_DAYS)


def may_mark_paid(invoice, provider, on=None):
    """A provider records a payment made to them: their own fee, or a balance Alma handed
    to them to collect after 60 days unpaid."""
    if billing.paid_to_provider_directly(invoice):
        return invoice.collecting_provider_id == provider.id
    return (invoice.treating_provider_id == provider.id
            and may_collect_directly(invoice, on or today()))


def record_paid_directly(invoice, provider):
    """The provider says their client paid them directly: it is recorded as paid."""
    if not may_mark_paid(invoice, provider):
        raise billing.BillingProblem(
            "Only the provider who collects this invoice can mark it paid.")
    due = billing.amounts(invoice).due
    if due <= 0:
        raise billing.BillingProblem("This invoice is paid already.")
    return billing.record_payment(invoice, due, "direct",
                                  f"direct:{invoice.id}:{uuid.uuid4().hex}")


def collector_name(invoice):
    """Who collects the invoice, in the client's words."""
    if invoice.collected_by == PROVIDER and invoice.collecting_provider_id:
        return invoice.collecting_provider.full_name
    return "Alma"


def who_collects(invoice, provider):
    """Who collects the invoice, in the provider's words."""
    if invoice.collected_by != PROVIDER:
        return "Alma collects"
    if invoice.collecting_provider_id in (None, provider.id):
        return "You collect"
    return f"{invoice.collecting_provider.full_name} collects"


# --- The job --------------------------------------------------------------------------------------

def mark_overdue(on=None):
    """Stamp overdue_since on each open client invoice whose due date has passed."""
    on = on or today()
    due = _overdue_on(on) & Invoice.overdue_since.is_null()
    return claim_each(Invoice, due, {Invoice.overdue_since: on}, lambda invoice: None)


def remind_clients(on=None):
    """Remind each client of an unpaid invoice 1, 7 and 14 days after it was due.

    Stage n is due from REMIND_AFTER_DAYS[n - 1] days until the next stage is; an
    invoice is claimed by moving reminded_count straight to that n, so however
    long the job was down, the client gets the one reminder that is due now.
    """
    on = on or today()
    done = 0
    for n in range(len(REMIND_AFTER_DAYS), 0, -1):
        due = (_overdue_on(on) & (Invoice.reminded_count < n)
               & (Invoice.due_on <= on - datetime.timedelta(days=REMIND_AFTER_DAYS[n - 1])))
        if n < len(REMIND_AFTER_DAYS):
            due &= Invoice.due_on > on - datetime.timedelta(days=REMIND_AFTER_DAYS[n])

        def remind(invoice, n=n):
            provider = invoice.treating_provider or invoice.collecting_provider
            mail.queue("invoice_overdue", invoice.owed_by_client.email,
                       dedupe_key=f"invoice:{invoice.id}:overdue:{n}", invoice=invoice,
                       client=invoice.owed_by_client, provider=provider,
                       what=invoice.kind_label.lower(), due=billing.amounts(invoice).due,
                       days=days_overdue(invoice, on), collector=collector_name(invoice),
                       provider_collects=invoice.collected_by == PROVIDER,
                       url=billing.invoice_link(invoice), stage=n)

        done += claim_each(Invoice, due, {Invoice.reminded_count: n,
                                          Invoice.last_reminded_on: on}, remind)
    return done


@dataclass
class OverdueRow:
    invoice: Invoice
    client_name: str
    what: str
    due_cents: int
    days: int
    stage: int
    may_collect: bool
    provider_collects: bool


def overdue_for(provider_id, on):
    """The provider's clients' overdue invoices on `on`, oldest first."""
    invoices = list(Invoice.select(Invoice, Client).join(Client, on=Invoice.owed_by_client)
                    .where(_overdue_on(on) & (Invoice.treating_provider == provider_id))
                    .order_by(Invoice.due_on, Invoice.id))
    sums = billing.amounts_for(invoices)
    return [OverdueRow(invoice=i, client_name=i.owed_by_client.name, what=i.kind_label,
                       due_cents=sums[i.id].due, days=days_overdue(i, on),
                       stage=reminder_stage(i, on), may_collect=may_collect_directly(i, on),
                       provider_collects=i.collected_by == PROVIDER)
            for i in invoices]


def summary(rows):
    """What a digest reports, as text: each invoice id with its stage, sorted by id.

    A digest only goes when this differs from the provider's last one.
    """
    return " ".join(f"{row.invoice.id}:{row.stage}{'c' if row.may_collect else ''}"
                    for row in sorted(rows, key=lambda row: row.invoice.id))


def send_digests(on=None):
    """At most one digest a day to each provider whose clients have overdue invoices."""
    on = on or today()
    # Read the list first: on SQLite, a cursor left open across the writes below
    # would pin an old snapshot and make them fail when another worker writes.
    provider_ids = [row.treating_provider_id for row in
                    Invoice.select(Invoice.treating_provider).distinct()
                    .where(_overdue_on(on) & Invoice.treating_provider.is_null(False))
                    .order_by(Invoice.treating_provider)]
    sent = 0
    for provider_id in provider_ids:
        if stop_requested():
            break
        rows = overdue_for(provider_id, on)
        if not rows:
            continue  # paid a moment ago
        text = summary(rows)
        last = (OverdueDigest.select().where(OverdueDigest.provider == provider_id)
                .order_by(OverdueDigest.sent_on.desc()).first())
        if last is not None and (last.sent_on >= on or last.summary == text):
            continue
        provider = Provider.get_by_id(provider_id)
        try:
            with db.atomic():
                OverdueDigest.create(provider=provider_id, sent_on=on, summary=text)
                mail.queue("overdue_digest", provider.email,
                           dedupe_key=f"overdue-digest:{provider_id}:{on.isoformat()}",
                           provider=provider, rows=rows, on=on,
                           may_collect_after=PROVIDER_MAY_COLLECT_AFTER_DAYS)
            sent += 1
        except IntegrityError:
            continue  # another worker sent today's digest a moment ago
    return sent


def run(on=None):
    """The "overdue-invoices" job: mark, remind, then tell providers. Returns what it did."""
    on = on or today()
    return mark_overdue(on) + remind_clients(on) + send_digests(on)


# --- The provider's page --------------------------------------------------------------------------

@dataclass
class InvoiceRow:
    invoice: Invoice
    client_name: str
    client_id: int
    what: str
    due_cents: int
    status: str
    overdue_days: int
    collects: str
    may_collect: bool


def client_invoices(provider, on=None):
    """The invoices of a provider's clients: overdue (oldest first), open, then recent paid."""
    on = on or today()
    mine = _client_invoice() & ((Invoice.treating_provider == provider.id)
                                | (Invoice.collecting_provider == provider.id))
    base = (Invoice.select(Invoice, Client).join(Client, JOIN.INNER, on=Invoice.owed_by_client)
            .where(mine))
    overdue = base.where((Invoice.status == OPEN) & (Invoice.due_on < on)).order_by(
        Invoice.due_on, Invoice.id)
    still_open = base.where((Invoice.status == OPEN) & (Invoice.due_on >= on)).order_by(
        Invoice.due_on, Invoice.id)
    paid = base.where(Invoice.status == PAID).order_by(
        Invoice.paid_at.desc(), Invoice.id.desc()).limit(RECENT_PAID)
    groups = [list(group) for group in (overdue, still_open, paid)]
    sums = billing.amounts_for([invoice for group in groups for invoice in group])
    rows = []
    for group in groups:
        for invoice in group:
            days = days_overdue(invoice, on) if invoice.status == OPEN else 0
            if invoice.status == PAID:
                status = "Paid"
            elif days:
                status = f"Overdue {days} day{'s' if days != 1 else ''}"
            else:
                status = "Open"
            rows.append(InvoiceRow(
                invoice=invoice, client_name=invoice.owed_by_client.name,
                client_id=invoice.owed_by_client_id, what=invoice.kind_label,
                due_cents=max(sums[invoice.id].due, 0), status=status,
                overdue_days=days,
                collects=who_collects(invoice, provider),
                may_collect=may_collect_directly(invoice, on)))
    return rows
