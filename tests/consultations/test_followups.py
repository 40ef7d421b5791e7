"""Follow-ups, with the clock moved: each arrives once, at its time, and only if still due."""
import datetime

import pytest

from alma.clock import utcnow
from alma.consultations import jobs, service
from alma.consultations.models import EXPIRED, PENDING, ConsultationRequest
from tests import factories
from tests.consultations.helpers import submit

START = datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def waiting(app, db, mailbox, deliver, time_machine):
    time_machine.move_to(START, tick=False)
    factories.operate_in("CA")
    maya = factories.provider(first_name="Maya", email="maya@example.com", payers=("aetna",))
    for name in ("Ana", "Ben", "Cy", "Dee"):
        factories.provider(first_name=name, payers=("aetna",))
    factories.provider(first_name="Full", payers=("aetna",), accepting=False)
    factories.provider(first_name="Cash", payers=())
    submit(app.test_client(), maya)
    deliver()
    mailbox.clear()
    return ConsultationRequest.get()


def run_all(app):
    with app.app_context():
        return (jobs.remind_providers(), jobs.suggest_others(), jobs.expire_requests())


def subjects(mailbox, to):
    return [m["Subject"] for m in mailbox.to(to)]


def test_nothing_happens_before_48_hours(app, waiting, mailbox, deliver, time_machine):
    time_machine.shift(datetime.timedelta(hours=47, minutes=59))
    assert run_all(app) == (0, 0, 0)
    assert deliver() == 0


def test_the_provider_is_reminded_once_after_48_hours(app, waiting, mailbox, deliver,
                                                      time_machine):
    time_machine.shift(datetime.timedelta(hours=48))
    assert run_all(app) == (1, 0, 0)
    assert run_all(app) == (0, 0, 0)
    deliver()
    assert subjects(mailbox, "maya@example.com") == ["Reminder: Jamie is waiting for your answer"]


def test_the_client_gets_three_others_who_fit_after_three_days(app, waiting, mailbox, deliver,
                                                               time_machine):
    time_machine.shift(datetime.timedelta(days=3))
    assert run_all(app) == (1, 1, 0)
    assert run_all(app) == (0, 0, 0)
    deliver()
    (message,) = mailbox.to("jamie@example.org")
    body = message.get_body(("plain",)).get_content()
    assert "hasn't answered" in message["Subject"] or "Still waiting" in message["Subject"]
    named = [name for name in ("Ana", "Ben", "Cy", "Dee") if f"{name} Tester" in body]
    assert len(named) == 3
    assert "Full Tester" not in body and "Cash Tester" not in body and "Maya" in body
    assert ConsultationRequest.get_by_id(waiting.id).status == PENDING  # still open for Maya


def test_after_fourteen_days_the_request_expires_and_the_client_is_told(
        app, waiting, mailbox, deliver, time_machine):
    time_machine.shift(datetime.timedelta(days=14))
    assert run_all(app) == (1, 1, 1)
    assert ConsultationRequest.get_by_id(waiting.id).status == EXPIRED
    assert run_all(app) == (0, 0, 0)
    deliver()
    assert sorted(subjects(mailbox, "jamie@example.org")) == [
        "Still waiting? Here are other therapists who fit",
        "Your request to Maya Tester1 has closed".replace("Tester1", waiting.provider.last_name),
    ]


def test_an_answered_request_gets_no_follow_up(app, waiting, mailbox, deliver, time_machine):
    with app.app_context():
        service.accept(waiting)
    deliver()
    mailbox.clear()
    time_machine.shift(datetime.timedelta(days=20))
    assert run_all(app) == (0, 0, 0)
    assert deliver() == 0


def test_the_delays_are_settings(app, waiting, time_machine):
    app.config["SUGGEST_OTHERS_AFTER_DAYS"] = 4
    try:
        time_machine.shift(datetime.timedelta(days=3, hours=1))
        assert run_all(app)[1] == 0
        time_machine.shift(datetime.timedelta(days=1))
        assert run_all(app)[1] == 1
    finally:
        app.config["SUGGEST_OTHERS_AFTER_DAYS"] = 3


def test_a_step_that_fails_does_not_stop_the_others(app, waiting, monkeypatch, time_machine):
    second = ConsultationRequest.create(
        client=waiting.client, name=waiting.name, provider=waiting.provider, state="CA",
        concerns="x", preferred_format="either", submission_key="second", created_at=utcnow())
    calls = []

    def flaky(request):
        calls.append(request.id)
        if request.id == waiting.id:
            raise RuntimeError("this one is broken")

    monkeypatch.setattr(service, "expire", flaky)
    time_machine.shift(datetime.timedelta(days=15))
    with app.app_context():
        assert jobs.expire_requests() == 1
    assert calls == [waiting.id, second.id]
    assert ConsultationRequest.get_by_id(waiting.id).status == PENDING  # rolled back, retried later
    assert ConsultationRequest.get_by_id(second.id).status == EXPIRED
