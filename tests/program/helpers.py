"""The program's tests' helpers, through the services: enrolling a member, approving their
cases, moving a client in and checking their benefits on a given day. Claims' tests use
them too (tests/claims/conftest.py)."""
import datetime

import pytest
import time_machine

from alma.accounts.models import User
from alma.benefits import checks
from alma.clock import today
from alma.mail.models import OutboundEmail
from alma.program import clients, credentialing, enrolment
from tests import factories

D = datetime.date
MONDAY = datetime.datetime(2026, 11, 23, 15, 0)


def enrol(provider, on=None, **overrides):
    values = dict(caqh_id="12345678", caqh_attested_on=(on or today()) - datetime.timedelta(
        days=10), malpractice_carrier="CPH & Associates",
        malpractice_expires_on=(on or today()) + datetime.timedelta(days=300), attested=True)
    values.update(overrides)
    return enrolment.enroll(provider, on=on, **values)


def tick_all(case):
    for field in credentialing.CHECKLIST:
        setattr(case, field, True)
    case.save()
    return case


def approve_all(enrollment, user, effective_on):
    for case in enrollment.cases:
        credentialing.approve(tick_all(case), effective_on, user)


@pytest.fixture
def staff(app, db):
    return User.create(email="cred@example.com", name="Cred", roles="credentialing")


@pytest.fixture
def member(app, db):
    factories.operate_in("CA")
    return factories.provider(first_name="Ines", email="ines@example.com")


def sent(template):
    return OutboundEmail.select().where(OutboundEmail.template == template).count()


def move_in(provider, member_id="ALMA-ACTIVE-COPAY", payer="unitedhealthcare", tell=True,
            email="sam@example.com"):
    values = dict(first_name="Sam", last_name="Rivera", email=email,
                  date_of_birth=D(1990, 4, 2), gender="U", member_id=member_id,
                  payer=factories.payer(payer), address="12 Elm St", city="Oakland", state="CA",
                  zip="94607", diagnosis_code="f41.1")
    return clients.move_in(provider, values, tell)


@pytest.fixture
def in_program(app, db, member, staff):
    with time_machine.travel(MONDAY - datetime.timedelta(days=40), tick=False):
        with app.app_context():
            approve_all(enrol(member), staff, today())
    with app.app_context():
        yield member


def checked(app, program_client, when):
    with time_machine.travel(when, tick=False):
        with app.app_context():
            return checks.check_for_program_client(program_client)
