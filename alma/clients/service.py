"""A client's own page: everything of theirs in one place, opened by a link we email.

Clients have no password. Whoever opens a link we sent to an address proves they read
that address, and sees what belongs to it: every client record with that email (the one
they made themselves through the directory or matching, and those their providers made
for the insurance program), never anything of another address. Asking for a link says
the same whatever the address: whether we know it stays unsaid.
"""
import datetime
from dataclasses import dataclass, field

from peewee import fn

from alma import audit
from alma.accounts import links
from alma.accounts.service import normalise_email
from alma.benefits.models import EligibilityCheck
from alma.billing import service as billing
from alma.billing.models import Invoice
from alma.claims.reconcile_models import ShareReconciliation
from alma.consultations.models import ConsultationRequest
from alma.db import db
from alma.mail import service as mail
from alma.matching.models import MatchRequest
from alma.network.models import Client, ProgramClient
from alma.web import absolute_url

CLIENT_HOME_LINK = "client-home"
CLIENT_HOME_TTL = datetime.timedelta(hours=1)


@dataclass
class InvoiceRow:
    invoice: Invoice
    amounts: object
    explanation_id: int = None
    direct: bool = False  # paid to the provider, not through Alma


@dataclass
class Overview:
    email: str
    client_ids: list
    requests: list = field(default_factory=list)
    matches: list = field(default_factory=list)
    checks: list = field(default_factory=list)  # (ProgramClient, its newest check or None)
    invoices: list = field(default_factory=list)

    @property
    def empty(self):
        return not (self.requests or self.matches or self.checks or self.invoices)


def email_new_link(email):
    """Email a fresh link to the client page if anything of ours has this address.

    Returns nothing either way: the page that asked says the same for every address.
    """
    email = normalise_email(email)
    first = (Client.select(fn.MIN(Client.id)).where(Client.email == email).scalar())
    if first is None:
        return
    with db.atomic():
        token = links.create(CLIENT_HOME_LINK, first, CLIENT_HOME_TTL)
        mail.queue("client_link", email, url=absolute_url("clients.link", token=token),
                   minutes=int(CLIENT_HOME_TTL.total_seconds() // 60))


def sent_to(token):
    """The address a link of ours went to, whatever its state (used, expired), or None."""
    link = links.lookup(token, CLIENT_HOME_LINK)
    client = Client.get_or_none(Client.id == link.subject_id) if link is not None else None
    return client.email if client is not None else None


def email_of_link(token):
    """The address a good link was sent to, without spending it (LinkProblem if none)."""
    link = links.check(token, CLIENT_HOME_LINK)
    client = Client.get_or_none(Client.id == link.subject_id)
    if client is None:
        raise links.LinkProblem("unknown")
    return client.email


def open_link(token):
    """Spend a link, once; returns the address it was sent to."""
    with db.atomic():
        link = links.spend(token, CLIENT_HOME_LINK)
        client = Client.get_or_none(Client.id == link.subject_id)
        if client is None:
            raise links.LinkProblem("unknown")
        return client.email


def overview(email):
    """Everything of this address's, newest first, with an audit event for each record
    whose health information it shows."""
    ids = [row.id for row in Client.select(Client.id).where(Client.email == email)]
    found = Overview(email=email, client_ids=ids)
    if not ids:
        return found
    found.requests = list(
        ConsultationRequest.select().where(ConsultationRequest.client.in_(ids)
                                           & (ConsultationRequest.source != "matching"))
        .order_by(ConsultationRequest.created_at.desc()).limit(100))
    found.matches = list(MatchRequest.select().where(MatchRequest.client.in_(ids))
                         .order_by(MatchRequest.created_at.desc()).limit(100))
    for member in (ProgramClient.select().where(ProgramClient.client.in_(ids)
                                                & ProgramClient.removed_at.is_null())
                   .order_by(ProgramClient.added_at.desc())):
        newest = (EligibilityCheck.select().where(EligibilityCheck.program_client == member.id)
                  .order_by(EligibilityCheck.checked_at.desc()).first())
        found.checks.append((member, newest))
    invoices = list(Invoice.select().where(Invoice.owed_by_client.in_(ids))
                    .order_by(Invoice.issued_on.desc(), Invoice.id.desc()).limit(200))
    amounts = billing.amounts_for(invoices)
    explained = {row.additional_invoice_id: row.id for row in ShareReconciliation.select().where(
        ShareReconciliation.additional_invoice.in_([i.id for i in invoices]))} if invoices \
        else {}
    found.invoices = [InvoiceRow(i, amounts[i.id], explained.get(i.id),
                                 billing.paid_to_provider_directly(i)) for i in invoices]
    shown = ({r.client_id for r in found.requests} | {m.client_id for m in found.matches}
             | {member.client_id for member, _ in found.checks}
             | {row.invoice.owed_by_client_id for row in found.invoices})
    for client_id in sorted(shown):
        audit.record("viewed", "client_page", client_id, client=client_id,
                     actor_label="client by emailed link")
    return found
