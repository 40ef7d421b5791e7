"""The demo directory: realistic, deterministic, and it follows the listing rules."""
import datetime

import time_machine
from peewee import fn
from stdnum import luhn

from alma import clock
from alma.directory import demo
from alma.directory.models import Listing
from alma.schedule import registry
from alma.mail.models import OutboundEmail
from alma.network.models import License, NetworkParticipation, Provider, ServiceState

ON = datetime.date(2026, 11, 26)


def snapshot():
    return [(p.slug, p.npi, p.office_zip, p.cash_rate_cents, p.accepting_new_clients)
            for p in Provider.select().order_by(Provider.id)]


def test_it_builds_the_same_directory_from_the_same_seed(db):
    demo.seed(120, random_seed=5, on=ON)
    first = snapshot()
    demo.seed(120, random_seed=5, on=ON)
    assert snapshot() == first
    demo.seed(120, random_seed=6, on=ON)
    assert snapshot() != first


def test_it_builds_a_realistic_directory(db):
    summary = demo.seed(600, random_seed=1, on=ON)
    assert summary["providers"] == Provider.select().count() == 600
    assert all(len(p.npi) == 10 and luhn.is_valid("80840" + p.npi)
               for p in Provider.select(Provider.npi))
    assert Provider.select(fn.COUNT(fn.DISTINCT(Provider.npi))).scalar() == 600
    operating = {s.code for s in ServiceState.select().where(ServiceState.operating == True)}  # noqa: E712
    assert operating == set(demo.OPERATING_STATES)
    assert ServiceState.select().where(ServiceState.operating == False).count() > 0  # noqa: E712
    # Every provider practises where they hold a licence.
    offices = {(p.id, p.office_state) for p in Provider.select()}
    licensed = {(lic.provider_id, lic.state) for lic in License.select()}
    assert offices <= licensed
    # A mix that exercises every rule of the directory.
    levels = {row.level for row in License.select(License.level).distinct()}
    assert levels == {"full", "limited", "pre_licensed"}
    assert License.select().where(License.expires_on < ON).exists()
    assert Provider.select().where(Provider.membership_status != "active").exists()
    assert Provider.select().where(Provider.accepting_new_clients == False).exists()  # noqa: E712
    assert NetworkParticipation.select().where(NetworkParticipation.via == "group").exists()
    assert NetworkParticipation.select().where(NetworkParticipation.via == "individual").exists()
    assert Provider.select().where(Provider.offers_in_person == True).exists()  # noqa: E712


def test_it_lists_only_those_the_rules_allow(db):
    demo.seed(400, random_seed=3, on=ON)
    listed = {row.provider_id for row in Listing.select(Listing.provider)}
    pre_licensed = {lic.provider_id for lic in License.select().where(
        License.level == "pre_licensed")}
    inactive = {p.id for p in Provider.select().where(Provider.membership_status != "active")}
    assert listed and not listed & pre_licensed and not listed & inactive
    assert Listing.select().where(Listing.is_primary == True).count() == len(listed)  # noqa: E712


def test_its_first_days_are_quiet_no_job_has_anything_to_do(app_ctx):
    """`make run` starts the worker at once: nobody is emailed, nothing is paused."""
    today = clock.today()
    demo.seed(600, on=today)
    accepting = Provider.select().where(Provider.accepting_new_clients).count()
    for day in (0, 6):  # the first start, and a week later
        with time_machine.travel(datetime.datetime.combine(
                today + datetime.timedelta(days=day), datetime.time(9)), tick=False):
            for name, (job, _) in registry().items():
                assert job() in (0, None), name
    assert OutboundEmail.select().count() == 0
    assert Provider.select().where(Provider.accepting_new_clients).count() == accepting
