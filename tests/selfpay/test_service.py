"""The rules of self-pay clients: deadlines in business days, the estimate kept as issued,
the $400 threshold, payments once, and what a superbill carries."""
import datetime
import json

import pytest

from alma.audit import AuditEvent
from alma.clock import today
from alma.consultations import service as consultations
from alma.mail.models import OutboundEmail
from alma.selfpay import business_days, jobs, service
from alma.selfpay.models import (GoodFaithEstimate, Immutable, SelfPayClient, SelfPayPayment,
                                 SelfPaySession, Superbill, keep_until)
from tests import factories
from tests.selfpay.helpers import (client_with_dob, estimate_values, key, provider_with_details,
                                   self_pay_request, session_values)

D = datetime.date


# --- Business days and the deadline -------------------------------------------------------------

def test_business_days_skip_weekends_and_federal_holidays():
    assert business_days.add_business_days(D(2026, 12, 4), 1) == D(2026, 12, 7)  # Fri -> Mon
    # Christmas 2026 is a Friday; New Year's Day 2027 a Friday.
    assert business_days.add_business_days(D(2026, 12, 24), 1) == D(2026, 12, 28)
    assert business_days.add_business_days(D(2026, 12, 30), 3) == D(2027, 1, 5)
    # Thanksgiving 2027 is November 25; July 4, 2026 a Saturday is observed Friday July 3.
    assert not business_days.is_business_day(D(2027, 11, 25))
    assert not business_days.is_business_day(D(2026, 7, 3))
    # New Year's Day 2028 is a Saturday: observed Friday, December 31, 2027.
    assert not business_days.is_business_day(D(2027, 12, 31))
    assert business_days.add_business_days(D(2028, 2, 28), 1) == D(2028, 2, 29)  # leap day
    assert business_days.business_days_between(D(2026, 12, 7), D(2026, 12, 10)) == 3


@pytest.mark.parametrize("day, closed", [
    (D(2027, 12, 24), True),   # Christmas 2027 is a Saturday: observed Friday the 24th
    (D(2027, 12, 27), False),  # ... not the Monday after
    (D(2026, 7, 3), True), (D(2026, 7, 6), False),  # July 4, 2026 a Saturday
    (D(2027, 7, 5), True),     # July 4, 2027 a Sunday: observed Monday the 5th
    (D(2027, 6, 18), True),    # Juneteenth 2027 a Saturday
    (D(2029, 11, 12), True),   # Veterans Day 2029 a Sunday
    (D(2027, 11, 26), False),  # the day after Thanksgiving is not a federal holiday
    (D(2027, 1, 18), True), (D(2027, 2, 15), True), (D(2027, 5, 31), True),
    (D(2027, 9, 6), True), (D(2027, 10, 11), True),
    (D(2028, 1, 1), True), (D(2028, 1, 3), False),  # a Saturday; its Friday is in 2027
])
def test_hand_checked_federal_holidays(day, closed):
    assert business_days.is_business_day(day) is not closed


@pytest.mark.parametrize("arose, first, reason, due", [
    # Scheduled Monday for Thursday: 3 business days ahead, so 1 business day.
    (D(2026, 12, 7), D(2026, 12, 10), "scheduled", D(2026, 12, 8)),
    # Two business days ahead: the rule sets no deadline.
    (D(2026, 12, 7), D(2026, 12, 9), "scheduled", None),
    # 10 business days ahead: 3 business days.
    (D(2026, 12, 7), D(2026, 12, 21), "scheduled", D(2026, 12, 10)),
    # 9 business days ahead: still 1.
    (D(2026, 12, 7), D(2026, 12, 18), "scheduled", D(2026, 12, 8)),
    # Asked for on a Friday: 3 business days, over the weekend.
    (D(2026, 12, 4), None, "requested", D(2026, 12, 9)),
    # Scheduled on Christmas Eve for mid-January: 3 business days, past the holidays.
    (D(2026, 12, 24), D(2027, 1, 20), "scheduled", D(2026, 12, 30)),
    # Asked for the day before Thanksgiving 2027: Friday, Monday, Tuesday.
    (D(2027, 11, 24), None, "requested", D(2027, 11, 30)),
    # Scheduled the Friday before Martin Luther King Day for Thursday: Tue, Wed, Thu are 3
    # business days ahead, so due Tuesday; for Wednesday, only 2: no deadline.
    (D(2027, 1, 15), D(2027, 1, 21), "scheduled", D(2027, 1, 19)),
    (D(2027, 1, 15), D(2027, 1, 20), "scheduled", None),
    # Scheduled on Christmas Eve 2027 (Christmas observed, closed) for February: Mon 27,
    # Tue 28, Wed 29 (New Year's Day 2028 is observed on Friday the 31st).
    (D(2027, 12, 24), D(2028, 2, 1), "scheduled", D(2027, 12, 29)),
])
def test_the_deadline_follows_the_rule(arose, first, reason, due):
    assert business_days.gfe_deadline(arose, reason, first) == due


def test_the_reminder_comes_the_business_day_before_and_never_before_it_arose():
    assert business_days.reminder_day(D(2026, 12, 4), D(2026, 12, 9)) == D(2026, 12, 8)
    assert business_days.reminder_day(D(2026, 12, 7), D(2026, 12, 8)) == D(2026, 12, 7)


def test_kept_six_years_even_from_a_leap_day():
    assert keep_until(D(2028, 2, 29)) == D(2034, 2, 28)
    assert keep_until(D(2026, 12, 31)) == D(2032, 12, 31)


# --- Codes -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("F41.1", "F41.1"), ("f33.1 F43.10", "F33.1,F43.10"), ("F41.1, F41.1", "F41.1"),
    ("Z63.0", "Z63.0"), ("F32.A", "F32.A"), ("", "")])
def test_diagnosis_codes_are_icd10cm(typed, stored):
    assert service.diagnosis_codes(typed) == stored


@pytest.mark.parametrize("typed", ["41.1", "F4", "FF1.1", "F41.12345", "F41..1", "F41.1-", "F32A",
                                   "A1 B2 C3 D4 E5"])
def test_impossible_diagnosis_codes_are_refused(typed):
    with pytest.raises(service.SelfPayProblem):
        service.diagnosis_codes(typed)


def test_a_tax_id_is_an_ein():
    assert service.tax_id("123456789") == "12-3456789"
    for bad in ("00-1234567", "12-345678", "12-34567890", "12-345678x", "١٢-3456789"):
        with pytest.raises(service.SelfPayProblem):
            service.tax_id(bad)


# --- Accepting a self-pay client ------------------------------------------------------------------

def test_accepting_a_self_pay_request_makes_an_estimate_owed(app_ctx):
    provider = provider_with_details()
    request = self_pay_request(provider)
    consultations.accept(request)
    spc = SelfPayClient.get()
    assert spc.provider_id == provider.id and spc.name == "Sam Okafor"
    assert spc.client.known_by_id == provider.id  # the provider's own record
    assert spc.gfe_wanted and spc.gfe_due_on == business_days.add_business_days(today(), 3)
    assert AuditEvent.get(AuditEvent.subject_type == "self_pay_client").client_id == \
        spc.client_id


def test_an_insured_request_accepted_owes_nothing(app_ctx):
    provider = provider_with_details()
    request = self_pay_request(provider)
    request.self_pay = False
    request.save()
    consultations.accept(request)
    assert SelfPayClient.select().count() == 0


def test_scheduling_brings_the_deadline_forward_never_back(app_ctx):
    provider = provider_with_details()
    spc = client_with_dob(provider)
    three = spc.gfe_due_on
    first = business_days.add_business_days(today(), 4)
    service.update_client(spc, {"name": spc.name, "date_of_birth": spc.date_of_birth,
                                "first_session_on": first}, actor=None)
    assert spc.gfe_due_on == business_days.add_business_days(today(), 1) <= three
    later = business_days.add_business_days(today(), 30)
    service.update_client(spc, {"name": spc.name, "date_of_birth": spc.date_of_birth,
                                "first_session_on": later}, actor=None)
    assert spc.gfe_due_on == business_days.add_business_days(today(), 1)


# --- Issuing, kept as issued ------------------------------------------------------------------------

def test_an_estimate_carries_everything_the_rule_asks_for(app_ctx):
    provider = provider_with_details(cash_rate_cents=15000)
    spc = client_with_dob(provider)
    estimate = service.issue_estimate(spc, estimate_values(), key())
    content = estimate.content
    assert content["client"] == {"name": "Sam Okafor", "date_of_birth": "1990-04-02",
                                 "address": "1 Elm St, Oakland, CA 94601"}
    assert content["provider"]["npi"] == provider.npi
    assert content["provider"]["tax_id"] == "12-3456789"
    assert content["provider"]["state"] == "CA" and "100 Market St" in \
        content["provider"]["address"]
    assert [(i["code"], i["quantity"], i["total_cents"]) for i in content["items"]] == [
        ("90791", 1, 15000), ("90837", 3, 45000)]
    assert content["total_cents"] == estimate.total_cents == 60000
    assert content["diagnosis_codes"] == ["F41.1"]
    assert "not a contract" in " ".join(content["disclaimers"])
    assert "$400 or more" in content["dispute_right"]
    assert "120 calendar days" in content["dispute_right"]
    assert "cms.gov/nosurprises" in content["dispute_right"]
    assert estimate.keep_until == keep_until(today())
    assert not SelfPayClient.get_by_id(spc.id).gfe_wanted
    assert OutboundEmail.get(OutboundEmail.template == "gfe_issued").to_address == \
        "sam@example.org"


def test_an_issued_estimate_never_changes_nor_goes_and_a_revision_supersedes_it(app_ctx):
    provider = provider_with_details()
    spc = client_with_dob(provider)
    first = service.issue_estimate(spc, estimate_values(), key())
    first.total_cents = 1
    with pytest.raises(Immutable):
        first.save()
    with pytest.raises(Immutable):
        first.delete_instance()
    provider.cash_rate_cents = 99900  # the listing changes; the estimate doesn't
    provider.save()
    second = service.issue_estimate(spc, estimate_values(sessions=10), key())
    assert second.supersedes_id == first.id and second.content["supersedes"] == first.number
    kept = GoodFaithEstimate.get_by_id(first.id)
    assert kept.total_cents == 60000 and json.loads(kept.snapshot)["total_cents"] == 60000
    assert service.current_estimate(spc).id == second.id


def test_a_double_submit_issues_one_estimate(app_ctx):
    provider = provider_with_details()
    spc = client_with_dob(provider)
    same = key()
    assert service.issue_estimate(spc, estimate_values(), same).id == \
        service.issue_estimate(spc, estimate_values(), same).id
    assert GoodFaithEstimate.select().count() == 1


def test_no_estimate_without_a_date_of_birth_or_a_tax_id(app_ctx):
    provider = provider_with_details()
    spc, _ = service.add_client(provider, {"email": "x@example.org", "name": "X Y"})
    with pytest.raises(service.SelfPayProblem, match="date of birth"):
        service.issue_estimate(spc, estimate_values(), key())
    bare = factories.provider(first_name="Bare")
    other = client_with_dob(bare, email="z@example.org")
    with pytest.raises(service.SelfPayProblem, match="Tax ID"):
        service.issue_estimate(other, estimate_values(), key())
    assert GoodFaithEstimate.select().count() == 0


@pytest.mark.parametrize("changes, field", [
    ({"months": 13}, "months"), ({"sessions": 0}, "sessions"), ({"code": "99999"}, "code"),
    ({"rate_cents": 10**9}, "rate"), ({"diagnosis_codes": "41.1"}, "diagnosis_codes")])
def test_an_impossible_estimate_is_refused(app_ctx, changes, field):
    spc = client_with_dob(provider_with_details())
    with pytest.raises(service.SelfPayProblem) as problem:
        service.issue_estimate(spc, estimate_values(**changes), key())
    assert problem.value.field == field and GoodFaithEstimate.select().count() == 0


# --- The reminder ---------------------------------------------------------------------------------------

def test_the_provider_is_reminded_once_before_the_deadline(app_ctx):
    provider = provider_with_details()
    spc = client_with_dob(provider)
    assert jobs.remind_estimates_due(on=spc.gfe_remind_on - datetime.timedelta(days=1)) == 0
    assert jobs.remind_estimates_due(on=spc.gfe_remind_on) == 1
    assert jobs.remind_estimates_due(on=spc.gfe_due_on) == 0  # once
    email = OutboundEmail.get(OutboundEmail.template == "gfe_due")
    assert email.to_address == provider.email and "good-faith estimate" in email.subject


def test_no_reminder_once_the_estimate_is_issued(app_ctx):
    spc = client_with_dob(provider_with_details())
    service.issue_estimate(spc, estimate_values(), key())
    assert jobs.remind_estimates_due(on=today() + datetime.timedelta(days=10)) == 0


# --- The $400 threshold ------------------------------------------------------------------------------------

def test_logging_400_or_more_above_the_estimate_needs_a_confirmation(app_ctx):
    spc = client_with_dob(provider_with_details())
    service.issue_estimate(spc, estimate_values(sessions=2), key())  # $300
    for _ in range(4):  # $600: $300 above
        service.log_session(spc, session_values(), key())
    assert service.warning(spc) and "One more session" in service.warning(spc)
    with pytest.raises(service.SelfPayProblem) as problem:
        service.log_session(spc, session_values(), key())  # $750: $450 above
    assert problem.value.field == "confirm_over_estimate" and "$450" in str(problem.value)
    assert SelfPaySession.select().count() == 4
    confirmed = service.log_session(spc, session_values(), key(), confirmed=True)
    assert confirmed.over_estimate_confirmed
    assert "come to $750" in service.warning(spc)
    estimate, logged, above = service.standing(spc)
    assert (logged, above) == (75000, 45000)


def test_once_the_estimate_s_period_ends_the_provider_is_told_a_new_one_is_needed(app_ctx):
    spc = client_with_dob(provider_with_details())
    start = today() - datetime.timedelta(days=70)
    estimate = service.issue_estimate(spc, estimate_values(months=1, period_start=start), key())
    service.log_session(spc, session_values(), key())  # after the period: not above it
    assert service.standing(spc)[1] == 0
    words = service.warning(spc)
    assert f"covered sessions up to {estimate.period_end:%B %-d, %Y}" in words
    assert "Issue a new one" in words


def test_exactly_400_above_is_the_threshold_and_399_99_is_not(app_ctx):
    spc = client_with_dob(provider_with_details())
    service.issue_estimate(spc, estimate_values(sessions=1, first_code=""), key())  # $150
    service.log_session(spc, session_values(fee_cents=54999), key())  # $399.99 above
    with pytest.raises(service.SelfPayProblem):
        service.log_session(spc, session_values(fee_cents=1), key())  # $400.00 above


def test_a_session_and_a_payment_are_kept_once_on_a_double_submit(app_ctx):
    spc = client_with_dob(provider_with_details())
    same = key()
    one = service.log_session(spc, session_values(), same)
    assert service.log_session(spc, session_values(), same).id == one.id
    paid = key()
    service.record_payment(one, 10000, today(), "card", paid)
    service.record_payment(one, 10000, today(), "card", paid)
    assert SelfPayPayment.select().count() == 1 and service.paid_cents(one) == 10000
    with pytest.raises(service.SelfPayProblem, match=r"\$50"):
        service.record_payment(one, 6000, today(), "card", key())
    with pytest.raises(service.SelfPayProblem):
        service.record_payment(one, 1000, today() + datetime.timedelta(days=1), "card", key())
    assert AuditEvent.select().where(AuditEvent.action == "payment_recorded").count() == 1


def test_a_session_needs_a_diagnosis_and_a_past_date(app_ctx):
    spc = client_with_dob(provider_with_details())
    spc.diagnosis_codes = ""
    spc.save()
    with pytest.raises(service.SelfPayProblem, match="diagnosis"):
        service.log_session(spc, session_values(), key())
    with pytest.raises(service.SelfPayProblem, match="happened"):
        service.log_session(spc, session_values(days_ago=-1, diagnosis_codes="F41.1"), key())


# --- Superbills ---------------------------------------------------------------------------------------------

def test_a_superbill_carries_the_range_s_sessions_and_totals(app_ctx):
    provider = provider_with_details()
    spc = client_with_dob(provider)
    old = service.log_session(spc, session_values(days_ago=40), key())
    first = service.log_session(spc, session_values(days_ago=7, place_of_service="11",
                                                    cpt_code="90791"), key())
    service.log_session(spc, session_values(days_ago=0, diagnosis_codes="F41.1 F33.1"), key())
    service.record_payment(first, 15000, today(), "cash", key())
    bill = service.make_superbill(spc, today() - datetime.timedelta(days=10), today(), key())
    content = bill.content
    assert [s["held_on"] for s in content["sessions"]] == [
        (today() - datetime.timedelta(days=7)).isoformat(), today().isoformat()]
    assert old.held_on.isoformat() not in [s["held_on"] for s in content["sessions"]]
    assert content["sessions"][0]["place_of_service"] == "11"
    assert content["sessions"][0]["cpt_code"] == "90791"
    assert content["sessions"][1]["diagnosis_codes"] == ["F41.1", "F33.1"]
    assert (content["total_cents"], content["paid_cents"]) == (30000, 15000)
    assert content["provider"]["credentials"] == "LCSW" and content["provider"]["phone"]
    assert content["client"]["date_of_birth"] == "1990-04-02"
    assert content["client"]["address"] == "1 Elm St, Oakland, CA 94601"
    assert OutboundEmail.get(OutboundEmail.template == "superbill_sent").to_address == \
        "sam@example.org"
    with pytest.raises(Immutable):
        bill.save()


@pytest.mark.parametrize("start, end, words", [
    (0, 1, "starts on or before"), (0, -1, "already held"), (400, 0, "at most a year"),
    (5, 3, "No sessions")])
def test_a_superbill_s_range_must_make_sense(app_ctx, start, end, words):
    spc = client_with_dob(provider_with_details())
    service.log_session(spc, session_values(days_ago=0), key())
    with pytest.raises(service.SelfPayProblem, match=words):
        service.make_superbill(spc, today() - datetime.timedelta(days=start),
                               today() - datetime.timedelta(days=end), key())
    assert Superbill.select().count() == 0
