"""A provider corrects a session logged by mistake, and invoices (or not) their own fee, in
Chromium, on a phone and at a desk.

Vic logs Sam's session as a no-show with the fee ticked, though Sam came: Sam is emailed the
fee's invoice. Vic voids the no-show (saying what was wrong), and logs the real session: Sam
is emailed a credit note for the fee, then the copay's invoice; the fee's invoice says
nothing is due and that it was cancelled; the billing team sees the credit note, why, and
the one claim, the real session's.

The "invoice my fee" box: never ticked on its own, hidden (and ignored) for an attended
session, shown for a late cancellation or a no-show; ticked, the fee is invoiced (if the
provider's policy has one for that kind of absence); unticked, nothing is.
"""
import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from alma.accounts import passwords
from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.benefits import checks
from alma.billing.models import CreditNote, Invoice
from alma.claims.models import Claim, Visit
from alma.clock import today, utcnow
from alma.program import clients
from tests import factories
from tests.browser.support import (PASSWORD, SCREENS, assert_accessible, fits, in_app, link_from,
                                   sign_in)
from tests.program.helpers import approve_all, enrol

VIC = "vic.void@example.org"
BEA = "bea.void@alma.example"
PHONE = {"width": 360, "height": 800}
DESK = {"width": 1280, "height": 800}
NO_SHOW_FEE, LATE_FEE = 6000, None  # Vic's policy: a fee for a missed session only


@pytest.fixture(scope="module")
def vic(app, live_server):
    """A therapist in the insurance program with a missed-session fee and no late-cancellation
    fee, and a member of the billing team."""
    def make():
        factories.operate_in("CA")
        provider = factories.provider(first_name="Vic", last_name="Void", email=VIC,
                                      no_show_fee_cents=NO_SHOW_FEE,
                                      late_cancel_fee_cents=LATE_FEE)
        User.create(email=VIC, name=provider.full_name, provider=provider,
                    password_hash=passwords.hash_password(PASSWORD))
        User.create(email=BEA, name="Bea Void", roles="billing",
                    password_hash=passwords.hash_password(PASSWORD))
        staff = User.create(email="cred.void@alma.example", name="Cred", roles="credentialing")
        approve_all(enrol(provider), staff, today() - datetime.timedelta(days=30))
        return provider
    return in_app(app, make)  # the browser suite's clean-up deletes what this committed


def a_client(app, provider, first, last, email):
    """A client of the provider's in the program, benefits checked two weeks ago (a copay)."""
    def make():
        values = dict(first_name=first, last_name=last, email=email,
                      date_of_birth=datetime.date(1990, 4, 2), gender="U",
                      member_id=f"ALMA-ACTIVE-COPAY-{last.upper()}",
                      payer=factories.payer("unitedhealthcare"), address="12 Elm St",
                      city="Oakland", state="CA", zip="94607", diagnosis_code="F41.1")
        program_client = clients.move_in(provider, values, tell=False)
        with time_machine.travel(utcnow() - datetime.timedelta(days=14), tick=False):
            checks.check_for_program_client(program_client)
        return f"{first} {last} (UnitedHealthcare)", program_client.client_id
    return in_app(app, make)


def log(page, client, day, attendance, fee=None):
    """Fill the provider's form as a person does; `fee` ticks or unticks the fee box."""
    page.goto("/practice/sessions")
    page.get_by_label("Client").select_option(label=client)
    page.get_by_label("Date of the session").fill(day.isoformat())
    page.get_by_label("By telehealth").check()
    page.get_by_label(attendance, exact=True).check()
    box = page.get_by_label("Invoice my fee")
    if fee is not None:
        box.set_checked(fee)
    page.get_by_role("button", name="Log session").click()


def test_a_wrong_no_show_is_voided_and_the_real_session_logged(
        app, new_context, page_problems, deliver_all, mailbox, vic):
    page_problems.allow(r"status of 422", "the real session logged over the wrong one: refused")
    client, client_id = a_client(app, vic, "Sam", "Voidable", "sam.voidable@example.org")
    day = today() - datetime.timedelta(days=1)
    mailbox.clear()

    # Between sessions, on a phone, Vic logs yesterday's session as a no-show, fee ticked.
    vic_page = new_context(viewport=PHONE).new_page()
    sign_in(vic_page, VIC)
    log(vic_page, client, day, "No-show", fee=True)
    flash = vic_page.locator(".flash")
    expect(flash).to_contain_text("You invoiced your missed session fee of $60")
    fits(vic_page)
    # Sam was there: the real session can't be logged over it.
    log(vic_page, client, day, "Attended")
    expect(vic_page.locator("main")).to_contain_text("This session is logged already")
    fee_invoice = in_app(app, lambda: Visit.get(Visit.attendance == "no_show").invoice)
    # Sam is emailed the fee's invoice before Vic notices.
    [issued] = [m for m in deliver_all().to("sam.voidable@example.org")]
    assert "$60" in issued.get_body(("plain",)).get_content()

    # Vic voids it from the session's row, saying what was wrong.
    row = vic_page.locator("tbody tr", has_text="No-show")
    row.get_by_role("link", name="Void").click()
    expect(vic_page.locator("h1")).to_have_text("Void a session logged by mistake")
    main = vic_page.locator("main")
    expect(main).to_contain_text(f"No-show on {day:%B} {day.day}, {day.year} with Sam Voidable")
    expect(main).to_contain_text(f"cancels its invoice {fee_invoice.number} with a credit note")
    fits(vic_page)
    assert_accessible(vic_page)
    # Not without saying what was wrong: it is kept with the record.
    vic_page.get_by_role("button", name="Void this session").click()
    expect(main.locator(".problems")).to_contain_text("Say what was wrong with it")
    expect(main).to_contain_text(f"No-show on {day:%B} {day.day}, {day.year} with Sam Voidable")
    fits(vic_page)
    vic_page.get_by_label("What was wrong").fill("Sam came; I clicked the wrong button.")
    vic_page.get_by_role("button", name="Void this session").click()
    expect(flash).to_contain_text("Session voided: the no-show on")
    expect(flash).to_contain_text(f"Its invoice {fee_invoice.number} was cancelled with a "
                                  "credit note of $60, emailed to the client")
    expect(flash).to_contain_text("You can log the real session now")
    expect(vic_page.locator("tbody")).not_to_contain_text("No-show")

    # Then the real one: a claim, and Sam's copay.
    log(vic_page, client, day, "Attended")
    expect(flash).to_contain_text("Claim for $125 made")
    expect(flash).to_contain_text("the client was invoiced $25 (copay)")
    rows = vic_page.locator("tbody tr", has_text="Sam Voidable")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Attended")
    fits(vic_page)
    vic_page.screenshot(path=str(SCREENS / "void-practice-sessions-360.png"), full_page=True)

    def facts():
        visits = [(v.attendance, v.held_on) for v in Visit.select()
                  if v.program_client.client_id == client_id]
        claims = [c.visit.attendance for c in Claim.select()
                  if c.visit.program_client.client_id == client_id]
        note = CreditNote.get(CreditNote.invoice == fee_invoice.id)
        event = AuditEvent.get(AuditEvent.action == "voided")
        return visits, claims, note.amount_cents, Invoice.get_by_id(fee_invoice.id), event
    visits, claims, credited, invoice, event = in_app(app, facts)
    assert visits == [("attended", day)] and claims == ["attended"]
    assert credited == 6000 and "Sam came; I clicked the wrong button." in event.detail

    # Sam, on a phone, is emailed the credit note, then the copay; the fee is cancelled.
    mail = deliver_all().to("sam.voidable@example.org")
    subjects = [m["Subject"] for m in mail]
    assert len(mail) == 3, subjects
    credit_note = next(m for m in mail if m["Subject"].startswith("Credit note"))
    assert "logged in error" in credit_note.get_body(("plain",)).get_content()
    sam = new_context(viewport=PHONE).new_page()
    sam.goto(link_from(credit_note, "/billing/link/"))
    sam.locator("main form button[type=submit]").first.click()
    expect(sam.locator("h1")).to_have_text(f"Invoice {invoice.number}")
    money = sam.locator("main dl")
    expect(money).to_contain_text("Credited− $60")
    expect(money).to_contain_text("Due now$0")
    badge = sam.locator(".status-badge")
    expect(badge).to_have_text("Cancelled")  # never "Paid": Sam paid nothing
    expect(sam.get_by_role("button", name="Pay")).to_have_count(0)
    fits(sam)
    assert_accessible(sam)
    copay = next(m for m in mail if "$25" in m["Subject"])
    sam.goto(link_from(copay, "/billing/link/"))
    sam.locator("main form button[type=submit]").first.click()
    expect(sam.locator("main")).to_contain_text("$25")
    expect(sam.get_by_role("button", name="Pay $25")).to_be_visible()
    fits(sam)

    # Bea, of the billing team, at a desk: the fee's invoice, credited and why; one claim.
    bea = new_context(viewport=DESK).new_page()
    sign_in(bea, BEA)
    bea.goto(f"/team/billing/invoices/{invoice.number}")
    main = bea.locator("main")
    expect(main.locator(".status-badge")).to_have_text("Cancelled")
    expect(main).to_contain_text("Session logged in error by the provider and voided")
    expect(main.locator(".sums")).to_contain_text("Due now$0")
    assert_accessible(bea)
    bea.set_viewport_size(PHONE)
    fits(bea)
    bea.set_viewport_size(DESK)
    bea.goto("/team/claims")
    bea.get_by_label("State").select_option(label="Every claim")
    bea.get_by_role("button", name="Show claims").click()
    claims_found = bea.locator("tbody tr", has_text="Sam Voidable")
    expect(claims_found).to_have_count(1)
    expect(claims_found).to_contain_text("Ready to send")
    bea.set_viewport_size(PHONE)
    fits(bea)


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1280", "360"])
def test_the_fee_box_is_ticked_only_by_the_provider_and_only_for_an_absence(
        app, new_context, deliver_all, mailbox, vic, viewport):
    width = viewport["width"]
    client, client_id = a_client(app, vic, "Ada", f"Absent{width}", f"ada.{width}@example.org")
    page = new_context(viewport=viewport).new_page()
    sign_in(page, VIC)
    page.goto("/practice/sessions")
    box = page.get_by_label("Invoice my fee")
    # Attended is chosen to start with: the box is neither ticked nor shown.
    expect(page.get_by_label("Attended", exact=True)).to_be_checked()
    expect(box).not_to_be_checked()
    expect(box).to_be_hidden()
    fits(page)
    # An absence shows it, still unticked: the fee is the provider's choice each time.
    for absence in ("No-show", "Late cancellation"):
        page.get_by_label(absence, exact=True).check()
        expect(box).to_be_visible()
        expect(box).not_to_be_checked()
        fits(page)
    assert_accessible(page)

    days = [today() - datetime.timedelta(days=n) for n in range(2, 6)]
    # A no-show, box left alone: nothing invoiced.
    log(page, client, days[0], "No-show")
    expect(page.locator(".flash")).to_contain_text("Not billed: a missed session is never "
                                                   "billed to the insurer")
    # A no-show, box ticked: the $60 fee, Vic's to collect.
    log(page, client, days[1], "No-show", fee=True)
    expect(page.locator(".flash")).to_contain_text("You invoiced your missed session fee of $60")
    # A late cancellation, box ticked: Vic's policy has no such fee, so nothing is invoiced.
    log(page, client, days[2], "Late cancellation", fee=True)
    expect(page.locator(".flash")).to_contain_text("Not billed: a late cancellation")
    # Ticked for a no-show, then the session marked attended after all: billed to the
    # insurer, never invoiced as a fee.
    page.goto("/practice/sessions")
    page.get_by_label("Client").select_option(label=client)
    page.get_by_label("Date of the session").fill(days[3].isoformat())
    page.get_by_label("By telehealth").check()
    page.get_by_label("No-show", exact=True).check()
    box.check()
    page.get_by_label("Attended", exact=True).check()
    expect(box).to_be_hidden()
    page.get_by_role("button", name="Log session").click()
    expect(page.locator(".flash")).to_contain_text("the client was invoiced $25 (copay)")
    fits(page)

    def invoices():
        return sorted((i.kind, i.total_cents, i.collected_by)
                      for i in Invoice.select().where(Invoice.owed_by_client == client_id))
    assert in_app(app, invoices) == [("copay", 2500, "group"),
                                     ("missed_visit", 6000, "provider")]
    emailed = sorted(m["Subject"] for m in deliver_all().to(f"ada.{width}@example.org"))
    assert len(emailed) == 2 and any("$60" in s for s in emailed), emailed
