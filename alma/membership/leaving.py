"""Leaving the network: the listing comes down, billing stops, clients stay with the provider.

In-network status that came through the group's Tax ID ends with membership;
status the provider had on their own (credentialed individually before
joining) remains theirs.
"""
from dataclasses import dataclass

from alma.billing import service as billing
from alma.billing.models import OPEN, Invoice
from alma.clock import today
from alma.db import db
from alma.directory import service as directory
from alma.jobs import claim_each
from alma.mail import service as mail
from alma.membership.models import Membership
from alma.network.models import NetworkParticipation, Payer, Provider
from alma.program import opting_out


@dataclass
class PayerOutcome:
    payer: str
    remains: bool
    why: str


def payer_outcomes(provider, on=None):
    on = on or today()
    found = {}
    for participation in (NetworkParticipation.select(NetworkParticipation, Payer).join(Payer)
                          .where((NetworkParticipation.provider == provider.id)
                                 & (NetworkParticipation.starts_on <= on)
                                 & (NetworkParticipation.ends_on.is_null()
                                    | (NetworkParticipation.ends_on >= on)))):
        name = participation.payer.name
        if participation.via == "individual":
            found[name] = PayerOutcome(name, True, "you were credentialed individually")
        elif name not in found:
            found[name] = PayerOutcome(name, False, "it came through Alma's Tax ID")
    return sorted(found.values(), key=lambda o: o.payer)


def open_invoices(provider):
    return list(Invoice.select().where((Invoice.owed_by_provider == provider.id)
                                       & (Invoice.status == OPEN)))


def leave(provider, on=None):
    """Leave now: the listing comes down, no more fees, group networks end."""
    on = on or today()
    with db.atomic():
        Provider.update(membership_status="left").where(Provider.id == provider.id).execute()
        Membership.update(left_on=on).where((Membership.provider == provider.id)
                                            & Membership.left_on.is_null()).execute()
        outcomes = payer_outcomes(provider, on)
        opting_out.end_on_leaving_network(provider, on)
        (NetworkParticipation.update(ends_on=on)
         .where((NetworkParticipation.provider == provider.id)
                & (NetworkParticipation.via == "group")
                & NetworkParticipation.ends_on.is_null()).execute())
        directory.reindex([provider.id], on=on)
        final = open_invoices(provider)
        mail.queue("left_network", provider.email, dedupe_key=f"provider:{provider.id}:left",
                   provider=provider, outcomes=outcomes,
                   final=[(i, billing.amounts(i).due, billing.invoice_link(i)) for i in final])
        return outcomes


def end_cancelled_memberships(on=None):
    """A cancellation takes effect on its day: the member leaves then."""
    on = on or today()
    due = Membership.left_on.is_null() & (Membership.ends_on <= on)

    def end(membership):
        leave(membership.provider, on)

    return claim_each(Membership, due, {Membership.left_on: on}, end)
