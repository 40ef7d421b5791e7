"""The group's contracts: which payers it contracts with, whose members each one's network
covers, and who is in network through the group on a given day.

Under the group contract, in-network status belongs to the group's Tax ID: a provider is
in network "via group" with every payer the program payer's network covers (Optum's
covers UnitedHealthcare, Oxford and Oscar). The program puts providers in and takes them
out; benefits prices a visit at the group's rate; claims bill under the group. All three
read who is in network here.
"""
from flask import current_app

from alma.clock import today
from alma.network.models import NetworkParticipation, Payer

# The payers whose members a program payer's network covers (slugs).
NETWORKS = {"optum": ("optum", "unitedhealthcare", "oxford", "oscar"), "aetna": ("aetna",)}


def program_payers():
    """The payers the group contracts with (ALMA_PROGRAM_PAYERS), in that order."""
    slugs = current_app.config["PROGRAM_PAYERS"]
    found = {p.slug: p for p in Payer.select().where(Payer.slug.in_(slugs))}
    return [found[s] for s in slugs if s in found]


def network_of(payer):
    """The program payer whose network covers `payer` (Optum for Oxford), or None."""
    for program_payer in program_payers():
        if payer.slug in NETWORKS.get(program_payer.slug, (program_payer.slug,)):
            return program_payer
    return None


def covered_payers(program_payer):
    return list(Payer.select().where(
        Payer.slug.in_(NETWORKS.get(program_payer.slug, (program_payer.slug,)))))


def via_group_on(on):
    """The condition for a participation through the group that is in force on `on`."""
    return ((NetworkParticipation.via == "group") & (NetworkParticipation.starts_on <= on)
            & ((NetworkParticipation.ends_on.is_null())
               | (NetworkParticipation.ends_on >= on)))


def in_network_via_group(provider, payer, on=None):
    on = on or today()
    return NetworkParticipation.select().where(
        (NetworkParticipation.provider == provider.id) & (NetworkParticipation.payer == payer.id)
        & via_group_on(on)).exists()


def approved_payers(provider, on=None):
    """The payers whose members this provider may see in the program today."""
    on = on or today()
    rows = (Payer.select().join(NetworkParticipation, on=(NetworkParticipation.payer == Payer.id))
            .where((NetworkParticipation.provider == provider.id) & via_group_on(on))
            .order_by(Payer.name).distinct())
    return list(rows)
