"""Clients' overdue invoices: marked, reminded at 1, 7 and 14 days, reported to their
provider in one digest a day when something changed, and listed at /practice/invoices."""
import datetime
from types import SimpleNamespace

import pytest
import time_machine

from alma.accounts import passwords
from alma.accounts.models import EmailLink, User
from alma.audit import AuditEvent
from alma.billing import overdue
from alma.billing import service as billing
from alma.billing.models import Invoice, OverdueDigest
from alma.mail.models import OutboundEmail
from alma.network.models import Client, Provider
from tests import factories

PASSWORD = "a long and memorable passphrase"
D = datetime.date
DUE = D(2026, 3, 2)
SENTENCE = "Unpaid 60+ days: you may now collect this directly from your client."


def day(n):
    return DUE + datetime.timedelta(days=n)


@pytest.fixture
def people(app, db):
    factories.operate_in("CA")
    pat = factories.provider(first_name="Pat", last_name="Treats", email="pat@example.com")
    oli = factories.provider(first_name="Oli", last_name="Other", email="oli@example.com")
    cam = Client.create(email="cam@example.org", name="Cam Client", state="CA")
    dee = Client.create(email="dee@example.org", name="Dee Client", state="CA")
    olive = Client.create(email="olive@example.org", name="Olive Own", state="CA")
    return SimpleNamespace(pat=pat, oli=oli, cam=cam, dee=dee, olive=olive)


def invoice(app, client, provider, kind="copay", due_on=DUE, cents=2500, collected_by="group"):
    with app.app_context():
        made = billing.issue(kind, [(f"{kind} for a session", 1, cents)], due_on=due_on,
                             owed_by_client=client, collected_by=collected_by,
                             collecting_provider=provider if collected_by == "provider" else None)
    Invoice.update(treating_provider=provider).where(Invoice.id == made.id).execute()
    return Invoice.get_by_id(made.id)


def run(app, function, *args):
    with app.app_context():
        return function(*args)


def reload(row):
    return type(row).get_by_id(row.id)


def emails(template, to=None):
    query = OutboundEmail.select().where(OutboundEmail.template == template)
    if to:
        query = query.where(OutboundEmail.to_address == to)
    return list(query.order_by(OutboundEmail.id))


def pay(app, row):
    with app.app_context():
        billing.record_payment(reload(row), billing.amounts(row).due, "local", f"paid-{row.id}")


# --- Marking --------------------------------------------------------------------------------------

def test_it_is_not_overdue_on_the_due_date_and_is_the_day_after(app, people):
    copay = invoice(app, people.cam, people.pat)
    assert run(app, overdue.mark_overdue, day(0)) == 0
    assert reload(copay).overdue_since is None
    assert run(app, overdue.mark_overdue, day(1)) == 1
    assert reload(copay).overdue_since == day(1)
    assert run(app, overdue.mark_overdue, day(2)) == 0  # stamped once
    assert reload(copay).overdue_since == day(1)


def test_it_never_marks_or_reminds_a_paid_invoice(app, people):
    copay = invoice(app, people.cam, people.pat)
    pay(app, copay)
    for n in (1, 7, 14, 30, 60):
        run(app, overdue.run, day(n))
    paid = reload(copay)
    assert paid.overdue_since is None and paid.reminded_count == 0
    assert emails("invoice_overdue") == [] and emails("overdue_digest") == []


def test_it_leaves_membership_fees_alone(app, people):
    with app.app_context():
        fee = billing.issue("membership_fee", [("Alma membership", 1, 12500)], due_on=DUE,
                            owed_by_provider=people.pat, period=(day(-7), day(24)))
    for n in (1, 7, 14, 60):
        assert run(app, overdue.run, day(n)) == 0
    untouched = reload(fee)
    assert untouched.overdue_since is None and untouched.reminded_count == 0
    assert untouched.last_reminded_on is None
    assert emails("invoice_overdue") == [] and emails("overdue_digest") == []


# --- Reminding the client -------------------------------------------------------------------------

def test_it_reminds_the_client_at_1_7_and_14_days_once_each(app, people, mailbox, deliver):
    copay = invoice(app, people.cam, people.pat, cents=2550)
    reminded_on = []
    for n in range(0, 20):
        sent = sum(run(app, overdue.remind_clients, day(n)) for _ in range(3))
        assert sent in (0, 1)
        if sent:
            reminded_on.append(n)
    assert reminded_on == [1, 7, 14]
    assert [e.dedupe_key for e in emails("invoice_overdue")] == [
        f"invoice:{copay.id}:overdue:{n}" for n in (1, 2, 3)]
    assert reload(copay).reminded_count == 3 and reload(copay).last_reminded_on == day(14)

    deliver()
    received = mailbox.to("cam@example.org")
    assert [m["Subject"] for m in received] == [
        "Your copay invoice of $25.50 is 1 day overdue",
        "Your copay invoice of $25.50 is 7 days overdue",
        "Your copay invoice of $25.50 is 14 days overdue"]
    text = received[1].get_body(("plain",)).get_content()
    assert "Your invoice from Pat Treats's practice via Alma for copay, $25.50, is 7 days " \
           "overdue" in text
    assert "Alma collects it for Pat" in text and "Reply to this email" in text
    html = received[1].get_body(("html",)).get_content()
    assert "See and pay" in html and "/billing/link/" in html
    # Each reminder has a fresh pay link of its own.
    links = [m.get_body(("plain",)).get_content().split("/billing/link/")[1].split()[0]
             for m in received]
    assert len(set(links)) == 3
    assert EmailLink.select().where(EmailLink.purpose == billing.INVOICE_LINK).count() == 3


def test_the_pay_link_in_a_reminder_opens_the_invoice(app, people, client, mailbox, deliver):
    from tests.conftest import csrf_token_from, link_in

    copay = invoice(app, people.cam, people.pat)
    run(app, overdue.remind_clients, day(1))
    deliver()
    link = link_in(mailbox.to("cam@example.org")[0], "/billing/link/")
    opened = client.post(link, data={"csrf_token": csrf_token_from(client.get(link))})
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert copay.number in page and "Pay $25" in page


def test_it_reminds_not_at_0_6_or_13_days(app, people):
    invoice(app, people.cam, people.pat)
    assert run(app, overdue.remind_clients, day(0)) == 0
    assert run(app, overdue.remind_clients, day(1)) == 1
    assert run(app, overdue.remind_clients, day(6)) == 0
    assert run(app, overdue.remind_clients, day(7)) == 1
    assert run(app, overdue.remind_clients, day(13)) == 0
    assert run(app, overdue.remind_clients, day(14)) == 1
    assert run(app, overdue.remind_clients, day(40)) == 0


def test_a_job_down_for_ten_days_sends_one_reminder_not_two(app, people):
    copay = invoice(app, people.cam, people.pat)
    assert run(app, overdue.run, day(10)) == 3  # marked, reminded once, one digest
    assert reload(copay).reminded_count == 2
    assert [e.dedupe_key for e in emails("invoice_overdue")] == [
        f"invoice:{copay.id}:overdue:2"]
    assert run(app, overdue.remind_clients, day(13)) == 0
    assert run(app, overdue.remind_clients, day(14)) == 1
    assert reload(copay).reminded_count == 3


def test_a_fee_the_provider_collects_says_so_and_who_to_ask(app, people, mailbox, deliver):
    invoice(app, people.cam, people.pat, kind="missed_visit", cents=9000,
            collected_by="provider")
    run(app, overdue.remind_clients, day(1))
    deliver()
    (message,) = mailbox.to("cam@example.org")
    text = message.get_body(("plain",)).get_content()
    assert "via Alma for missed visit, $90, is 1 day overdue" in text
    assert "Pat Treats collects this fee" in text and "Ask Pat Treats at pat@example.com" in text


# --- The provider's digest ------------------------------------------------------------------------

def test_one_digest_per_provider_per_day_however_often_the_job_runs(
        app, people, mailbox, deliver):
    invoice(app, people.cam, people.pat)
    invoice(app, people.dee, people.pat, kind="coinsurance", cents=4000, due_on=day(-3))
    invoice(app, people.olive, people.oli, due_on=day(5))  # not overdue yet
    for _ in range(3):
        run(app, overdue.run, day(1))
    assert OverdueDigest.select().count() == 1
    assert [e.dedupe_key for e in emails("overdue_digest")] == [
        f"overdue-digest:{people.pat.id}:{day(1).isoformat()}"]
    deliver()
    (digest,) = mailbox.to("pat@example.com")
    assert digest["Subject"] == "2 of your clients' invoices are overdue"
    text = digest.get_body(("plain",)).get_content()
    assert "Dee Client: Coinsurance, $40 due February 27, 2026, 4 days overdue" in text
    assert "Cam Client: Copay, $25 due March 2, 2026, 1 day overdue" in text
    assert text.index("Dee Client") < text.index("Cam Client")  # oldest first
    assert "http://localhost/practice/invoices" in text and SENTENCE not in text
    assert mailbox.to("oli@example.com") == []  # nothing of theirs is overdue


def test_a_digest_goes_only_when_something_changed(app, people):
    cam = invoice(app, people.cam, people.pat)
    dee = invoice(app, people.dee, people.pat, due_on=day(3))

    def digests_on(n):
        run(app, overdue.run, day(n))
        return [d.sent_on for d in OverdueDigest.select().where(
            OverdueDigest.sent_on == day(n))]

    assert digests_on(1) == [day(1)]  # Cam's copay became overdue
    assert digests_on(2) == []  # nothing changed
    assert digests_on(3) == []  # Dee's is due today: not overdue yet
    assert digests_on(4) == [day(4)]  # Dee's became overdue
    assert digests_on(5) == []
    assert digests_on(7) == [day(7)]  # Cam's reached its second reminder
    assert digests_on(8) == []
    pay(app, dee)
    assert digests_on(9) == [day(9)]  # Dee's was paid; Cam's is still overdue
    assert digests_on(10) == []
    pay(app, cam)
    assert digests_on(11) == []  # nothing overdue: nothing to tell
    assert OverdueDigest.select().count() == 4


def test_a_provider_who_left_still_hears_about_their_clients(app, people):
    Provider.update(membership_status="left").where(Provider.id == people.pat.id).execute()
    invoice(app, people.cam, people.pat)
    run(app, overdue.run, day(1))
    assert [e.to_address for e in emails("overdue_digest")] == ["pat@example.com"]


def test_the_digest_says_the_provider_may_collect_from_day_60_not_59(
        app, people, mailbox, deliver):
    invoice(app, people.cam, people.pat)
    run(app, overdue.run, day(59))
    run(app, overdue.run, day(60))
    assert OverdueDigest.select().count() == 2  # passing 60 days is news
    deliver()
    day_59, day_60 = [m.get_body(("plain",)).get_content()
                      for m in mailbox.to("pat@example.com")]
    assert "59 days overdue" in day_59 and SENTENCE not in day_59
    assert "60 days overdue" in day_60 and SENTENCE in day_60


def test_may_collect_directly_is_for_balances_alma_collects(app, people):
    copay = invoice(app, people.cam, people.pat)
    fee = invoice(app, people.dee, people.pat, kind="cancellation_fee", collected_by="provider")
    assert not overdue.may_collect_directly(copay, day(59))
    assert overdue.may_collect_directly(copay, day(60))
    assert not overdue.may_collect_directly(fee, day(90))  # theirs to collect all along


# --- /practice/invoices ---------------------------------------------------------------------------

def page(app, provider, on):
    """The provider's invoices page as they see it at noon on `on`."""
    user = User.get_or_none(User.provider == provider.id) or factories.user_for(provider,
                                                                                PASSWORD)
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(12))):
        http = app.test_client()
        factories.sign_in(http, User.get_by_id(user.id), PASSWORD)
        response = http.get("/practice/invoices")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_lists_overdue_then_open_then_paid(app, people):
    invoice(app, people.cam, people.pat, due_on=day(-10), cents=1000)
    invoice(app, people.dee, people.pat, due_on=day(-2), cents=2000)
    invoice(app, people.cam, people.pat, kind="coinsurance", due_on=day(5),
                         cents=3000)
    paid = invoice(app, people.dee, people.pat, kind="self_pay_session", cents=15000)
    pay(app, paid)
    body = page(app, people.pat, day(0))
    assert "Alma collects copays and coinsurance" in body and "60 days" in body
    assert "<caption>" in body and '<th scope="col">Client</th>' in body
    positions = [body.index(text) for text in
                 ("Overdue 10 days", "Overdue 2 days", "$30", "Paid")]
    assert positions == sorted(positions)
    assert "$10" in body and "$20" in body and "Alma collects" in body
    assert SENTENCE not in body
    # Seeing clients' financial records leaves an audit trail, one event per client.
    events = AuditEvent.select().where(AuditEvent.subject_type == "client_invoices")
    assert sorted(e.client_id for e in events) == sorted([people.cam.id, people.dee.id])


def test_the_page_says_when_the_provider_may_collect_directly(app, people):
    invoice(app, people.cam, people.pat)
    assert SENTENCE not in page(app, people.pat, day(59))
    body = page(app, people.pat, day(60))
    assert "Overdue 60 days" in body and SENTENCE in body


def test_a_fee_the_provider_collects_says_you_collect(app, people):
    invoice(app, people.cam, people.pat, kind="cancellation_fee", cents=7500,
            collected_by="provider")
    body = page(app, people.pat, day(1))
    assert "Cancellation fee" in body and "You collect" in body and "Alma collects<" not in body


def test_a_provider_who_left_still_sees_their_clients_invoices(app, people):
    Provider.update(membership_status="left").where(Provider.id == people.pat.id).execute()
    invoice(app, people.cam, people.pat)
    assert "Cam Client" in page(app, people.pat, day(1))


def test_another_provider_sees_none_of_these_invoices(app, people):
    invoice(app, people.cam, people.pat)
    invoice(app, people.dee, people.pat, kind="missed_visit", collected_by="provider")
    invoice(app, people.olive, people.oli)
    body = page(app, people.oli, day(1))
    assert "Olive Own" in body
    assert "Cam Client" not in body and "Dee Client" not in body


def test_a_signed_out_visitor_is_sent_to_sign_in(client, people):
    response = client.get("/practice/invoices")
    assert response.status_code in (302, 303) and "/sign-in" in response.headers["Location"]


def test_a_user_who_is_not_a_provider_is_refused(app, client, people):
    user = User.create(email="someone@example.org", name="Some One",
                       password_hash=passwords.hash_password(PASSWORD))
    factories.sign_in(client, user, PASSWORD)
    assert client.get("/practice/invoices").status_code == 403
