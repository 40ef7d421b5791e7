"""A session logged by mistake is voided before it is claimed: its invoice cancelled with a
credit note, the slot free for the real one."""
import datetime

import pytest
import time_machine

from alma.audit import AuditEvent
from alma.billing import service as billing
from alma.billing.models import CreditNote, Invoice
from alma.claims import sessions, voiding
from alma.claims.models import SUBMITTED, Claim, Visit
from alma.mail.models import SENT, OutboundEmail
from alma.program.problems import ProgramProblem
from tests import factories
from tests.program.helpers import MONDAY, checked, move_in, sent

LATER = MONDAY + datetime.timedelta(days=2)


def _no_show(provider, program_client):
    provider.no_show_fee_cents = 5000
    provider.save()
    return sessions.log_visit(provider, program_client, MONDAY.date(), "90834", True,
                              "no_show", charge_fee=True)


def test_a_wrong_no_show_not_yet_emailed_is_voided_and_the_real_session_logged(
        app, in_program):
    program_client = move_in(in_program)
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(LATER, tick=False):
        wrong = _no_show(in_program, program_client)
        invoice = Visit.get_by_id(wrong.id).invoice
        assert sent("invoice_issued") == 1
        with pytest.raises(ProgramProblem, match="logged already"):
            sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                               "attended")
        said = voiding.void_visit(in_program, wrong.id)
        real = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                                  "attended")
    assert "cancelled before it was emailed" in said
    assert sent("invoice_issued") == 1 and sent("credit_note") == 0  # only the real copay's
    assert billing.amounts(Invoice.get_by_id(invoice.id)).due == 0
    assert Invoice.get_by_id(invoice.id).status == "paid"  # nothing is owed on it
    assert CreditNote.get().amount_cents == 5000 and "logged in error" in CreditNote.get().reason
    assert Visit.get_by_id(real.id).attendance == "attended" and Claim.select().count() == 1
    event = AuditEvent.get(AuditEvent.action == "voided")
    assert "no-show on November 23, 2026" in event.detail


def test_an_emailed_fee_invoice_gets_a_credit_note_the_client_is_sent(app, in_program):
    program_client = move_in(in_program)
    with time_machine.travel(LATER, tick=False):
        wrong = _no_show(in_program, program_client)
        OutboundEmail.update(status=SENT).where(
            OutboundEmail.template == "invoice_issued").execute()
        said = voiding.void_visit(in_program, wrong.id)
    assert "credit note of $50, emailed to the client" in said
    (email,) = OutboundEmail.select().where(OutboundEmail.template == "credit_note")
    assert email.to_address == "sam@example.com"
    assert Visit.select().count() == 0


def test_an_attended_session_is_voided_until_its_claim_is_sent(app, in_program):
    program_client = move_in(in_program)
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(LATER, tick=False):
        first = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                                   "attended")
        copay = Visit.get_by_id(first.id).invoice
        voiding.void_visit(in_program, first.id)
        assert Claim.select().count() == 0
        assert billing.amounts(Invoice.get_by_id(copay.id)).due == 0
        again = sessions.log_visit(in_program, program_client, MONDAY.date(), "90837", True,
                                   "attended")
        Claim.update(status=SUBMITTED).execute()
        with pytest.raises(ProgramProblem, match="gone to the insurer"):
            voiding.void_visit(in_program, again.id)
    assert Visit.select().count() == 1 and Claim.select().count() == 1


def test_a_paid_fee_or_another_providers_session_is_not_voided(app, in_program):
    program_client = move_in(in_program)
    with time_machine.travel(LATER, tick=False):
        wrong = _no_show(in_program, program_client)
        invoice = Visit.get_by_id(wrong.id).invoice
        billing.record_payment(invoice, 5000, "provider", "cash")
        with pytest.raises(ProgramProblem, match="has been paid"):
            voiding.void_visit(in_program, wrong.id)
        other = factories.provider(first_name="Other", email="other@example.com")
        with pytest.raises(voiding.NotFound):
            voiding.void_visit(other, wrong.id)
    assert Visit.select().count() == 1 and CreditNote.select().count() == 0


def test_a_claimed_session_counted_by_a_later_one_is_left_to_the_billing_team(app, in_program):
    program_client = move_in(in_program, member_id="ALMA-COINS-DEDUCT")
    checked(app, program_client, MONDAY - datetime.timedelta(days=3))
    with time_machine.travel(LATER, tick=False):
        first = sessions.log_visit(in_program, program_client, MONDAY.date(), "90834", True,
                                   "attended")
    with time_machine.travel(LATER + datetime.timedelta(hours=1), tick=False):
        sessions.log_visit(in_program, program_client,
                           MONDAY.date() + datetime.timedelta(days=1), "90834", True,
                           "attended")
        with pytest.raises(ProgramProblem, match="later session's claim"):
            voiding.void_visit(in_program, first.id)
    assert Visit.select().count() == 2 and Claim.select().count() == 2
