"""The membership fee, pauses and cancellations around the 20th, leaving, and clients."""
import datetime

import pytest

from alma.billing import service as billing
from alma.billing.models import Invoice
from alma.clock import today
from alma.consultations.models import ConsultationRequest
from alma.directory.models import Listing
from alma.membership import fees, leaving
from alma.membership.models import Membership, MembershipPause, OutsideClient
from alma.network.models import Client, NetworkParticipation, Provider
from tests import factories
from tests.conftest import csrf_token_from

PASSWORD = "a long and memorable passphrase"
D = datetime.date


@pytest.fixture
def member(app, db):
    factories.operate_in("CA")
    provider = factories.provider(first_name="Mo", email="mo@example.com",
                                  payers=("aetna",))
    NetworkParticipation.update(via="individual").where(
        NetworkParticipation.provider == provider.id).execute()
    NetworkParticipation.create(provider=provider, payer=factories.payer("cigna"), via="group",
                                starts_on=D(2025, 1, 1))
    membership = Membership.create(provider=provider, fee_cents=12500, billing_day=5,
                                   started_on=D(2026, 1, 5))
    return provider, membership


def run(app, function, *args):
    with app.app_context():
        return function(*args)


@pytest.mark.parametrize("asked,effective", [
    (D(2026, 11, 19), D(2026, 12, 1)), (D(2026, 11, 20), D(2026, 12, 1)),
    (D(2026, 11, 21), D(2027, 1, 1)), (D(2026, 12, 20), D(2027, 1, 1)),
    (D(2026, 12, 31), D(2027, 2, 1)),
])
def test_changes_asked_by_the_20th_take_effect_next_month(asked, effective):
    assert fees.effective_month(asked) == effective


def test_one_fee_invoice_per_period_however_often_it_runs(app, member):
    provider, _ = member
    assert run(app, fees.invoice_fees, D(2026, 12, 5)) == 1
    assert run(app, fees.invoice_fees, D(2026, 12, 5)) == 0
    assert run(app, fees.invoice_fees, D(2026, 12, 28)) == 0
    assert run(app, fees.invoice_fees, D(2027, 1, 4)) == 0
    assert run(app, fees.invoice_fees, D(2027, 1, 5)) == 1
    periods = [i.period_start for i in Invoice.select().order_by(Invoice.period_start)]
    assert periods == [D(2026, 12, 5), D(2027, 1, 5)]
    with pytest.raises(Exception):  # the database itself refuses a second one
        with app.app_context():
            billing.issue("membership_fee", [("again", 1, 12500)], D(2026, 12, 12),
                          owed_by_provider=provider, period=(D(2026, 12, 5), D(2027, 1, 5)))


def test_an_unpaid_fee_is_chased_then_the_listing_is_hidden_until_paid(
        app, member, mailbox, deliver):
    provider, _ = member
    run(app, fees.invoice_fees, D(2026, 12, 5))
    deliver()
    mailbox.clear()
    invoice = Invoice.get()  # due Dec 12
    assert run(app, fees.chase_unpaid, D(2026, 12, 14)) == 0
    assert run(app, fees.chase_unpaid, D(2026, 12, 15)) == 1
    assert run(app, fees.chase_unpaid, D(2026, 12, 15)) == 0
    assert run(app, fees.chase_unpaid, D(2026, 12, 22)) == 1
    assert Listing.select().where(Listing.provider == provider.id).exists()
    assert run(app, fees.chase_unpaid, D(2026, 12, 26)) == 1  # the hold
    assert Provider.get_by_id(provider.id).billing_hold
    assert not Listing.select().where(Listing.provider == provider.id).exists()
    assert Provider.get_by_id(provider.id).membership_status == "active"  # hidden, not removed
    deliver()
    subjects = [m["Subject"] for m in mailbox.to("mo@example.com")]
    assert subjects.count(f"Reminder: invoice {invoice.number} is overdue") == 2
    assert "Your listing is hidden until your membership fee is paid" in subjects
    run(app, billing.record_payment, invoice, 12500, "local", "paid-late")
    assert not Provider.get_by_id(provider.id).billing_hold
    assert Listing.select().where(Listing.provider == provider.id).exists()


def test_a_pause_is_shown_before_it_is_confirmed_and_skips_those_months(app, member):
    provider, membership = member
    plan = run(app, fees.plan_pause, membership, 2, D(2026, 11, 26))
    assert (plan.effective_on, plan.until) == (D(2027, 1, 1), D(2027, 3, 1))
    assert plan.charged_until_then_cents == 12500  # December's fee, not yet invoiced
    assert MembershipPause.select().count() == 0  # only a plan
    run(app, fees.pause, membership, 2, D(2026, 11, 26))
    issued = [run(app, fees.invoice_fees, day) for day in
              (D(2026, 12, 5), D(2027, 1, 5), D(2027, 2, 5), D(2027, 3, 5))]
    assert issued == [1, 0, 0, 1]
    with pytest.raises(fees.MembershipProblem):
        run(app, fees.plan_pause, Membership.get_by_id(membership.id), 2, D(2026, 11, 26))
    with pytest.raises(fees.MembershipProblem):
        run(app, fees.plan_pause, membership, 4, D(2026, 11, 26))


def test_a_cancellation_ends_billing_and_the_listing_on_its_day(app, member):
    provider, membership = member
    plan = run(app, fees.cancel, membership, D(2026, 11, 21))
    assert plan.effective_on == D(2027, 1, 1)
    # The last period (Dec 5 to Jan 5) is charged only to Dec 31: 27 of its 31 days.
    assert plan.charged_until_then_cents == (12500 * 27 + 15) // 31 == 10887
    assert run(app, fees.invoice_fees, D(2026, 12, 5)) == 1
    (last,) = Invoice.select()
    assert last.total_cents == 10887 and "Dec 5 to Dec 31, 2026" in last.lines[0].description
    assert run(app, leaving.end_cancelled_memberships, D(2026, 12, 31)) == 0
    assert run(app, leaving.end_cancelled_memberships, D(2027, 1, 1)) == 1
    assert run(app, fees.invoice_fees, D(2027, 1, 5)) == 0
    assert Provider.get_by_id(provider.id).membership_status == "left"
    assert not Listing.select().where(Listing.provider == provider.id).exists()


def sign_in_as(app, provider):
    from alma.accounts.models import User

    user = factories.user_for(provider, PASSWORD)
    http = app.test_client()
    factories.sign_in(http, User.get_by_id(user.id), PASSWORD)
    return http


def test_the_billing_page_shows_what_a_change_means_before_confirming(app, member):
    provider, membership = member
    http = sign_in_as(app, provider)
    page = http.get("/practice/billing")
    body = page.get_data(as_text=True)
    assert "$125 a month" in body and "cash-pay clients is yours" in body
    for months in ("²", "x", "", "99"):
        refused = http.post("/practice/billing/pause", data={
            "csrf_token": csrf_token_from(page), "months": months})
        assert refused.status_code == 422 and "1 to 3 months" in refused.get_data(as_text=True)
    preview = http.post("/practice/billing/pause", data={"csrf_token": csrf_token_from(page),
                                                         "months": "1"})
    assert "Before you confirm" in preview.get_data(as_text=True)
    assert MembershipPause.select().count() == 0
    http.post("/practice/billing/pause", data={"csrf_token": csrf_token_from(page),
                                               "months": "1", "confirm": "1"})
    assert MembershipPause.select().count() == 1


def test_leaving_takes_the_listing_down_and_keeps_the_clients(app, member, mailbox, deliver):
    provider, _ = member
    client = Client.create(email="c@example.org", name="Cam Client", state="CA")
    ConsultationRequest.create(client=client, name=client.name, provider=provider, state="CA",
                               concerns="x", preferred_format="either", submission_key="k",
                               status="accepted", answered_at=datetime.datetime(2026, 11, 1))
    OutsideClient.create(provider=provider, name="=HYPERLINK(evil)", email="o@example.org")
    http = sign_in_as(app, provider)
    page = http.get("/practice/leave")
    body = page.get_data(as_text=True)
    assert "Aetna</strong>: stays" in body and "Cigna</strong>: ends" in body
    refused = http.post("/practice/leave", data={"csrf_token": csrf_token_from(page),
                                                 "confirm": "wrong@example.com"})
    assert refused.status_code == 303 and Provider.get_by_id(provider.id).membership_status \
        == "active"
    http.post("/practice/leave", data={"csrf_token": csrf_token_from(page),
                                       "confirm": provider.email})
    assert Provider.get_by_id(provider.id).membership_status == "left"
    assert not Listing.select().where(Listing.provider == provider.id).exists()
    group = NetworkParticipation.get(NetworkParticipation.via == "group")
    assert group.ends_on is not None
    assert NetworkParticipation.get(NetworkParticipation.via == "individual").ends_on is None
    listing = http.get("/practice/clients").get_data(as_text=True)
    assert "Cam Client" in listing and "Directory" in listing and "Outside Alma" in listing
    exported = http.get("/practice/clients.csv").get_data(as_text=True)
    assert "Cam Client" in exported and "'=HYPERLINK(evil)" in exported
    # Empty cells (Cam gave no phone, the outside client neither) stay empty.
    assert "'" not in exported.replace("'=HYPERLINK(evil)", "")
    deliver()
    assert any("left the Alma network" in m["Subject"] for m in mailbox.to("mo@example.com"))


def test_a_provider_adds_a_client_from_outside(app, member):
    provider, _ = member
    http = sign_in_as(app, provider)
    page = http.get("/practice/clients")
    bad = http.post("/practice/clients", data={"csrf_token": csrf_token_from(page),
                                               "email": "not an email"})
    assert bad.status_code == 422 and 'value="not an email"' in bad.get_data(as_text=True)
    http.post("/practice/clients", data={"csrf_token": csrf_token_from(page), "name": "Ola",
                                         "email": "ola@example.org"})
    assert OutsideClient.get().name == "Ola"
    invoices = http.get("/practice/invoices.csv")
    assert invoices.headers["Content-Type"].startswith("text/csv")


def test_pauses_never_overlap_and_nothing_changes_after_leaving(app, member):
    provider, membership = member
    run(app, fees.pause, membership, 1, D(2026, 11, 26))  # January
    with pytest.raises(fees.MembershipProblem, match="pause from January 1"):
        run(app, fees.pause, Membership.get_by_id(membership.id), 1, D(2026, 12, 1))
    # Back to back is fine: asked in January, it starts on February 1.
    run(app, fees.pause, Membership.get_by_id(membership.id), 1, D(2027, 1, 10))
    assert MembershipPause.select().count() == 2
    run(app, leaving.leave, Provider.get_by_id(provider.id), D(2027, 1, 12))
    for change in (lambda m: fees.plan_pause(m, 1, D(2027, 3, 1)),
                   lambda m: fees.plan_cancel(m, D(2027, 3, 1))):
        with pytest.raises(fees.MembershipProblem, match="left the network"):
            run(app, change, Membership.get_by_id(membership.id))


def test_someone_who_left_is_reminded_of_what_they_owe_but_not_held(app, member, mailbox,
                                                                    deliver):
    provider, _ = member
    run(app, fees.invoice_fees, D(2026, 12, 5))
    run(app, leaving.leave, provider, D(2026, 12, 6))
    deliver()
    mailbox.clear()
    assert run(app, fees.chase_unpaid, D(2026, 12, 15)) == 1
    assert run(app, fees.chase_unpaid, D(2026, 12, 26)) == 1  # the second reminder only
    assert not Provider.get_by_id(provider.id).billing_hold
    deliver()
    assert all("overdue" in m["Subject"] for m in mailbox.to("mo@example.com"))


@pytest.mark.parametrize("approved", [D(2026, 1, 29), D(2026, 1, 30), D(2026, 1, 31),
                                      D(2028, 2, 29), D(2026, 12, 31), D(2026, 3, 28)])
def test_a_member_approved_on_any_day_is_invoiced_from_that_day_every_month(app, db, approved):
    """The billing day is the day of approval; in a shorter month it is that month's last day."""
    provider = factories.provider(email="late@example.com")
    with app.app_context():
        membership = fees.start(provider, on=approved)
    assert membership.billing_day == approved.day
    starts, day = [], approved
    for _ in range(14):  # every day for fourteen months, as the hourly job would
        for _ in range(31):
            if run(app, fees.invoice_fees, day):
                starts.append(day)
            day += datetime.timedelta(days=1)
    periods = [(i.period_start, i.period_end) for i in Invoice.select().order_by(Invoice.id)]
    assert periods[0][0] == approved  # the first month is invoiced, on the day it begins
    assert [start for start, _ in periods] == starts
    for (start, end), (next_start, _) in zip(periods, periods[1:]):
        assert end == next_start  # no gap, no overlap
        assert 28 <= (end - start).days <= 31
        assert start.day == min(approved.day, _days_in(start))
    assert all(i.total_cents == 12500 for i in Invoice.select())


def _days_in(day):
    import calendar

    return calendar.monthrange(day.year, day.month)[1]


def test_an_overdue_fee_says_so_and_links_to_paying_it(app, member):
    """A fee past its due date was listed as "Due $125 by Dec 2" days after Dec 2."""
    provider, _ = member
    with app.app_context():
        late = billing.issue("membership", [("Alma membership", 1, 12500)],
                             due_on=today() - datetime.timedelta(days=3),
                             owed_by_provider=provider)
        soon = billing.issue("membership", [("Alma membership", 1, 12500)],
                             due_on=today() + datetime.timedelta(days=3),
                             owed_by_provider=provider)
    body = sign_in_as(app, provider).get("/practice/billing").get_data(as_text=True)
    row = body[body.index(late.number):].split("</tr>")[0]
    assert f"<strong>Overdue</strong>: $125 was due {late.due_on:%b %-d}" in row
    assert f'<a href="/billing/invoices/{late.number}">Pay now</a>' in row
    row = body[body.index(soon.number):].split("</tr>")[0]
    assert f"Due $125 by {soon.due_on:%b %-d}" in row and "Overdue" not in row


def test_the_billing_page_says_when_a_month_end_fee_is_invoiced(app, db):
    provider = factories.provider(email="eom@example.com")
    with app.app_context():
        membership = fees.start(provider, on=D(2026, 1, 31))
    assert fees.period_for(membership, D(2026, 2, 28)) == (D(2026, 2, 28), D(2026, 3, 31))
    assert fees.period_for(membership, D(2026, 2, 27)) == (D(2026, 1, 31), D(2026, 2, 28))
    assert fees.period_for(membership, D(2026, 4, 30)) == (D(2026, 4, 30), D(2026, 5, 31))


def test_a_stop_request_leaves_the_next_member_for_the_next_run(app, member, stop_jobs):
    stop_jobs()
    assert run(app, fees.invoice_fees, D(2026, 12, 5)) == 0
    assert Invoice.select().count() == 0
