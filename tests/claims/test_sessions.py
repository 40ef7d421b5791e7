"""Sessions and their claims, through the services: the check a session is billed under,
the claim at the group's rate, the client's share, and fees that never reach the insurer."""
import datetime

import pytest
import time_machine

from alma.billing import overdue
from alma.billing.models import Invoice
from alma.claims import sessions
from alma.claims.models import Claim, Visit
from alma.claims.x12_validation import validate
from alma.clock import today
from alma.network.models import ProgramClient
from alma.program import clients
from alma.program.problems import ProgramProblem
from tests import factories
from tests.program.helpers import MONDAY, checked, move_in, sent


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
    assert validate(claim.x12) == []
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
    assert validate(b.x12) == []


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
        with pytest.raises(ProgramProblem, match="happened"):
            sessions.log_visit(in_program, program_client,
                               MONDAY.date() + datetime.timedelta(days=1), "90834", True,
                               "attended")
        sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                           "no_show")
        with pytest.raises(ProgramProblem, match="logged already"):
            sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                               "no_show")
    assert Visit.select().count() == 1


def test_another_providers_client_cannot_be_logged(app, in_program):
    program_client = move_in(in_program)
    other = factories.provider(first_name="Other")
    with pytest.raises(ProgramProblem):
        sessions.log_visit(other, program_client, today(), "90834", True, "attended")
    assert clients.program_client_or_none(other, program_client.id) is None


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


def test_a_session_held_before_a_client_left_is_still_billed(app, in_program):
    program_client = move_in(in_program)
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(MONDAY + datetime.timedelta(days=2), tick=False):
        clients.remove(program_client)
        program_client = ProgramClient.get_by_id(program_client.id)
        visit = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                                   "attended")
        assert Claim.select().where(Claim.visit == visit).count() == 1
        with pytest.raises(ProgramProblem, match="left the program"):
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
    assert claim.copay_cents == 3000 and validate(claim.x12) == []
