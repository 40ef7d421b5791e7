"""The team dashboard's pictures: each series counted right from known rows, on any day
(month ends and leap days included), and shown to the team only."""
import datetime
import xml.etree.ElementTree as ET

import pytest

from alma.accounts.models import User
from alma.charts import week_of, weeks_back
from alma.clock import today, utcnow
from alma.consultations import answer_times
from alma.consultations.models import ConsultationRequest
from alma.matching import on_target
from alma.matching.models import MATCHED, OPEN, PROPOSED, WITHDRAWN, MatchProposal, MatchRequest
from alma.network.models import Client
from alma.program import case_ages
from alma.program.models import APPROVED, CredentialingCase, InsuranceEnrollment
from alma.team import charts as team_charts
from tests import factories

DT = datetime.datetime
H = datetime.timedelta(hours=1)
# Late on a hard day, or the suite's own clock (--clock=2028-02-29 moves it).
NOWS = [DT(2028, 2, 29, 23, 30), DT(2026, 12, 31, 23, 59), DT(2027, 1, 31, 0, 10),
        DT(2027, 1, 4, 0, 5), None]
IDS = ["feb29", "dec31", "jan31", "monday-just-after-midnight", "the-suite's-clock"]


@pytest.fixture
def people(db):
    factories.operate_in("CA")
    provider = factories.provider(email="chart.provider@example.com")
    client = Client.create(email="chart.client@example.org", name="Cara Client", state="CA")
    return provider, client


def ask(people, created, key, answered=None, **fields):
    provider, client = people
    return ConsultationRequest.create(
        client=client, name=client.name, provider=provider, state="CA", concerns="x",
        preferred_format="either", submission_key=key, created_at=created,
        answered_at=answered, **fields)


def expected(now, weeks=12):
    mondays = weeks_back(now.date(), weeks)
    return {monday: i for i, monday in enumerate(mondays)}


@pytest.mark.parametrize("now", NOWS, ids=IDS)
def test_requests_by_week_answered_on_time_late_or_not(app, people, now):
    now = now or utcnow()
    monday = DT.combine(week_of(now.date()), datetime.time())
    tiny = datetime.timedelta(microseconds=1)
    ask(people, monday, "a", answered=monday + 48 * H, status="accepted")  # just on time
    ask(people, monday - tiny, "b", answered=monday - tiny + 49 * H, status="accepted")  # late
    ask(people, now - 72 * H, "c")  # still pending after 3 days: not answered
    ask(people, now - 20 * 24 * H, "d", status="expired")  # expired: not answered
    ask(people, now - H, "e")  # still within the 2 days
    ask(people, now - 2 * H, "f", answered=now - H, status="declined",
        decline_reason="not_a_fit")  # a decline is an answer
    ask(people, now - 2 * H, "g", answered=now - 2 * H, status="declined",
        decline_reason="state_not_served")  # nobody was asked
    ask(people, now - 3 * H, "h", status="withdrawn")  # nor here
    ask(people, now - 13 * 7 * 24 * H, "i", status="expired")  # before the window
    with app.app_context():
        mondays, counts = answer_times.on_time_by_week(now)
    index = expected(now)
    assert mondays == list(index)
    want = {key: [0] * 12 for key, _ in answer_times.ON_TIME_SERIES}
    for key, when in (("on_time", monday), ("late", monday - tiny),
                      ("unanswered", now - 72 * H), ("unanswered", now - 20 * 24 * H),
                      ("waiting", now - H), ("on_time", now - 2 * H)):
        want[key][index[week_of(when.date())]] += 1
    assert counts == want
    assert counts["late"][10] == 1 and counts["on_time"][11] >= 1  # the Sunday stays behind


def match(people, created, due, status=OPEN, proposals=()):
    provider, client = people
    found = MatchRequest.create(client=client, name=client.name, origin="client_form",
                                state="CA", created_at=created, due_at=due, status=status)
    for n, at in enumerate(proposals):
        consultation = ask(people, at, f"m{found.id}-{n}", source="matching")
        MatchProposal.create(match=found, provider=provider, consultation=consultation,
                             created_at=at)
    return found


@pytest.mark.parametrize("now", NOWS, ids=IDS)
def test_matches_by_week_proposed_within_target_or_not(app, people, now):
    now = now or utcnow()
    monday = DT.combine(week_of(now.date()), datetime.time())
    before = monday - datetime.timedelta(microseconds=1)
    day = 24 * H
    match(people, monday, monday + day, MATCHED, [monday + 2 * H, monday + 5 * day])
    match(people, before, before + day, PROPOSED, [before + 3 * day, before + 2 * day])
    match(people, now - 3 * day, now - 2 * day)  # nobody proposed, past its target
    match(people, now - H, now + 23 * H)  # not yet due
    match(people, now - 2 * H, now + 22 * H, WITHDRAWN)  # withdrawn before a proposal
    match(people, now - 20 * 7 * day, now - 20 * 7 * day + day)  # before the window
    with app.app_context():
        mondays, counts, closed = on_target.by_week(now)
    index = expected(now)
    want = {key: [0] * 12 for key, _ in on_target.SERIES}
    for key, when in (("within", monday), ("late", before), ("overdue", now - 3 * day),
                      ("waiting", now - H)):
        want[key][index[week_of(when.date())]] += 1
    assert (mondays, counts, closed) == (list(index), want, 1)


def case(provider, payer, opened_on, status="submitted"):
    enrollment = InsuranceEnrollment.get_or_none(InsuranceEnrollment.provider == provider)
    enrollment = enrollment or InsuranceEnrollment.create(
        provider=provider, open_for=provider.id, caqh_id="12345678",
        caqh_attested_on=opened_on, malpractice_carrier="CPH",
        malpractice_expires_on=opened_on + datetime.timedelta(days=365),
        attestation_signed_at=utcnow())
    return CredentialingCase.create(enrollment=enrollment, payer=factories.payer(payer),
                                    opened_on=opened_on, status=status)


@pytest.mark.parametrize("on", [d and d.date() for d in NOWS], ids=IDS)
def test_credentialing_cases_in_review_by_age_and_payer(db, on):
    on = on or today()
    days = datetime.timedelta(days=1)
    ages = {"aetna": [0, 15, 16, 45, 46, 91], "optum": [30, 31, 60, 61, 90, 400]}
    for n, (payer, opened) in enumerate((p, on - a * days) for p, ages_ in ages.items()
                                        for a in ages_):
        case(factories.provider(first_name=f"Cred{n}", email=f"cred{n}@example.com"),
             payer, opened)
    case(factories.provider(first_name="Done", email="done@example.com"), "aetna",
         on - 100 * days, APPROVED)
    bands, payers = case_ages.by_age(on)
    assert bands == ["0–15", "16–30", "31–45", "46–60", "61–90", "91+"]
    names = {payer.slug: payer.name for payer in map(factories.payer, ages)}
    assert payers == sorted([(names["aetna"], [2, 1, 1, 1, 0, 1]),
                             (names["optum"], [0, 1, 1, 1, 2, 1])])


def test_every_age_band_is_named_under_its_bar(app, db):
    """Six bands fit the chart's width: none of their names is dropped (the first was)."""
    case(factories.provider(email="old@example.com"), "aetna",
         today() - datetime.timedelta(days=100))
    with app.test_request_context():
        figure = str(team_charts.credentialing_ages(utcnow()))
    svg = figure[figure.index("<svg"):figure.index("</svg>") + len("</svg>")]
    root = ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" '))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for band in case_ages.by_age()[0]:
        assert band in texts


def become(client, roles, provider=None):
    user = (factories.user_for(provider) if provider else
            User.create(email=f"{roles}@alma.example", name=roles.title(), roles=roles))
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["seen"] = utcnow().timestamp()


@pytest.mark.parametrize("roles", ["matching", "growth", "credentialing", "billing", "admin"])
def test_every_team_role_sees_the_three_pictures_and_their_tables(client, people, roles):
    provider, _ = people
    ask(people, utcnow() - 72 * H, "x")
    case(provider, "aetna", today() - datetime.timedelta(days=50))
    become(client, roles)
    page = client.get("/team").get_data(as_text=True)
    for chart_id in ("chart-answers", "chart-matches", "chart-cases"):
        assert f'id="{chart_id}"' in page
    start = page.index('<section class="bar-charts"')
    section = page[start:page.index("</section>", start) + len("</section>")]
    ET.fromstring(section.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" '))
    assert section.count('role="img"') == 2 and section.count("<table") == 2
    assert "Nothing yet" in section  # no match requests: said, not drawn
    assert "Not answered in 2 days" in section and "46–60" in section


def test_providers_and_strangers_do_not_see_the_team_pictures(client, people):
    assert client.get("/team").status_code == 302
    become(client, None, provider=people[0])
    response = client.get("/team")
    assert response.status_code == 403 and b"chart-answers" not in response.data
