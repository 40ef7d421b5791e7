"""The insurance program from enrolment to opting out, through the services."""
import datetime

import pytest
import time_machine

from alma.billing import overdue
from alma.billing.models import Invoice
from alma.clock import today
from alma.directory.models import Listing
from alma.insurance import benefits, service, sessions, x12
from alma.insurance.models import (ACTIVE, APPROVED, ENDED, LEAVING, WITHDRAWN, Claim,
                                   CredentialingCase, EligibilityCheck, InsuranceEnrollment,
                                   ProgramClient, Visit)
from alma.mail.models import OutboundEmail
from alma.network.models import NetworkParticipation
from tests import factories

D = datetime.date
MONDAY = datetime.datetime(2026, 11, 23, 15, 0)


def enrol(provider, on=None, **overrides):
    values = dict(caqh_id="12345678", caqh_attested_on=(on or today()) - datetime.timedelta(
        days=10), malpractice_carrier="CPH & Associates",
        malpractice_expires_on=(on or today()) + datetime.timedelta(days=300), attested=True)
    values.update(overrides)
    return service.enroll(provider, on=on, **values)


def tick_all(case):
    for field in service.CHECKLIST:
        setattr(case, field, True)
    case.save()
    return case


def approve_all(enrollment, user, effective_on):
    for case in enrollment.cases:
        service.approve(tick_all(case), effective_on, user)


@pytest.fixture
def staff(app, db):
    from alma.accounts.models import User

    return User.create(email="cred@example.com", name="Cred", roles="credentialing")


@pytest.fixture
def member(app, db):
    factories.operate_in("CA")
    return factories.provider(first_name="Ines", email="ines@example.com")


def sent(template):
    return OutboundEmail.select().where(OutboundEmail.template == template).count()


def move_in(provider, member_id="ALMA-ACTIVE-COPAY", payer="unitedhealthcare", tell=True,
            email="sam@example.com"):
    values = dict(first_name="Sam", last_name="Rivera", email=email,
                  date_of_birth=D(1990, 4, 2), gender="U", member_id=member_id,
                  payer=factories.payer(payer), address="12 Elm St", city="Oakland", state="CA",
                  zip="94607", diagnosis_code="f41.1")
    return sessions.move_in(provider, values, tell)


def test_a_limited_licence_is_refused_with_the_reason(app_ctx):
    factories.operate_in("MI")
    limited = factories.provider(state="MI", license_type="LLP", level="limited")
    may, why = service.eligibility(limited)
    assert not may and "full licence" in why and "limited" in why.lower()
    with pytest.raises(service.ProgramProblem, match="full licence"):
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
    with pytest.raises(service.ProgramProblem, match="already enrolled"):
        enrol(member)


@pytest.mark.parametrize("field,value,message", [
    ("caqh_id", "12ab", "5 to 10 digits"),
    ("caqh_attested_on", D(2026, 1, 1), "120 days"),
    ("malpractice_expires_on", D(2026, 1, 1), "in force"),
    ("attested", False, "attestation"),
])
def test_enrolment_needs_a_complete_file_and_stores_nothing_without_one(
        app_ctx, member, field, value, message):
    with pytest.raises(service.ProgramProblem, match=message):
        enrol(member, **{field: value})
    assert InsuranceEnrollment.select().count() == 0 and CredentialingCase.select().count() == 0


def test_approval_needs_the_checklist_then_puts_the_provider_in_network_for_the_whole_network(
        app_ctx, member, staff):
    enrollment = enrol(member)
    optum = next(c for c in enrollment.cases if c.payer.slug == "optum")
    with pytest.raises(service.ProgramProblem, match="Before approving"):
        service.approve(optum, today(), staff)
    service.approve(tick_all(optum), today(), staff)
    slugs = {p.payer.slug for p in NetworkParticipation.select().where(
        (NetworkParticipation.provider == member.id) & (NetworkParticipation.via == "group"))}
    assert slugs == {"optum", "unitedhealthcare", "oxford", "oscar"}
    assert InsuranceEnrollment.get_by_id(enrollment.id).status == ACTIVE
    bits = Listing.get(Listing.provider == member.id).payer_bits
    assert bits & (1 << factories.payer("oxford").id) and not bits & (
        1 << factories.payer("aetna").id)
    assert sent("credentialing_approved") == 1
    with pytest.raises(service.ProgramProblem):
        service.approve(CredentialingCase.get_by_id(optum.id), today(), staff)


def test_clients_move_in_only_for_approved_payers_and_are_told_once(app_ctx, member, staff):
    enrollment = enrol(member)
    with pytest.raises(service.ProgramProblem, match="aren't credentialed"):
        move_in(member)
    approve_all(enrollment, staff, today())
    program_client = move_in(member)
    assert program_client.diagnosis_code == "F41.1" and program_client.client.email == \
        "sam@example.com"
    assert sent("program_client_welcome") == 1
    with pytest.raises(service.ProgramProblem, match="already"):
        move_in(member)
    assert move_in(member, member_id="OTHER-1", tell=False, email="kim@example.com")
    assert sent("program_client_welcome") == 1


@pytest.fixture
def in_program(app, db, member, staff):
    with time_machine.travel(MONDAY - datetime.timedelta(days=40), tick=False):
        with app.app_context():
            approve_all(enrol(member), staff, today())
    with app.app_context():
        yield member


def checked(app, program_client, when):
    with time_machine.travel(when, tick=False):
        with app.app_context():
            return benefits.check_for_program_client(program_client)


def test_a_session_without_a_check_a_business_day_before_is_not_billed(app, in_program):
    program_client = move_in(in_program)
    checked(app, program_client, MONDAY)  # the same day: too late for Monday's session
    with time_machine.travel(MONDAY + datetime.timedelta(hours=3), tick=False):
        visit = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834",
                                   True, "attended")
    assert "business day" in visit.billing_note
    assert Claim.select().count() == 0 and Invoice.select().count() == 0


def test_a_check_on_friday_covers_mondays_session(app, in_program):
    program_client = move_in(in_program)
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(MONDAY + datetime.timedelta(hours=3), tick=False):
        visit = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834",
                                   True, "attended")
    claim = Claim.get(Claim.visit == visit)
    assert (claim.allowed_cents, claim.copay_cents, claim.patient_share_cents) == (
        12500, 2500, 2500)
    assert x12.validate(claim.x12) == []
    assert "CLM*AL" in claim.x12 and "SV1*HC:90834:95*125" in claim.x12
    invoice = Visit.get_by_id(visit.id).invoice
    assert invoice.kind == "copay" and invoice.total_cents == 2500
    assert invoice.collected_by == "group" and invoice.treating_provider_id == in_program.id
    assert sent("invoice_issued") == 1


def test_telehealth_and_in_person_are_paid_the_same(app, in_program):
    program_client = move_in(in_program, member_id="ALMA-COINS-DEDUCT")
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(MONDAY + datetime.timedelta(days=1), tick=False):
        online = sessions.log_visit(in_program, program_client, MONDAY.date(), "90837",
                                    True, "attended")
        office = sessions.log_visit(in_program, program_client,
                                    MONDAY.date() + datetime.timedelta(days=1), "90837",
                                    False, "attended")
    a, b = Claim.get(Claim.visit == online), Claim.get(Claim.visit == office)
    assert a.allowed_cents == b.allowed_cents == 16800
    assert (a.place_of_service, a.modifiers, b.place_of_service, b.modifiers) == (
        "10", "95", "11", "")
    assert x12.validate(b.x12) == []


def test_the_deductible_comes_first_on_a_coinsurance_plan(app, in_program):
    program_client = move_in(in_program, member_id="ALMA-COINS-DEDUCT")
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(MONDAY + datetime.timedelta(hours=3), tick=False):
        visit = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834",
                                   False, "attended")
    claim = Claim.get(Claim.visit == visit)
    # $1,200 of the deductible is left: the whole $125 session goes toward it.
    assert (claim.deductible_cents, claim.coinsurance_cents, claim.patient_share_cents) == (
        12500, 0, 12500)
    assert Visit.get_by_id(visit.id).invoice.kind == "deductible"


def test_late_cancellations_and_no_shows_never_reach_the_insurer(app, in_program):
    in_program.late_cancel_fee_cents = 7500
    in_program.save()
    program_client = move_in(in_program)
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(MONDAY + datetime.timedelta(days=2), tick=False):
        late = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                                  "late_cancel")
        missed = sessions.log_visit(in_program, program_client,
                                    MONDAY.date() + datetime.timedelta(days=1), "90834", True,
                                    "no_show")
    assert Claim.select().count() == 0
    invoice = Visit.get_by_id(late.id).invoice
    assert invoice.kind == "cancellation_fee" and invoice.total_cents == 7500
    assert invoice.collected_by == "provider" and invoice.collecting_provider_id == in_program.id
    assert Visit.get_by_id(missed.id).invoice is None  # no no-show fee in their policy
    assert "never billed to the insurer" in Visit.get_by_id(missed.id).billing_note


def test_a_session_is_logged_once_and_never_in_the_future(app, in_program):
    program_client = move_in(in_program)
    with time_machine.travel(MONDAY, tick=False):
        with pytest.raises(service.ProgramProblem, match="happened"):
            sessions.log_visit(in_program, program_client,
                               MONDAY.date() + datetime.timedelta(days=1), "90834", True,
                               "attended")
        sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                           "no_show")
        with pytest.raises(service.ProgramProblem, match="logged already"):
            sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                               "no_show")
    assert Visit.select().count() == 1


def test_another_providers_client_cannot_be_logged(app, in_program):
    program_client = move_in(in_program)
    other = factories.provider(first_name="Other")
    with pytest.raises(service.ProgramProblem):
        sessions.log_visit(other, program_client, today(), "90834", True, "attended")
    assert sessions.program_client_or_none(other, program_client.id) is None


def _in_network(provider, slug, on):
    return service.in_network_via_group(provider, factories.payer(slug), on)


@pytest.mark.parametrize("days,still_in", [(29, True), (30, False), (31, False)])
def test_opting_out_takes_effect_30_days_after_notice(app, in_program, days, still_in):
    program_client = move_in(in_program)
    noticed_on = today()
    enrollment = service.give_notice(in_program)
    assert enrollment.status == LEAVING and enrollment.ends_on == noticed_on + \
        datetime.timedelta(days=30)
    with pytest.raises(service.ProgramProblem, match="given notice already"):
        service.give_notice(in_program)
    on = noticed_on + datetime.timedelta(days=days)
    ended = service.end_opted_out(on=on)
    assert ended == (0 if still_in else 1)
    assert service.end_opted_out(on=on) == 0
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
    service.give_notice(in_program)
    service.end_opted_out(on=today() + datetime.timedelta(days=30))
    again = enrol(in_program)
    assert again.status == "credentialing" and len(list(again.cases)) == 2


def test_notice_withdraws_cases_still_in_review(app_ctx, member):
    enrollment = enrol(member)
    service.give_notice(member)
    assert {c.status for c in CredentialingCase.select().where(
        CredentialingCase.enrollment == enrollment.id)} == {WITHDRAWN}


def test_leaving_the_network_ends_the_program_the_same_day(app, in_program):
    from alma.membership import leaving

    move_in(in_program)
    leaving.leave(in_program)
    assert service.open_enrollment(in_program) is None
    assert not _in_network(in_program, "aetna", today() + datetime.timedelta(days=1))
    assert sent("program_ended_client") == 1


def test_the_worker_keeps_program_clients_checked(app, in_program):
    program_client = move_in(in_program)
    assert benefits.recheck_program_clients() == 1
    assert benefits.recheck_program_clients() == 0
    with time_machine.travel(datetime.datetime.now() + datetime.timedelta(days=26)):
        assert benefits.recheck_program_clients() == 1
    assert EligibilityCheck.select().where(
        EligibilityCheck.program_client == program_client.id).count() == 2


def test_approved_status_is_the_cases(app_ctx, member, staff):
    enrollment = enrol(member)
    approve_all(enrollment, staff, today())
    assert {c.status for c in InsuranceEnrollment.get_by_id(enrollment.id).cases} == {APPROVED}


def test_each_claim_uses_only_the_deductible_earlier_claims_left(app, in_program):
    program_client = move_in(in_program, member_id="ALMA-COINS-DEDUCT")
    check = checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    check.deductible_remaining_cents = 20_000  # $200 of the deductible left
    check.save()
    shares = []
    with time_machine.travel(MONDAY + datetime.timedelta(days=3), tick=False):
        for day in range(3):
            visit = sessions.log_visit(in_program, program_client,
                                       MONDAY.date() + datetime.timedelta(days=day), "90834",
                                       True, "attended")
            claim = Claim.get(Claim.visit == visit)
            shares.append((claim.deductible_cents, claim.coinsurance_cents))
    # $125 toward it; then the last $75 and 20% of the other $50; then 20% of $125.
    assert shares == [(12_500, 0), (7_500, 1_000), (0, 2_500)]


def test_a_name_a_claim_cannot_carry_is_refused_when_the_client_is_added(app, in_program):
    with pytest.raises(service.ProgramProblem, match="English letters") as refused:
        sessions.move_in(in_program, dict(
            first_name="李", last_name="Wei", email="li@example.com",
            date_of_birth=D(1990, 1, 1), gender="U", member_id="X1",
            payer=factories.payer("aetna"), address="1 Main St", city="Oakland", state="CA",
            zip="94607", diagnosis_code="F41.1"), False)
    assert refused.value.field == "first_name" and ProgramClient.select().count() == 0


def test_a_session_held_before_a_client_left_is_still_billed(app, in_program):
    program_client = move_in(in_program)
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(MONDAY + datetime.timedelta(days=2), tick=False):
        sessions.remove(program_client)
        program_client = ProgramClient.get_by_id(program_client.id)
        visit = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                                   "attended")
        assert Claim.select().where(Claim.visit == visit).count() == 1
        with pytest.raises(service.ProgramProblem, match="left the program"):
            sessions.log_visit(in_program, program_client,
                               MONDAY.date() + datetime.timedelta(days=2), "90834", True,
                               "attended")


def test_no_claim_after_the_coverage_the_check_found_ends(app, in_program):
    program_client = move_in(in_program)
    check = checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    check.coverage_ends_on = MONDAY.date() - datetime.timedelta(days=1)
    check.save()
    with time_machine.travel(MONDAY + datetime.timedelta(hours=3), tick=False):
        visit = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                                   "attended")
    assert "coverage ended" in visit.billing_note and Claim.select().count() == 0


def test_clients_of_a_payer_the_provider_contracts_with_alone_are_told_they_keep_it(
        app_ctx, member, staff):
    NetworkParticipation.create(provider=member, payer=factories.payer("optum"),
                                via="individual", starts_on=D(2024, 1, 1))
    approve_all(enrol(member), staff, today())
    move_in(member)  # a UnitedHealthcare member: Optum's network
    service.give_notice(member)
    service.end_opted_out(on=today() + datetime.timedelta(days=30))
    told = OutboundEmail.get(OutboundEmail.template == "program_ended_client")
    assert "still in network with UnitedHealthcare on their own" in told.text_body
    ended = OutboundEmail.get(OutboundEmail.template == "program_ended")
    assert "UnitedHealthcare" in ended.text_body and "keep that in-network status" in \
        ended.text_body


def test_a_balance_unpaid_60_days_may_be_marked_paid_by_the_provider(app, in_program):
    from alma.billing import service as billing

    program_client = move_in(in_program)
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(MONDAY + datetime.timedelta(hours=3), tick=False):
        visit = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                                   "attended")
    invoice = Visit.get_by_id(visit.id).invoice
    with time_machine.travel(MONDAY + datetime.timedelta(days=1), tick=False), \
            pytest.raises(billing.BillingProblem):
        overdue.record_paid_directly(invoice, in_program)
    later = invoice.due_on + datetime.timedelta(days=60)
    with time_machine.travel(datetime.datetime.combine(later, datetime.time(12)), tick=False):
        overdue.record_paid_directly(invoice, in_program)
    assert Invoice.get_by_id(invoice.id).status == "paid"


def test_a_carved_out_clients_claim_goes_to_the_behavioural_health_administrator(
        app, in_program):
    program_client = move_in(in_program, member_id="ALMA-CARVE-OUT")
    check = checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    assert (check.carved_out_from, check.carve_out_payer_id) == ("UnitedHealthcare", "OBH01")
    with time_machine.travel(MONDAY + datetime.timedelta(hours=3), tick=False):
        visit = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834",
                                   True, "attended")
    claim = Claim.get(Claim.visit == visit)
    assert "NM1*PR*2*OPTUM BEHAVIORAL HEALTH*****PI*OBH01" in claim.x12
    assert claim.copay_cents == 3000 and x12.validate(claim.x12) == []


def test_a_stop_request_leaves_the_next_client_for_the_next_run(app, in_program, stop_jobs):
    move_in(in_program)
    stop_jobs()
    assert benefits.recheck_program_clients() == 0
    assert EligibilityCheck.select().where(EligibilityCheck.program_client.is_null(False)
                                           ).count() == 0
