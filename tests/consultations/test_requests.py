"""Sending a consultation request: the form, its rules, the emails, the client's status page."""
import pytest

from alma.consultations.models import DECLINED, PENDING, ConsultationRequest, WaitlistEntry
from alma.mail.models import OutboundEmail
from alma.network.models import Client
from tests import factories
from tests.conftest import csrf_token_from, link_in
from tests.consultations.helpers import GOOD, form_page, submit


@pytest.fixture
def maya(db):
    factories.operate_in("CA", "NY")
    return factories.provider(first_name="Maya", last_name="Okafor", payers=("aetna",),
                              email="maya@example.com")


def text(response):
    return response.get_data(as_text=True)


def test_it_sends_a_request_and_emails_both_sides(client, maya, mailbox, deliver):
    response, _ = submit(client, maya)
    assert response.status_code == 303
    assert text(client.get(response.headers["Location"])).count("on its way to Maya") == 1
    request = ConsultationRequest.get()
    assert (request.status, request.provider_id, request.state, request.payer.slug) == \
        (PENDING, maya.id, "CA", "aetna")
    assert request.client.email == "jamie@example.org" and request.client.phone

    assert deliver() == 2
    (to_client,) = mailbox.to("jamie@example.org")
    (to_provider,) = mailbox.to("maya@example.com")
    assert "on its way" in to_client["Subject"]
    assert "Jamie" in to_provider["Subject"]
    provider_text = to_provider.get_body(("plain",)).get_content()
    assert "Anxiety at work" in provider_text
    assert "jamie@example.org" not in provider_text  # contact details come with accepting
    assert to_client.get_body(("html",)) is not None


def test_the_client_follows_the_request_from_the_emailed_link_once(client, maya, mailbox, deliver):
    submit(client, maya)
    deliver()
    status_link = link_in(mailbox.to("jamie@example.org")[0], "/requests/link/")
    page = client.get(status_link)
    assert page.status_code == 200 and "See my request" in text(page)
    assert ConsultationRequest.get().status == PENDING  # a GET changes nothing
    opened = client.post(status_link, data={"csrf_token": csrf_token_from(page)})
    assert opened.status_code == 303
    status = client.get(opened.headers["Location"])
    assert "Waiting for an answer" in text(status) and "What happens next" in text(status)

    # The same link again in this browser just opens the request...
    assert client.get(status_link).status_code == 302
    # ...but in another browser it has been used.
    other = client.application.test_client()
    used = other.get(status_link)
    assert used.status_code == 410 and "used already" in text(used)
    assert other.get(opened.headers["Location"]).status_code == 401


def test_it_keeps_what_was_typed_and_stores_nothing_when_the_form_is_wrong(client, maya):
    response, _ = submit(client, maya, email="not-an-email", concerns="", consent=None)
    body = text(response)
    assert response.status_code == 422
    assert 'value="not-an-email"' in body and 'value="Jamie Rivera"' in body
    assert "Enter an email address like" in body
    assert "Tell the therapist a little" in body
    assert "We need your agreement" in body
    assert ConsultationRequest.select().count() == 0 and Client.select().count() == 0


def test_a_double_click_makes_one_request(client, maya):
    first, data = submit(client, maya)
    again = client.post(f"/providers/{maya.slug}/request", data=data)
    assert first.status_code == again.status_code == 303
    assert ConsultationRequest.select().count() == 1
    assert OutboundEmail.select().count() == 2


def test_a_second_request_to_the_same_provider_within_a_day_makes_nothing_new(
        app, client, maya, mailbox, deliver):
    first, _ = submit(client, maya, phone="")
    # Anyone may type Jamie's address: the page must not say Jamie asked Maya for help.
    stranger = app.test_client()
    again, _ = submit(stranger, maya, email="JAMIE@example.org", name="Snoop",
                      concerns="Something else", phone="(555) 010-9999")
    unknown, _ = submit(stranger, maya, email="nobody@example.org")
    assert again.status_code == unknown.status_code == first.status_code == 303
    assert again.headers["Location"] == unknown.headers["Location"]
    assert text(stranger.get(again.headers["Location"])) == \
        text(stranger.get(unknown.headers["Location"]))
    [request] = ConsultationRequest.select().join(Client).where(
        Client.email == "jamie@example.org")
    assert request.name == "Jamie Rivera"  # the earlier request, unchanged
    assert (request.client.name, request.client.phone) == ("Jamie Rivera", None)
    deliver()
    [told] = [m for m in mailbox.to("jamie@example.org") if "still on its way" in m["Subject"]]
    assert "didn't send another" in told.get_body(("plain",)).get_content()
    submit(stranger, maya, email="jamie@example.org")
    deliver()
    assert len(mailbox.to("jamie@example.org")) == 2  # received, then asked again: once


def test_the_robot_trap_stores_nothing(client, maya):
    response, _ = submit(client, maya, website="http://spam.example")
    assert response.status_code == 303
    assert ConsultationRequest.select().count() == 0 and OutboundEmail.select().count() == 0


def test_a_provider_who_is_full_offers_the_matching_team_instead(client, maya):
    full = factories.provider(accepting=False)
    page = form_page(client, full)
    assert "isn't taking new clients" in text(page) and "Client Matching team" in text(page)
    assert 'name="concerns"' not in text(page)
    token = csrf_token_from(form_page(client, maya))
    response = client.post(f"/providers/{full.slug}/request",
                           data={**GOOD, "csrf_token": token, "submission_key": "k1"})
    assert response.status_code == 409 and ConsultationRequest.select().count() == 0


def test_it_points_to_providers_licensed_in_the_clients_state(client, maya):
    response, _ = submit(client, maya, state="NY")
    body = text(response)
    assert response.status_code == 422
    assert "licensed in New York" in body
    assert 'href="/providers?state=NY"' in body
    assert ConsultationRequest.select().count() == 0


def test_a_state_the_network_does_not_serve_is_declined_with_the_waitlist(
        client, maya, mailbox, deliver):
    response, data = submit(client, maya, state="WY")
    body = text(response)
    assert response.status_code == 200 and "not in Wyoming yet" in body
    request = ConsultationRequest.get()
    assert (request.status, request.decline_reason) == (DECLINED, "state_not_served")
    deliver()
    (message,) = mailbox.to("jamie@example.org")  # and nothing to the provider
    assert "not in your state" in message["Subject"]

    joined = client.post("/waitlist", data={"csrf_token": csrf_token_from(response),
                                            "submission_key": data["submission_key"]})
    assert joined.status_code == 200 and "on the Wyoming waitlist" in text(joined)
    assert WaitlistEntry.get().state == "WY"


def test_one_click_in_the_email_joins_the_waitlist(client, maya, mailbox, deliver):
    submit(client, maya, state="WY", email="wy@example.org")
    deliver()
    link = link_in(mailbox.to("wy@example.org")[0], "/waitlist/link/")
    page = client.get(link)
    assert WaitlistEntry.select().count() == 0
    client.post(link, data={"csrf_token": csrf_token_from(page)})
    assert [(e.email, e.state) for e in WaitlistEntry.select()] == [("wy@example.org", "WY")]
    assert client.post(link, data={"csrf_token": csrf_token_from(page)}).status_code == 410


def test_launching_a_state_emails_its_waitlist_once(app, maya, mailbox, deliver):
    from alma.consultations import service

    factories.provider(state="WY", extra_states=("CA",))
    service.join_waitlist("a@example.org", "WY")
    service.join_waitlist("b@example.org", "WY")
    service.join_waitlist("c@example.org", "OR")
    with app.app_context():
        state, told = service.launch_state("WY")
        assert told == 2 and state.operating
        assert service.launch_state("WY")[1] == 0
    deliver()
    assert sorted(m["To"] for m in mailbox.messages) == ["a@example.org", "b@example.org"]
    assert all("Alma is now in Wyoming" in m["Subject"] for m in mailbox.messages)


def test_the_client_can_withdraw_a_waiting_request(client, maya, mailbox, deliver):
    submit(client, maya)
    deliver()
    link = link_in(mailbox.to("jamie@example.org")[0], "/requests/link/")
    opened = client.post(link, data={"csrf_token": csrf_token_from(client.get(link))})
    status = client.get(opened.headers["Location"])
    withdrawn = client.post(opened.headers["Location"] + "/withdraw",
                            data={"csrf_token": csrf_token_from(status)})
    assert withdrawn.status_code == 303
    assert ConsultationRequest.get().status == "withdrawn"


def test_a_client_cannot_open_another_clients_request(client, maya, mailbox, deliver):
    submit(client, maya)
    submit(client, maya, email="other@example.org", name="Other Person")
    deliver()
    link = link_in(mailbox.to("jamie@example.org")[0], "/requests/link/")
    client.post(link, data={"csrf_token": csrf_token_from(client.get(link))})
    theirs = ConsultationRequest.get(ConsultationRequest.client ==
                                     Client.get(Client.email == "other@example.org"))
    assert client.get(f"/requests/{theirs.id}").status_code == 404
    assert client.get(f"/requests/{theirs.id + 1000}").status_code == 404


def test_the_form_is_rate_limited_per_address(db, make_app):
    # Another app (limits on) can't see this test's uncommitted rows, so the
    # posts reach an unknown provider: the limit counts them all the same.
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    token = csrf_token_from(client.get("/sign-in"))
    statuses = [client.post("/providers/someone/request", data={"csrf_token": token}).status_code
                for _ in range(6)]
    assert statuses == [404] * 5 + [429]


def test_a_new_submission_never_renames_an_existing_client(client, maya):
    submit(client, maya)
    other = factories.provider(first_name="Omar")
    submit(client, other, name="Someone Else", phone="(555) 999-0000")
    (only,) = Client.select()
    assert (only.name, only.phone) == ("Jamie Rivera", "(555) 010-2233")


@pytest.mark.parametrize("key", ["k" * 5000, "\x00", "١٢٣", " "])
def test_a_forged_one_time_key_is_replaced_not_stored(client, maya, key):
    response, _ = submit(client, maya, submission_key=key)
    assert response.status_code == 303
    (made,) = ConsultationRequest.select()
    assert len(made.submission_key) == 32 and made.submission_key.isalnum()
