"""Finding any invoice: by number, by who owes it (name or email, client or provider), kind,
status and dates, a page at a time; and an invoice's page with everything that happened."""
import datetime
import html

import pytest

from alma.audit import AuditEvent
from alma.billing import service
from alma.billing.models import Invoice
from alma.clock import today
from alma.network.models import Client
from tests.billing_desk.helpers import confirm_refund, refund_data


def numbers(response):
    text = response.get_data(as_text=True)
    return sorted(i.number for i in Invoice.select() if f">{i.number}</a>" in text)


def test_with_nothing_asked_it_lists_every_invoice_newest_first(client, world, biller):
    response = client.get("/team/billing")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "2 invoices" in text
    assert text.index(world["fee"].number) < text.index(world["copay"].number)


@pytest.mark.parametrize("query,expected", [
    ("{copay}", ["copay"]), ("{fee}", ["fee"]),
    ("pat.payer@example.org", ["copay"]), ("PAT payer", ["copay"]), ("payer@EXAMPLE", ["copay"]),
    ("maya@example.com", ["fee"]), ("Maya Okafor", ["fee"]), ("okafor", ["fee"]),
    ("nobody-here", []), ("100%", []), ("_", []),
])
def test_it_finds_an_invoice_by_number_or_by_who_owes_it(client, world, biller, query,
                                                         expected):
    query = query.format(copay=world["copay"].number, fee=world["fee"].number)
    found = numbers(client.get("/team/billing", query_string={"q": query}))
    assert found == sorted(world[name].number for name in expected)


def test_it_filters_by_kind_status_and_the_days_issued(client, world, biller):
    copay, fee = world["copay"], world["fee"]
    old = today() - datetime.timedelta(days=40)
    Invoice.update(issued_on=old, due_on=old).where(Invoice.id == fee.id).execute()
    get = lambda **args: numbers(client.get("/team/billing", query_string=args))  # noqa: E731
    assert get(kind="copay") == [copay.number]
    assert get(kind="membership_fee") == [fee.number]
    assert get(status="paid") == [copay.number]
    assert get(status="open") == [fee.number]
    assert get(status="overdue") == [fee.number]
    assert get(issued_from=(old + datetime.timedelta(days=1)).isoformat()) == [copay.number]
    assert get(issued_to=old.isoformat()) == [fee.number]
    assert get(issued_from=old.isoformat(), issued_to=today().isoformat(),
               kind="copay", status="paid", q="pat") == [copay.number]


@pytest.mark.parametrize("args,message", [
    ({"kind": "bitcoin"}, "Not a valid choice"),
    ({"status": "closed"}, "Not a valid choice"),
    ({"issued_from": "2026-02-30"}, "Enter a date like 2026-03-31."),
    ({"issued_from": "0001-01-01"}, "Enter a date from"),
    ({"issued_from": "2026-05-02", "issued_to": "2026-05-01"}, "on or after the first one"),
    ({"q": "x" * 201}, "Search for at most 200 characters."),
])
def test_filters_nobody_means_are_a_400_that_says_why(client, world, biller, args, message):
    response = client.get("/team/billing", query_string=args)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))


def test_results_come_a_page_at_a_time(app, client, world, biller):
    with app.test_request_context():
        for n in range(30):
            person = Client.create(email=f"many{n}@example.org", name=f"Many {n}", state="CA")
            service.issue("copay", [("Session", 1, 2500)], due_on=today(),
                          owed_by_client=person)
    first = client.get("/team/billing", query_string={"q": "many"})
    text = first.get_data(as_text=True)
    assert "30 invoices, page 1 of 2" in text and text.count('scope="row"') == 25
    assert 'rel="next"' in text
    second = client.get("/team/billing", query_string={"q": "many", "page": "2"})
    assert second.get_data(as_text=True).count('scope="row"') == 5
    beyond = client.get("/team/billing", query_string={"q": "many", "page": "99"})
    assert "page 2 of 2" in beyond.get_data(as_text=True)
    for page in ("0", "-1", "\u0662", "NaN"):
        assert client.get("/team/billing", query_string={"q": "many", "page": page}) \
            .status_code == 200


def test_a_clients_invoices_listed_or_opened_are_in_their_audit_trail(client, world, biller):
    client.get("/team/billing", query_string={"q": "pat"})
    client.get(f"/team/billing/invoices/{world['copay'].number}")
    events = {(e.action, e.subject_id, e.client_id, e.actor_id) for e in AuditEvent.select()}
    copay, person = world["copay"].id, world["client"].id
    assert ("listed", copay, person, biller.id) in events
    assert ("viewed", copay, person, biller.id) in events


def test_an_invoice_page_shows_its_lines_money_payments_refunds_notes_and_who(
        client, world, biller, pay):
    copay, payment = world["copay"], world["payment"]
    assert confirm_refund(client, payment,
                          refund_data(client, payment, "20", "Late start")).status_code == 303
    page = html.unescape(client.get(f"/team/billing/invoices/{copay.number}")
                         .get_data(as_text=True))
    for part in ("Session, Dec 1", "Charged", "$150", "Credited", "− $20", "Refunded", "+ $20",
                 "Due now", "local_paid_copay", "Local test", "Late start", "Bea Biller",
                 "Pat Payer", "pat.payer@example.org", "Maya Okafor",
                 "Every invoice for pat.payer@example.org", "Refunded $20 (2000 cents)"):
        assert part in page, part
    assert f'href="/team/billing/payments/{payment.id}/refund"' in page  # $130 left to refund

    fee = world["fee"]
    page = html.unescape(client.get(f"/team/billing/invoices/{fee.number}")
                         .get_data(as_text=True))
    assert "No payment yet." in page and "Issue a credit note" in page
    assert f"/providers/{world['provider'].slug}" in page  # who owes it, in the directory
