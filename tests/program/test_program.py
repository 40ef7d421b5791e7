"""The insurance program from enrolment to opting out, through the services."""
import datetime

import pytest
import time_machine

from alma.benefits.models import EligibilityCheck
from alma.clock import today, utcnow
from alma.directory.models import Listing
from alma.mail.models import OutboundEmail
from alma.network import group
from alma.network.models import NetworkParticipation, ProgramClient
from alma.program import clients, credentialing, enrolment, opting_out
from alma.program.models import (ACTIVE, APPROVED, ENDED, LEAVING, WITHDRAWN, CredentialingCase,
                                 InsuranceEnrollment)
from alma.program.problems import ProgramProblem
from tests import factories
from tests.program.helpers import D, approve_all, enrol, move_in, sent, tick_all


def test_a_limited_licence_is_refused_with_the_reason(app_ctx):
    factories.operate_in("MI")
    limited = factories.provider(state="MI", license_type="LLP", level="limited")
    may, why = enrolment.eligibility(limited)
    assert not may and "full licence" in why and "limited" in why.lower()
    with pytest.raises(ProgramProblem, match="full licence"):
        enrol(limited)
    assert InsuranceEnrollment.select().count() == 0


def test_enrolling_opens_a_case_per_program_payer_and_records_individual_contracts(
        app_ctx, member):
    NetworkParticipation.create(provider=member, payer=factories.payer("aetna"),
                                via="individual", starts_on=D(2024, 1, 1))
    enrollment = enrol(member)
    cases = {c.payer.slug: c for c in enrollment.cases}
    assert set(cases) == {"optum", "aetna"}
    assert cases["aetna"].previously_individual and not cases["optum"].previously_individual
    assert enrollment.status == "credentialing" and sent("program_enrolled") == 1
    with pytest.raises(ProgramProblem, match="already enrolled"):
        enrol(member)


@pytest.mark.parametrize("field,value,message", [
    ("caqh_id", "12ab", "5 to 10 digits"),
    ("caqh_attested_on", D(2026, 1, 1), "120 days"),
    ("malpractice_expires_on", D(2026, 1, 1), "in force"),
    ("attested", False, "attestation"),
])
def test_enrolment_needs_a_complete_file_and_stores_nothing_without_one(
        app_ctx, member, field, value, message):
    with pytest.raises(ProgramProblem, match=message):
        enrol(member, **{field: value})
    assert InsuranceEnrollment.select().count() == 0 and CredentialingCase.select().count() == 0


def test_approval_needs_the_checklist_then_puts_the_provider_in_network_for_the_whole_network(
        app_ctx, member, staff):
    enrollment = enrol(member)
    optum = next(c for c in enrollment.cases if c.payer.slug == "optum")
    with pytest.raises(ProgramProblem, match="Before approving"):
        credentialing.approve(optum, today(), staff)
    credentialing.approve(tick_all(optum), today(), staff)
    slugs = {p.payer.slug for p in NetworkParticipation.select().where(
        (NetworkParticipation.provider == member.id) & (NetworkParticipation.via == "group"))}
    assert slugs == {"optum", "unitedhealthcare", "oxford", "oscar"}
    assert InsuranceEnrollment.get_by_id(enrollment.id).status == ACTIVE
    bits = Listing.get(Listing.provider == member.id).payer_bits
    assert bits & (1 << factories.payer("oxford").id) and not bits & (
        1 << factories.payer("aetna").id)
    assert sent("credentialing_approved") == 1
    with pytest.raises(ProgramProblem):
        credentialing.approve(CredentialingCase.get_by_id(optum.id), today(), staff)


def test_clients_move_in_only_for_approved_payers_and_are_told_once(app_ctx, member, staff):
    enrollment = enrol(member)
    with pytest.raises(ProgramProblem, match="aren't credentialed"):
        move_in(member)
    approve_all(enrollment, staff, today())
    program_client = move_in(member)
    assert program_client.diagnosis_code == "F41.1" and program_client.client.email == \
        "sam@example.com"
    assert sent("program_client_welcome") == 1
    with pytest.raises(ProgramProblem, match="already"):
        move_in(member)
    assert move_in(member, member_id="OTHER-1", tell=False, email="kim@example.com")
    assert sent("program_client_welcome") == 1


def _in_network(provider, slug, on):
    return group.in_network_via_group(provider, factories.payer(slug), on)


@pytest.mark.parametrize("days,still_in", [(29, True), (30, False), (31, False)])
def test_opting_out_takes_effect_30_days_after_notice(app, in_program, days, still_in):
    program_client = move_in(in_program)
    noticed_on = today()
    enrollment = opting_out.give_notice(in_program)
    assert enrollment.status == LEAVING and enrollment.ends_on == noticed_on + \
        datetime.timedelta(days=30)
    with pytest.raises(ProgramProblem, match="given notice already"):
        opting_out.give_notice(in_program)
    on = noticed_on + datetime.timedelta(days=days)
    ended = opting_out.end_opted_out(on=on)
    assert ended == (0 if still_in else 1)
    assert opting_out.end_opted_out(on=on) == 0
    assert _in_network(in_program, "unitedhealthcare", on) is still_in
    assert _in_network(in_program, "unitedhealthcare", on - datetime.timedelta(days=1)) is (
        days != 31)
    listing_bits = Listing.get(Listing.provider == in_program.id).payer_bits
    assert bool(listing_bits & (1 << factories.payer("aetna").id)) is still_in
    assert InsuranceEnrollment.get_by_id(enrollment.id).status == (
        LEAVING if still_in else ENDED)
    assert sent("program_ended") == sent("program_ended_client") == (0 if still_in else 1)
    assert (ProgramClient.get_by_id(program_client.id).removed_at is None) is still_in


def test_reenrolling_after_opting_out_starts_again(app, in_program, staff):
    opting_out.give_notice(in_program)
    opting_out.end_opted_out(on=today() + datetime.timedelta(days=30))
    again = enrol(in_program)
    assert again.status == "credentialing" and len(list(again.cases)) == 2


def test_notice_withdraws_cases_still_in_review(app_ctx, member):
    enrollment = enrol(member)
    opting_out.give_notice(member)
    assert {c.status for c in CredentialingCase.select().where(
        CredentialingCase.enrollment == enrollment.id)} == {WITHDRAWN}


def test_leaving_the_network_ends_the_program_the_same_day(app, in_program):
    from alma.membership import leaving

    move_in(in_program)
    leaving.leave(in_program)
    assert enrolment.open_enrollment(in_program) is None
    assert not _in_network(in_program, "aetna", today() + datetime.timedelta(days=1))
    assert sent("program_ended_client") == 1


def test_the_worker_keeps_program_clients_checked(app, in_program):
    program_client = move_in(in_program)
    assert clients.recheck_program_clients() == 1
    assert clients.recheck_program_clients() == 0
    with time_machine.travel(utcnow() + datetime.timedelta(days=26)):
        assert clients.recheck_program_clients() == 1
    assert EligibilityCheck.select().where(
        EligibilityCheck.program_client == program_client.id).count() == 2


def test_approved_status_is_the_cases(app_ctx, member, staff):
    enrollment = enrol(member)
    approve_all(enrollment, staff, today())
    assert {c.status for c in InsuranceEnrollment.get_by_id(enrollment.id).cases} == {APPROVED}


def test_a_name_a_claim_cannot_carry_is_refused_when_the_client_is_added(app, in_program):
    with pytest.raises(ProgramProblem, match="English letters") as refused:
        clients.move_in(in_program, dict(
            first_name="李", last_name="Wei", email="li@example.com",
            date_of_birth=D(1990, 1, 1), gender="U", member_id="X1",
            payer=factories.payer("aetna"), address="1 Main St", city="Oakland", state="CA",
            zip="94607", diagnosis_code="F41.1"), False)
    assert refused.value.field == "first_name" and ProgramClient.select().count() == 0


def test_clients_of_a_payer_the_provider_contracts_with_alone_are_told_they_keep_it(
        app_ctx, member, staff):
    NetworkParticipation.create(provider=member, payer=factories.payer("optum"),
                                via="individual", starts_on=D(2024, 1, 1))
    approve_all(enrol(member), staff, today())
    move_in(member)  # a UnitedHealthcare member: Optum's network
    opting_out.give_notice(member)
    opting_out.end_opted_out(on=today() + datetime.timedelta(days=30))
    told = OutboundEmail.get(OutboundEmail.template == "program_ended_client")
    assert "still in network with UnitedHealthcare on their own" in told.text_body
    ended = OutboundEmail.get(OutboundEmail.template == "program_ended")
    assert "UnitedHealthcare" in ended.text_body and "keep that in-network status" in \
        ended.text_body


def test_a_stop_request_leaves_the_next_client_for_the_next_run(app, in_program, stop_jobs):
    move_in(in_program)
    stop_jobs()
    assert clients.recheck_program_clients() == 0
    assert EligibilityCheck.select().where(EligibilityCheck.program_client.is_null(False)
                                           ).count() == 0
