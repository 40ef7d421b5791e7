"""What a session costs a client with a provider in network through the group: the
group's rate for the visit, the client's share of it under their checked benefits
(responsibility.py), and how sure that figure is."""
from dataclasses import dataclass

from alma.benefits import responsibility
from alma.benefits.models import STANDARD_VISIT, FeeSchedule
from alma.clock import today
from alma.network.group import network_of, via_group_on
from alma.network.models import NetworkParticipation


def allowed_cents(payer, cpt_code, on=None):
    """The group's rate for a code with the program payer whose network covers `payer`."""
    program_payer = network_of(payer)
    if program_payer is None:
        return None
    row = (FeeSchedule.select().where((FeeSchedule.payer == program_payer.id)
                                      & (FeeSchedule.cpt_code == cpt_code)
                                      & (FeeSchedule.starts_on <= (on or today())))
           .order_by(FeeSchedule.starts_on.desc()).first())
    return row.allowed_cents if row else None


@dataclass
class Estimate:
    allowed_cents: int
    share: responsibility.Share
    certainty: responsibility.Certainty

    @property
    def cents(self):
        return self.share.total_cents


def estimate(check, cpt_code=STANDARD_VISIT, on=None, rates=None):
    """What a standard visit with a group in-network provider will cost this client.

    `rates`, a dict, keeps each payer's rate for the next call (a page of many clients).
    """
    if check is None or check.outcome != "active":
        return None
    rates = {} if rates is None else rates
    if check.payer_id not in rates:
        rates[check.payer_id] = allowed_cents(check.payer, cpt_code, on)
    allowed = rates[check.payer_id]
    if allowed is None:
        return None
    return Estimate(allowed, responsibility.share(allowed, responsibility.Terms.of(check)),
                    responsibility.certainty(check))


def costs_for(check, provider_ids, on=None):
    """{provider id: Estimate} for those in network through the group with the check's payer.

    The group's rate is the same whoever the provider is, so one estimate serves them all.
    """
    found = estimate(check, on=on)
    if found is None or not provider_ids:
        return {}
    on = on or today()
    rows = NetworkParticipation.select(NetworkParticipation.provider).where(
        NetworkParticipation.provider.in_(list(provider_ids))
        & (NetworkParticipation.payer == check.payer_id) & via_group_on(on))
    return {row.provider_id: found for row in rows}
