"""Leaving the insurance program: opting out with 30 days' notice, the worker that ends
it on the day notice takes effect, and leaving at once with the network.

Under the group contract, in-network status belongs to the group's Tax ID: leaving ends
every group participation; what the provider had with a payer on their own stays theirs.
Their program clients are told, and leave the program with them.
"""
import datetime

from alma.clock import today, utcnow
from alma.db import db
from alma.directory import service as directory
from alma.jobs import claim_each
from alma.mail import service as mail
from alma.network.group import covered_payers
from alma.network.models import NetworkParticipation, ProgramClient, Provider
from alma.program.enrolment import open_enrollment
from alma.program.models import (ACTIVE, CREDENTIALING, ENDED, LEAVING, SUBMITTED, WITHDRAWN,
                                 CredentialingCase, InsuranceEnrollment)
from alma.program.problems import ProgramProblem
from alma.web import absolute_url

NOTICE_DAYS = 30


def notice_takes_effect(on=None):
    """Notice given today takes effect 30 days later: out of network from that day."""
    return (on or today()) + datetime.timedelta(days=NOTICE_DAYS)


def give_notice(provider, on=None):
    """Opt out with 30 days' notice. Nothing changes until the date it takes effect."""
    on = on or today()
    enrollment = open_enrollment(provider)
    if enrollment is None:
        raise ProgramProblem("You aren't in the insurance program.")
    if enrollment.status == LEAVING:
        raise ProgramProblem(f"You've given notice already: you leave the program on "
                             f"{enrollment.ends_on:%B %-d, %Y}.")
    ends_on = notice_takes_effect(on)
    with db.atomic():
        won = (InsuranceEnrollment.update(status=LEAVING, notice_given_at=utcnow(),
                                          ends_on=ends_on)
               .where((InsuranceEnrollment.id == enrollment.id)
                      & (InsuranceEnrollment.status.in_([CREDENTIALING, ACTIVE])))
               .execute())
        if won != 1:
            raise ProgramProblem("You've given notice already.")
        # Payers still reviewing are told to stop: nothing new starts in the notice period.
        (CredentialingCase.update(status=WITHDRAWN, decided_at=utcnow())
         .where((CredentialingCase.enrollment == enrollment.id)
                & (CredentialingCase.status == SUBMITTED)).execute())
        mail.queue("program_notice", provider.email,
                   dedupe_key=f"enrollment:{enrollment.id}:notice", provider=provider,
                   ends_on=ends_on, url=absolute_url("program.page"))
    return InsuranceEnrollment.get_by_id(enrollment.id)


def end_opted_out(on=None):
    """The worker: on the day notice takes effect, group networks end, everyone is told."""
    on = on or today()
    due = ((InsuranceEnrollment.status == LEAVING) & (InsuranceEnrollment.ends_on <= on))

    def end(enrollment):
        _end(enrollment, enrollment.ends_on, on, reason="notice")

    return claim_each(InsuranceEnrollment, due,
                      {InsuranceEnrollment.status: ENDED, InsuranceEnrollment.open_for: None,
                       InsuranceEnrollment.ended_at: utcnow()}, end)


def _end(enrollment, out_from, on, reason):
    """Group participations end the day before `out_from`; provider and clients are told."""
    provider = Provider.get_by_id(enrollment.provider_id)
    last_day = out_from - datetime.timedelta(days=1)
    (NetworkParticipation.update(ends_on=last_day)
     .where((NetworkParticipation.provider == provider.id)
            & (NetworkParticipation.via == "group")
            & ((NetworkParticipation.ends_on.is_null())
               | (NetworkParticipation.ends_on > last_day))).execute())
    (CredentialingCase.update(status=WITHDRAWN, decided_at=utcnow())
     .where((CredentialingCase.enrollment == enrollment.id)
            & (CredentialingCase.status == SUBMITTED)).execute())
    directory.reindex([provider.id], on=on)
    # Each payer the provider had their own contract with, and every payer it covers.
    kept = sorted({payer.name for case in enrollment.cases if case.previously_individual
                   for payer in covered_payers(case.payer)})
    if reason == "notice":
        mail.queue("program_ended", provider.email,
                   dedupe_key=f"enrollment:{enrollment.id}:ended", provider=provider,
                   out_from=out_from, kept=kept, url=absolute_url("program.page"))
    clients = ProgramClient.select().where((ProgramClient.provider == provider.id)
                                           & ProgramClient.removed_at.is_null())
    for program_client in clients:
        mail.queue("program_ended_client", program_client.client.email,
                   dedupe_key=f"enrollment:{enrollment.id}:client:{program_client.id}",
                   program_client=program_client, provider=provider, out_from=out_from,
                   keeps_network=program_client.payer.name in kept
                   or _individually_in_network(provider, program_client.payer, out_from))
    (ProgramClient.update(removed_at=utcnow())
     .where((ProgramClient.provider == provider.id) & ProgramClient.removed_at.is_null())
     .execute())


def _individually_in_network(provider, payer, on):
    return NetworkParticipation.select().where(
        (NetworkParticipation.provider == provider.id) & (NetworkParticipation.payer == payer.id)
        & (NetworkParticipation.via == "individual") & (NetworkParticipation.starts_on <= on)
        & ((NetworkParticipation.ends_on.is_null())
           | (NetworkParticipation.ends_on >= on))).exists()


def end_on_leaving_network(provider, on):
    """A member who leaves the network leaves the program the same day (no notice needed)."""
    enrollment = open_enrollment(provider)
    if enrollment is None:
        return
    won = (InsuranceEnrollment.update(status=ENDED, open_for=None, ended_at=utcnow(),
                                      ends_on=on)
           .where(InsuranceEnrollment.id == enrollment.id).execute())
    if won == 1:  # in network through the day they leave, as leaving.leave has it
        _end(enrollment, on + datetime.timedelta(days=1), on, reason="left_network")
