"""A provider's sessions and income by month on /practice/payouts: counted right from known
rows on any day (month ends, leap days), only their own, and drawn with their tables."""
import datetime
import xml.etree.ElementTree as ET

import pytest

from alma.billing.models import Invoice, Payment, Refund
from alma.charts import month_of, months_back
from alma.claims.models import Visit
from alma.clock import today, utcnow
from alma.network.models import Client, ProgramClient
from alma.payouts import by_month
from alma.payouts.due import Item
from alma.payouts.models import SESSION, PayoutLine, PayoutStatement
from tests import factories

D, DT = datetime.date, datetime.datetime
DAYS = [D(2028, 2, 29), D(2026, 12, 31), D(2027, 1, 31), D(2027, 3, 1), None]
IDS = ["feb29", "dec31", "jan31", "mar1", "the-suite's-clock"]


def program_client(provider, n):
    client = Client.create(email=f"pc{provider.id}-{n}@example.org", name="Pat Client",
                           state="CA")
    return ProgramClient.create(
        provider=provider, client=client, payer=factories.payer("aetna"),
        member_id=f"M{provider.id}-{n}", first_name="Pat", last_name="Client",
        date_of_birth=D(1990, 1, 1), address="1 Main St", city="Oakland", state="CA",
        zip="94601", diagnosis_code="F41.1")


def visit(provider, held_on, attendance="attended"):
    mine = program_client(provider, provider.program_clients.count())  # one a session
    return Visit.create(provider=provider, program_client=mine, held_on=held_on,
                        cpt_code="90834", telehealth=True, attendance=attendance)


def line(provider, cents, at, key):
    statement, _ = PayoutStatement.get_or_create(
        provider=provider, period_start=month_of(at.date()),
        defaults={"period_end": month_of(at.date()) + datetime.timedelta(days=27)})
    PayoutLine.create(statement=statement, kind="session", amount_cents=cents,
                      source_key=key, description="x", happened_at=at)


def own_fee(provider, cents, paid_at, key, refunded=None):
    client = Client.create(email=f"fee-{key}@example.org", name="Fee Client", state="CA")
    invoice = Invoice.create(number=f"F-{key}", kind="cancellation_fee", owed_by_client=client,
                             collected_by="provider", collecting_provider=provider,
                             total_cents=cents, status="paid", issued_on=paid_at.date(),
                             due_on=paid_at.date())
    payment = Payment.create(invoice=invoice, amount_cents=cents, gateway="direct",
                             reference=f"ref-{key}", created_at=paid_at)
    if refunded:
        Refund.create(payment=payment, amount_cents=refunded[0], created_at=refunded[1])


@pytest.fixture
def two(db):
    factories.operate_in("CA")
    return (factories.provider(first_name="Mia", email="mia@example.com"),
            factories.provider(first_name="Ola", email="ola@example.com"))


@pytest.mark.parametrize("day", DAYS, ids=IDS)
def test_sessions_by_month_count_the_days_they_were_held(two, day):
    day = day or today()
    mine, theirs = two
    firsts = months_back(day, 12)
    last_of_previous = firsts[-1] - datetime.timedelta(days=1)
    for held, kind in ((firsts[-1], "attended"), (day, "attended"), (day, "no_show"),
                       (last_of_previous, "attended"), (last_of_previous, "late_cancel"),
                       (firsts[0], "attended"), (firsts[0] - datetime.timedelta(days=1),
                                                 "attended")):
        visit(mine, held, kind)
    visit(theirs, day)  # another provider's
    months, series = by_month.sessions(mine.id, day)
    assert months == firsts
    counted = dict(series)
    assert counted["Attended"] == [1] + [0] * 9 + [1, 2]
    assert counted["No-show"] == [0] * 11 + [1]
    assert counted["Late cancellation"] == [0] * 10 + [1, 0]


@pytest.mark.parametrize("day", DAYS, ids=IDS)
def test_income_by_month_is_payout_lines_and_own_fees_less_refunds(two, day):
    day = day or today()
    mine, theirs = two
    firsts = months_back(day, 12)
    start = DT.combine(firsts[-1], datetime.time())
    tiny = datetime.timedelta(microseconds=1)
    line(mine, 12500, start, "a")  # the 1st at midnight: this month
    line(mine, 9000, start - tiny, "b")  # the last moment of the month before
    line(mine, -4000, start - tiny, "c")  # taken back that month
    line(mine, 7000, DT.combine(firsts[0], datetime.time()) - tiny, "d")  # before the window
    line(theirs, 99900, start, "e")
    own_fee(mine, 5000, start + datetime.timedelta(hours=1), "f",
            refunded=(2000, start + datetime.timedelta(hours=2)))
    own_fee(mine, 3000, start - tiny, "g", refunded=(3000, start + datetime.timedelta(hours=3)))
    own_fee(theirs, 8800, start, "h")
    months, cents = by_month.income(mine.id, day)
    assert months == firsts
    assert cents["alma"] == [0] * 10 + [5000, 12500]
    assert cents["direct"] == [0] * 10 + [3000, 5000 - 2000 - 3000]


@pytest.mark.parametrize("day", DAYS, ids=IDS)
def test_what_the_next_statement_will_pay_counts_apart_in_the_month_it_became_due(two, day):
    # A payout the page says is coming must not sit beside a chart saying "nothing yet".
    day = day or today()
    mine, _ = two
    firsts = months_back(day, 12)
    start = DT.combine(firsts[-1], datetime.time())
    tiny = datetime.timedelta(microseconds=1)
    due = [Item(SESSION, 10000, "session:claim:1", "a session", start),
           Item(SESSION, 9000, "session:claim:2", "a session", start - tiny),
           Item(SESSION, 5000, "session:claim:3", "long ago",
                DT.combine(firsts[0], datetime.time()) - tiny)]
    months, cents = by_month.income(mine.id, day, due=due)
    assert cents["coming"] == [0] * 10 + [9000, 10000]
    assert cents["alma"] == [0] * 12
    assert "Nothing yet" not in by_month.pictures(mine.id, day, due=due)["income"]


def test_the_page_draws_both_with_their_tables_for_the_provider_only(client, two):
    mine, theirs = two
    visit(mine, today())
    line(mine, 12500, utcnow(), "a")
    visit(theirs, today())
    user = factories.user_for(mine)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["seen"] = utcnow().timestamp()
    page = client.get("/practice/payouts").get_data(as_text=True)
    start = page.index('<section class="bar-charts"')
    section = page[start:page.index("</section>", start) + len("</section>")]
    ET.fromstring(section.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" '))
    assert section.count('role="img"') == 2 and section.count("<table") == 2
    assert "$125" in section and f"{today():%b %Y}" in section
    month_row = section[section.index(f"<th scope=\"row\">{today():%b %Y}</th>"):]
    assert month_row.startswith(f'<th scope="row">{today():%b %Y}</th><td>1</td>')  # not 2


def test_a_provider_without_anything_yet_is_told_so(client, two):
    user = factories.user_for(two[0])
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["seen"] = utcnow().timestamp()
    page = client.get("/practice/payouts").get_data(as_text=True)
    assert page.count("Nothing yet: no numbers to draw.") == 2 and 'role="img"' not in page
