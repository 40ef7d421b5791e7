"""The client's estimate and superbill, and the provider's reminder, through the real SMTP
test server: the emailed link opens the document once, in the browser that spent it."""
import datetime

from alma.clock import today
from alma.consultations import service as consultations
from alma.selfpay import jobs, service
from alma.selfpay.models import SelfPayClient
from tests.conftest import csrf_token_from, link_in
from tests.selfpay.helpers import (client_with_dob, estimate_values, key, provider_with_details,
                                   self_pay_request, session_values)


def test_the_estimate_and_superbill_arrive_and_their_links_open_them(app, db, deliver,
                                                                      mailbox):
    with app.app_context():
        provider = provider_with_details(first_name="Ines")
        spc = client_with_dob(provider)
        reminded = jobs.remind_estimates_due(on=spc.gfe_remind_on)
        estimate = service.issue_estimate(spc, estimate_values(), key())
        service.log_session(spc, session_values(), key())
        bill = service.make_superbill(spc, today() - datetime.timedelta(days=3), today(), key())
    assert reminded == 1
    deliver()
    [reminder] = mailbox.to(provider.email)
    assert "good-faith estimate" in reminder["Subject"] and "Sam" not in reminder["Subject"]
    assert "\n\nIssue it here" in reminder.get_body(("plain",)).get_content().replace("\r", "")
    assert f"/practice/self-pay/clients/{spc.id}" in link_in(reminder, "/practice/self-pay")
    sent = mailbox.to("sam@example.org")
    assert [m["Subject"] for m in sent] == [
        f"Your good-faith estimate from {provider.full_name}",
        f"Your superbill from {provider.full_name}, {bill.starts_on} to {bill.ends_on}"]
    words = sent[0].get_body(("plain",)).get_content()
    assert "$600" in words and "cms.gov/nosurprises" in words and "$400 or more" in words
    http = app.test_client()
    for message, part, opened in ((sent[0], "/self-pay/estimates/link/", estimate),
                                  (sent[1], "/self-pay/superbills/link/", bill)):
        path = link_in(message, part)
        page = http.get(path)
        assert page.status_code == 200
        done = http.post(path, data={"csrf_token": csrf_token_from(page)})
        assert done.status_code == 303
        shown = http.get(done.headers["Location"]).get_data(as_text=True)
        assert opened.number in shown and "Print or save as PDF" in shown
        # Each link works once: another browser is told so.
        assert app.test_client().post(path, data={}).status_code in (400, 410)


def test_an_accepted_self_pay_client_is_told_their_right_and_can_ask(app, db, deliver,
                                                                     mailbox):
    with app.app_context():
        provider = provider_with_details(first_name="Ines")
        consultations.accept(self_pay_request(provider, email="kai@example.org",
                                              name="Kai Lee"))
        spc = SelfPayClient.get()
        service.issue_estimate(client_with_dob(provider, email="kai@example.org"),
                               estimate_values(), key())
    deliver()
    rights = next(m for m in mailbox.to("kai@example.org") if "right" in m["Subject"])
    words = rights.get_body(("plain",)).get_content()
    assert "Good Faith Estimate" in words and "cms.gov/nosurprises" in words
    path = link_in(rights, "/self-pay/ask/")
    http = app.test_client()
    page = http.get(path)
    assert page.status_code == 200 and "Ask for an estimate" in page.get_data(as_text=True)
    assert http.post(path, data={}).status_code == 400  # CSRF
    assert http.post(path[:-3] + "abc", data={"csrf_token": csrf_token_from(page)}) \
        .status_code == 410
    done = http.post(path, data={"csrf_token": csrf_token_from(page)})
    assert done.status_code == 200 and "must send you" in done.get_data(as_text=True)
    with app.app_context():
        asked = SelfPayClient.get_by_id(spc.id)
    assert asked.gfe_wanted and asked.gfe_reason == "requested"
    assert http.post(path, data={"csrf_token": csrf_token_from(page)}).status_code == 410
    deliver()
    [told] = [m for m in mailbox.to(provider.email) if "asked" in m["Subject"]]
    # No client's name, nor that they see a therapist, in a subject (PHI): the body says who.
    assert "Kai" not in told["Subject"] and "Kai Lee asked" in told.get_body(("plain",)) \
        .get_content()
