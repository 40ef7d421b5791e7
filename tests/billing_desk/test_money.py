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
from alma.clock import today

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
                       "credited_cents", "net_cents", "paid_to_providers_directly_cents"]
    assert rows[1] == [two_ago.isoformat(), "1", "15000", "0", "15000", "0", "0", "0", "0", "0",
                       "15000", "0"]
    assert rows[3] == [now.isoformat(), "2", "1100", "100", "1000", "0", "2", "5500", "1",
                       "4000", "-4400", "0"]
    assert rows[-1] == ["total", "4", "21100", "100", "16000", "5000", "2", "5500", "1", "4000",
                        "15600", "2500"]


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
