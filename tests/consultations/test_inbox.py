"""The provider's inbox, and answering from the emailed link."""
import pytest

from alma.audit import AuditEvent
from alma.consultations.models import ACCEPTED, DECLINED, ConsultationRequest
from alma.matching.models import MatchRequest
from tests import factories
from tests.conftest import csrf_token_from, link_in
from tests.consultations.helpers import submit

PASSWORD = "correct horse battery staple"


@pytest.fixture
def maya(db):
    factories.operate_in("CA", "NY")
    provider = factories.provider(first_name="Maya", last_name="Okafor", email="maya@example.com")
    factories.user_for(provider, PASSWORD)
    return provider


@pytest.fixture
def waiting(app, maya):
    """A request from Jamie waiting in Maya's inbox, sent from another browser."""
    submit(app.test_client(), maya)
    return ConsultationRequest.get()


def text(response):
    return response.get_data(as_text=True)


def signed_in(client, provider):
    from alma.accounts.models import User

    factories.sign_in(client, User.get(User.provider == provider.id), PASSWORD)
    return client


def test_it_lists_waiting_requests_without_contact_details(client, maya, waiting):
    body = text(signed_in(client, maya).get("/inbox"))
    assert "Jamie" in body and "Anxiety at work" in body and "Waiting 0 hours" in body
    assert "jamie@example.org" not in body and "Rivera" not in body and "010-2233" not in body
    assert AuditEvent.select().where((AuditEvent.action == "viewed")
                                     & (AuditEvent.client == waiting.client_id)).count() == 1


def test_one_request_has_its_page_heading(client, maya, waiting):
    """Opened on its own (from the inbox or an email) the page is named by one <h1>, as axe
    asks of every page; the card's own heading stays under it."""
    page = text(signed_in(client, maya).get(f"/inbox/requests/{waiting.id}"))
    assert page.count("<h1") == 1 and "Consultation request from Jamie</h1>" in page
    assert page.index("<h1") < page.index(f'<h2 id="request-{waiting.id}-title"')


def test_accepting_shows_the_contact_details_and_tells_the_client(
        client, maya, waiting, mailbox, deliver):
    signed_in(client, maya)
    page = client.get("/inbox")
    response = client.post(f"/inbox/requests/{waiting.id}/accept",
                           data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 303
    detail = text(client.get(response.headers["Location"]))
    assert "jamie@example.org" in detail and "Jamie Rivera" in detail
    assert ConsultationRequest.get_by_id(waiting.id).status == ACCEPTED
    deliver()
    (told,) = [m for m in mailbox.to("jamie@example.org") if "will be in touch" in m["Subject"]]
    assert AuditEvent.select().where(AuditEvent.action == "accepted").count() == 1


def test_htmx_answers_re_render_the_card_in_place(client, maya, waiting):
    signed_in(client, maya)
    token = csrf_token_from(client.get("/inbox"))
    response = client.post(f"/inbox/requests/{waiting.id}/decline",
                           data={"reason": "no_room", "note": "Full until spring."},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="request-{waiting.id}"' in body and "No room in their schedule" in body
    declined = ConsultationRequest.get_by_id(waiting.id)
    assert (declined.status, declined.decline_note) == (DECLINED, "Full until spring.")


def test_declining_needs_a_reason(client, maya, waiting):
    signed_in(client, maya)
    token = csrf_token_from(client.get("/inbox"))
    response = client.post(f"/inbox/requests/{waiting.id}/decline", data={"csrf_token": token})
    assert response.status_code == 409 and "Choose why" in text(response)
    assert ConsultationRequest.get_by_id(waiting.id).is_pending


def test_not_a_good_fit_hands_the_client_to_matching(client, maya, waiting, mailbox, deliver):
    signed_in(client, maya)
    token = csrf_token_from(client.get("/inbox"))
    client.post(f"/inbox/requests/{waiting.id}/not-a-fit", data={"csrf_token": token})
    handed = ConsultationRequest.get_by_id(waiting.id)
    assert (handed.status, handed.decline_reason) == (DECLINED, "not_a_fit")
    (match,) = MatchRequest.select()
    assert (match.client_id, match.origin, match.consultation_id) == \
        (handed.client_id, "not_a_fit", handed.id)
    deliver()
    assert any("matching team" in m["Subject"] for m in mailbox.to("jamie@example.org"))


def test_a_request_is_answered_once(client, maya, waiting):
    signed_in(client, maya)
    token = csrf_token_from(client.get("/inbox"))
    client.post(f"/inbox/requests/{waiting.id}/accept", data={"csrf_token": token})
    again = client.post(f"/inbox/requests/{waiting.id}/decline",
                        data={"csrf_token": token, "reason": "no_room"})
    assert again.status_code == 409 and "answered already" in text(again)
    assert ConsultationRequest.get_by_id(waiting.id).status == ACCEPTED


def test_a_provider_never_sees_or_answers_another_providers_requests(app, client, maya, waiting):
    other = factories.provider(first_name="Omar", email="omar@example.com")
    factories.user_for(other, PASSWORD)
    signed_in(client, other)
    assert "Jamie" not in text(client.get("/inbox?show=all"))
    token = csrf_token_from(client.get("/inbox"))
    assert client.get(f"/inbox/requests/{waiting.id}").status_code == 404
    for action in ("accept", "decline", "not-a-fit"):
        response = client.post(f"/inbox/requests/{waiting.id}/{action}",
                               data={"csrf_token": token, "reason": "no_room"})
        assert response.status_code == 404
    assert ConsultationRequest.get_by_id(waiting.id).is_pending


@pytest.mark.parametrize("path", ["/inbox", "/inbox/requests/1", "/account/password"])
def test_the_inbox_needs_a_signed_in_provider(client, maya, path):
    response = client.get(path)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_provider_answers_from_the_emailed_link_once(client, maya, waiting, mailbox, deliver):
    deliver()
    accept = link_in(mailbox.to("maya@example.com")[0], "do=accept")
    page = client.get(accept)
    assert page.status_code == 200 and "Anxiety at work" in text(page)
    assert ConsultationRequest.get_by_id(waiting.id).is_pending  # following a link never acts
    token = csrf_token_from(page)
    done = client.post(accept.split("?")[0], data={"csrf_token": token, "action": "accept"})
    assert done.status_code == 200 and "Accepted" in text(done)
    assert ConsultationRequest.get_by_id(waiting.id).status == ACCEPTED
    again = client.post(accept.split("?")[0], data={"csrf_token": token, "action": "decline",
                                                    "reason": "no_room"})
    assert again.status_code == 410 and "used already" in text(again)
    assert ConsultationRequest.get_by_id(waiting.id).status == ACCEPTED


def test_a_tampered_or_misdirected_link_changes_nothing(client, maya, waiting, mailbox, deliver):
    deliver()
    accept = link_in(mailbox.to("maya@example.com")[0], "do=accept").split("?")[0]
    tampered = accept[:-3] + "xyz"
    assert client.get(tampered).status_code == 410
    token = csrf_token_from(client.get(accept))
    assert client.post(tampered, data={"csrf_token": token, "action": "accept"}).status_code == 410
    elsewhere = accept.replace(f"/requests/{waiting.id}/", f"/requests/{waiting.id + 1}/")
    assert client.get(elsewhere).status_code == 410
    assert ConsultationRequest.get_by_id(waiting.id).is_pending


def test_an_expired_link_says_so(client, maya, waiting, mailbox, deliver, time_machine):
    deliver()
    accept = link_in(mailbox.to("maya@example.com")[0], "do=accept").split("?")[0]
    time_machine.move_to("2099-01-01")
    response = client.get(accept)
    assert response.status_code == 410 and "expired" in text(response)


def test_opening_an_emailed_link_is_audited(client, maya, waiting, mailbox, deliver):
    deliver()
    client.get(link_in(mailbox.to("maya@example.com")[0], "do=accept"))
    event = AuditEvent.get(AuditEvent.actor_label == "email link")
    assert (event.action, event.client_id, event.subject_id) == \
        ("viewed", waiting.client_id, waiting.id)
