"""Money in and out by day: payments by gateway, refunds, credit notes and net, each day's
rows behind it, the totals, and a CSV a spreadsheet can't be tricked by."""
import csv
import datetime
import html
import io
import re

import pytest

from alma.billing.models import CreditNote, Payment, Refund
from alma.billing_desk import ledger
from alma.claims.models import Claim, Visit
from alma.claims.queue_models import WRITTEN_OFF, ClaimAction
from alma.claims.remittance_models import ClaimPayment, Remittance
from alma.clock import today
from alma.network.models import ProgramClient
from alma.payouts.models import PAID, PayoutStatement
from tests import factories
from tests.billing_desk.conftest import become, person

DAY = datetime.timedelta(days=1)


def words(response):
    """A page's text as read: no tags, one space between words."""
    text = re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True)))
    return re.sub(r"\s+", " ", text)


def rows_shown(response):
    return response.get_data(as_text=True).count('scope="row"') - 1  # less the totals


def at(day, hour=12, minute=0, second=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute, second))


@pytest.fixture
def days(world, biller):
    """Three days of money: two days ago, yesterday (to the last second) and today."""
    copay, fee, card = world["copay"], world["fee"], world["payment"]
    two_ago, yesterday, now = today() - 2 * DAY, today() - DAY, today()
    Payment.update(created_at=at(two_ago, 9)).where(Payment.id == card.id).execute()
    stripe = Payment.create(invoice=fee, amount_cents=5000, gateway="stripe",
                            reference="cs_test_a", created_at=at(yesterday, 23, 59, 59))
    Payment.create(invoice=fee, amount_cents=2500, gateway="direct", reference="direct:x",
                   created_at=at(yesterday, 10))
    Payment.create(invoice=fee, amount_cents=1000, gateway="local", reference="local_b",
                   created_at=at(now, 0, 0, 0))
    Refund.create(payment=card, amount_cents=4000, reason="Cancelled", made_by=biller,
                  created_at=at(now, 8))
    Refund.create(payment=stripe, amount_cents=1500, reason="Overlap", created_at=at(now, 9))
    CreditNote.create(invoice=copay, amount_cents=4000, reason="Cancelled", made_by=biller,
                      created_at=at(now, 8))
    return two_ago, yesterday, now


def test_each_day_sums_its_rows_by_gateway_with_refunds_credit_notes_and_net(app, days):
    two_ago, yesterday, now = days
    with app.app_context():
        found = ledger.by_day(two_ago - DAY, now)
    rows = {row.day: row for row in found.days}
    assert list(rows) == [two_ago - DAY, two_ago, yesterday, now]
    assert rows[two_ago - DAY].quiet
    assert (rows[two_ago].payments, rows[two_ago].paid_in, rows[two_ago].by_gateway) == (
        1, 15000, {"local": [1, 15000]})
    # 23:59:59 is still yesterday; a payment to a provider is apart, never in the net.
    y = rows[yesterday]
    assert (y.payments, y.paid_in, y.by_gateway, y.direct, y.net) == (
        1, 5000, {"stripe": [1, 5000]}, 2500, 5000)
    t = rows[now]
    assert (t.paid_in, t.refunds, t.refunded, t.credit_notes, t.credited, t.net) == (
        1000, 2, 5500, 1, 4000, -4500)
    totals = found.totals
    assert (totals.payments, totals.paid_in, totals.refunded, totals.credited, totals.net,
            totals.direct) == (3, 21000, 5500, 4000, 15500, 2500)
    assert found.gateways == ["local", "stripe"]


def test_the_page_shows_the_last_30_days_by_default_with_totals(client, days):
    two_ago, yesterday, now = days
    response = client.get("/team/billing/money")
    text = words(response)
    assert response.status_code == 200
    start = now - 29 * DAY
    assert f"{start:%B} {start.day}, {start.year} to {now:%B} {now.day}, {now.year}" in text
    assert rows_shown(response) == 30
    assert response.get_data(as_text=True).count('<tr class="quiet">') == 27
    assert "In: $210 from 3 payments · out: $55 in 2 refunds · net $155" in text
    assert "−$45" in text  # today's net, refunds above payments
    assert f'href="/team/billing/money/{now.isoformat()}"' in response.get_data(as_text=True)
    assert "Local test" in text and "Stripe" in text and "Paid to providers directly" in text


def test_a_day_opens_the_rows_behind_its_amounts(client, world, days):
    two_ago, yesterday, now = days
    text = html.unescape(client.get(f"/team/billing/money/{now.isoformat()}")
                         .get_data(as_text=True))
    assert "In: $10 from 1 payment · out: $55 in 2 refunds · net −$45" in words(
        client.get(f"/team/billing/money/{now.isoformat()}"))
    assert text.count(f">{world['copay'].number}</a>") == 2  # its refund and its credit note
    assert text.count(f">{world['fee'].number}</a>") == 2  # the payment, the Stripe refund
    assert "Bea Biller" in text and "Alma, by itself" in text and "Overlap" in text
    assert client.get("/team/billing/money/2026-02-30").status_code == 404
    assert client.get("/team/billing/money/yesterday").status_code == 404
    for far in ("0001-01-01", "9999-12-31"):
        assert client.get(f"/team/billing/money/{far}").status_code == 404


def test_the_csv_is_the_table_in_cents_and_safe_in_a_spreadsheet(client, world, days):
    two_ago, yesterday, now = days
    Payment.create(invoice=world["fee"], amount_cents=100, gateway="=2+5",
                   reference="formula", created_at=at(now, 1))
    response = client.get("/team/billing/money.csv",
                          query_string={"start": two_ago.isoformat(), "end": now.isoformat()})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"alma-money-{two_ago.isoformat()}-to-{now.isoformat()}.csv" in \
        response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["day", "payments_in", "paid_in_cents", "'=2+5_cents", "local_cents",
                       "stripe_cents", "refunds_out", "refunded_cents", "credit_notes",
                       "credited_cents", "net_cents", "paid_to_providers_directly_cents",
                       "insurer_remittances", "remitted_cents", "provider_payouts",
                       "paid_out_cents", "recoupments", "recouped_cents", "write_offs",
                       "written_off_cents"]
    none_moved = ["0"] * 8  # no remittance, payout, recoupment or write-off
    assert rows[1] == [two_ago.isoformat(), "1", "15000", "0", "15000", "0", "0", "0", "0", "0",
                       "15000", "0", *none_moved]
    assert rows[3] == [now.isoformat(), "2", "1100", "100", "1000", "0", "2", "5500", "1",
                       "4000", "-4400", "0", *none_moved]
    assert rows[-1] == ["total", "4", "21100", "100", "16000", "5000", "2", "5500", "1", "4000",
                        "15600", "2500", *none_moved]


@pytest.mark.parametrize("args,message", [
    ({"start": "2026-05-02", "end": "2026-05-01"}, "on or after the first one"),
    ({"start": "2025-01-01", "end": "2026-01-02"}, "at most a year"),
    ({"start": "2026-13-01"}, "Enter a date like 2026-03-31."),
    ({"end": "\u0662\u0660\u0662\u0666-01-01"}, "Enter a date like 2026-03-31."),
])
def test_days_nobody_means_are_a_400_that_says_why(client, biller, args, message):
    for path in ("/team/billing/money", "/team/billing/money.csv"):
        response = client.get(path, query_string=args)
        assert response.status_code == 400
        assert message in html.unescape(response.get_data(as_text=True))


def test_one_day_given_the_other_follows(client, biller):
    start = today() - 5 * DAY
    assert rows_shown(client.get("/team/billing/money",
                                 query_string={"start": start.isoformat()})) == 6  # to today
    end = today() - 10 * DAY
    assert rows_shown(client.get("/team/billing/money",
                                 query_string={"end": end.isoformat()})) == 30


# --- What insurers paid and took back, what providers were paid, what was written off -----------

@pytest.fixture
def claims_money(world, biller):
    """An insurer's remittance paid yesterday but posted today, one today taking back a claim
    payment, a claim written off today and a provider's payout statement paid today."""
    yesterday, now = today() - DAY, today()
    provider, uhc = world["provider"], factories.payer("unitedhealthcare")
    program_client = ProgramClient.create(
        provider=provider, client=world["client"], payer=uhc, member_id="M1",
        first_name="Pat", last_name="Payer", date_of_birth=datetime.date(1990, 1, 1),
        address="1 Main St", city="Oakland", state="CA", zip="94607", diagnosis_code="F41.1")
    claims = []
    for n in range(2):
        visit = Visit.create(provider=provider, program_client=program_client,
                             held_on=yesterday - (20 + n) * DAY, cpt_code="90834", telehealth=True,
                             attendance="attended", invoice=world["copay"] if n == 0 else None)
        claims.append(Claim.create(visit=visit, payer=uhc, charge_cents=12500,
                                   allowed_cents=12500, deductible_cents=0, coinsurance_cents=0,
                                   copay_cents=2500, patient_share_cents=2500,
                                   place_of_service="10", x12="", status="paid"))
    paid = Remittance.create(payer_identifier="87726", trace_number="EFT100", method="ACH",
                             payer_name="UNITEDHEALTHCARE", paid_cents=10000,
                             paid_on=yesterday, posted_at=at(now, 7))
    ClaimPayment.create(remittance=paid, claim=claims[0], status_code="1",
                        patient_control_number=claims[0].patient_control_number,
                        charge_cents=12500, paid_cents=10000, patient_cents=2500,
                        payer_claim_number="SB1", segment="CLP")
    back = Remittance.create(payer_identifier="87726", trace_number="=HYPERLINK(1)",
                             method="NON", payer_name="UNITEDHEALTHCARE", paid_cents=0,
                             paid_on=now, posted_at=at(now, 11))
    ClaimPayment.create(remittance=back, claim=claims[0], status_code="22",
                        patient_control_number=claims[0].patient_control_number,
                        charge_cents=-12500, paid_cents=-10000, patient_cents=-2500,
                        payer_claim_number="SB1", segment="CLP")
    written = ClaimAction.create(claim=claims[1], kind=WRITTEN_OFF, form_key="w" * 24,
                                 reason="Past the payer's filing limit", made_by=biller,
                                 made_at=at(now, 10), written_off_cents=12500,
                                 charge_cents=12500, insurer_paid_cents=0, client_share_cents=0)
    statement = PayoutStatement.create(
        provider=provider, period_start=yesterday - 15 * DAY, period_end=yesterday,
        status=PAID, lines_cents=9000, total_cents=9000, paid_at=at(now, 13), gateway="local",
        transfer_reference="tr_local_abc", destination="acct_1")
    PayoutStatement.create(provider=provider, period_start=yesterday - 31 * DAY,
                           period_end=yesterday - 16 * DAY, status="waiting", total_cents=500)
    return {"claims": claims, "paid": paid, "back": back, "written": written,
            "statement": statement, "days": (yesterday, now)}


def test_insurers_payouts_recoupments_and_write_offs_are_counted_by_their_day(app, claims_money):
    yesterday, now = claims_money["days"]
    with app.test_request_context():
        found = ledger.by_day(yesterday, now)
    y, t = found.days
    # A remittance counts on its payment date (BPR16), not the day it was posted.
    assert (y.remittances, y.remitted, y.net) == (1, 10000, 10000)
    assert (t.remittances, t.remitted, t.payouts, t.paid_out) == (1, 0, 1, 9000)
    assert (t.recoupments, t.recouped, t.write_offs, t.written_off) == (1, 10000, 1, 12500)
    # In today: the client's copay; out: the payout. Recoupments come off a remittance and
    # write-offs move no money: neither is in the net.
    assert (t.paid_in, t.net, found.totals.net) == (15000, 6000, 16000)
    assert (found.totals.money_in, found.totals.money_out) == (25000, 9000)


def test_each_days_rows_link_to_what_caused_them(client, claims_money):
    yesterday, now = claims_money["days"]
    page = client.get(f"/team/billing/money/{now.isoformat()}")
    body = html.unescape(page.get_data(as_text=True))
    text = words(page)
    claim = claims_money["claims"][0]
    statement, back = claims_money["statement"], claims_money["back"]
    assert page.status_code == 200
    assert f'href="/team/payouts/{statement.id}">Statement {statement.id}</a>' in body
    assert "$90 to Maya Okafor" in text and "tr_local_abc" in text
    assert (f'href="/team/claims/{claim.id}">Claim {claim.patient_control_number}</a>'
            in body)
    assert f'href="/team/payouts/remittances/{back.id}">Remittance =HYPERLINK(1)</a>' in body
    assert "UnitedHealthcare took back $100 paid on claim" in text
    written = claims_money["claims"][1]
    assert f'href="/team/claims/{written.id}">Claim {written.patient_control_number}' in body
    assert "written off: Past the payer's filing limit" in text
    assert ("In: $150 from 1 payment and 1 insurer remittance ($0) · out: $90 in 0 refunds "
            "and 1 provider payout ($90) · net $60 · $0 credited · $100 taken back by insurers "
            "· $125 written off.") in text
    paid_day = words(client.get(f"/team/billing/money/{yesterday.isoformat()}"))
    assert "UnitedHealthcare paid $100 (ACH, trace EFT100)" in paid_day
    assert "1 insurer remittance ($100)" in paid_day
    # Every link opens for the billing team.
    for path in re.findall(r'href="(/team/(?:payouts|claims)/[^"]+)"', body):
        assert client.get(path).status_code == 200, path


def test_the_dashboards_money_adds_up_to_its_net(client, claims_money):
    """Today's net counts the insurer's remittance and the provider's payout: the line says
    so (it said "$150 in · $0 refunded · net $60", which does not add up)."""
    text = words(client.get("/team"))
    assert ("Today (UTC) In: $150 from 1 payment and 1 insurer remittance ($0) · out: $90 in "
            "0 refunds and 1 provider payout ($90) · net $60") in text
    assert ("Last 7 days In: $250 from 1 payment and 2 insurer remittances ($100) · out: $90 "
            "in 0 refunds and 1 provider payout ($90) · net $160 · $0 credited") in text


def test_the_csv_adds_them_after_the_clients_money(client, claims_money):
    yesterday, now = claims_money["days"]
    response = client.get("/team/billing/money.csv",
                          query_string={"start": yesterday.isoformat(), "end": now.isoformat()})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header = rows[0]
    got = [dict(zip(header, row)) for row in rows[1:]]
    moved = ["insurer_remittances", "remitted_cents", "provider_payouts", "paid_out_cents",
             "recoupments", "recouped_cents", "write_offs", "written_off_cents", "net_cents"]
    assert [[row[name] for name in moved] for row in got] == [
        ["1", "10000", "0", "0", "0", "0", "0", "0", "10000"],
        ["1", "0", "1", "9000", "1", "10000", "1", "12500", "6000"],
        ["2", "10000", "1", "9000", "1", "10000", "1", "12500", "16000"]]
    # Only numbers and the gateways' names: nothing a spreadsheet would run.
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("persona,allowed", [
    ("billing", True), ("admin", True), ("matching", False), ("growth", False),
    ("credentialing", False), ("provider", False)])
def test_who_sees_the_money_by_day(app, world, claims_money, persona, allowed):
    _, now = claims_money["days"]
    http = app.test_client()
    become(http, person(persona, world))
    for path in ("/team/billing/money", "/team/billing/money.csv",
                 f"/team/billing/money/{now.isoformat()}"):
        response = http.get(path)
        assert response.status_code == (200 if allowed else 403), (persona, path)
        if not allowed:
            assert "EFT100" not in response.get_data(as_text=True)
    anonymous = app.test_client().get(f"/team/billing/money/{now.isoformat()}")
    assert anonymous.status_code in (302, 401) and "EFT100" not in anonymous.get_data(
        as_text=True)
