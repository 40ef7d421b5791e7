"""Migration 0013 on rows made the old way: one client row per email, shared by every
provider and by the client's own requests. Up splits them, losing nothing; down joins
them again."""
import datetime

import pytest
from peewee import Table
from playhouse.migrations import Runner

from alma.cli import MIGRATIONS
from alma.consultations.models import ConsultationRequest
from alma.db import db as database
from alma.matching.models import MatchRequest
from alma.network.models import Client
from tests import factories
from tests.conftest import load_migration

MINE = "0013_client_records_per_provider"
WHEN = datetime.datetime(2026, 3, 2, 10, 0)


def _filler(data_type):
    kind = data_type.lower()
    if "int" in kind or "real" in kind or "double" in kind or "numeric" in kind:
        return 0
    if "bool" in kind:
        return False
    if "time" in kind:
        return WHEN
    if "date" in kind:
        return WHEN.date()
    return "x"


class OldRows:
    """Rows written straight into tables as they stood before 0013. Required columns the
    test doesn't care about get a plain value of their type."""

    def __init__(self, database):
        self.database = database

    def add(self, table, **values):
        for column in self.database.get_columns(table):
            if column.name not in values and column.name != "id" and not column.null:
                values[column.name] = _filler(column.data_type)
        rows = Table(table, ["id", *values], primary_key="id").bind(self.database)
        return rows.insert(values).execute()

    def get(self, table, row_id, column):
        return self.database.execute_sql(
            f'SELECT "{column}" FROM "{table}" WHERE "id" = {int(row_id)}').fetchone()[0]

    def ids(self, table, where=""):
        return sorted(row[0] for row in self.database.execute_sql(
            f'SELECT "id" FROM "{table}" {where}').fetchall())

    def count(self, table):
        return self.database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def provider_and_user(old, n, first, last):
    provider = old.add("provider", slug=f"p-{n}", first_name=first, last_name=last,
                       email=f"{first.lower()}@example.com", npi=f"10000000{n:02d}")
    user = old.add("user", email=f"{first.lower()}@example.com", name=first,
                   provider_id=provider)
    return provider, user


@pytest.fixture
def migrated(scratch_database):
    """Every migration before 0013, the old rows, then 0013 itself."""
    database = scratch_database.database
    runner = Runner(database, directory=str(MIGRATIONS))
    names = [m.name for m in runner.migrations()]
    runner.up(target=names[names.index(MINE) - 1])
    old = OldRows(database)
    w = old_world(old)
    assert runner.up(target=MINE) == [MINE]
    return runner, old, w


def old_world(old):
    w = type("World", (), {})()
    w.ana, w.ana_user = provider_and_user(old, 1, "Ana", "Able")
    w.ben, w.ben_user = provider_and_user(old, 2, "Ben", "Bee")
    payer = old.ids("payer")[0]
    # x: the client asked for a consultation themselves; Ana moved them in (named first
    # by the request), then Ben typed the same address twice, as Zed then Zia.
    w.x = old.add("client", email="x@example.org", name="Alex Real", state="CA", created_at=WHEN)
    w.request = old.add("consultation_request", client_id=w.x, provider_id=w.ana,
                        submission_key="k1", created_at=WHEN)
    w.match = old.add("match_request", client_id=w.x, origin="client_form", created_at=WHEN)
    w.waiting = old.add("waitlist_entry", client_id=w.x, email="x@example.org", state="NY",
                        created_at=WHEN)

    def program_client(provider, client, first, last, member_id):
        return old.add("program_client", provider_id=provider, client_id=client,
                       payer_id=payer, member_id=member_id, first_name=first, last_name=last,
                       state="CA", added_at=WHEN)

    w.anas = program_client(w.ana, w.x, "Alex", "Real", "M-1")
    w.zed = program_client(w.ben, w.x, "Zed", "Other", "M-2")
    w.zia = program_client(w.ben, w.x, "Zia", "Other", "M-3")

    def billed(provider, pc, collected_by, number):
        invoice = old.add("invoice", number=number, kind="copay", owed_by_client_id=w.x,
                          collected_by=collected_by, treating_provider_id=provider,
                          collecting_provider_id=provider if collected_by == "provider"
                          else None, total_cents=2500, status="open",
                          issued_on=WHEN.date(), due_on=WHEN.date(), created_at=WHEN)
        visit = old.add("visit", provider_id=provider, program_client_id=pc,
                        held_on=WHEN.date(), cpt_code="90834", telehealth=True,
                        attendance="attended", invoice_id=invoice, logged_at=WHEN)
        return invoice, visit

    w.anas_invoice, w.anas_visit = billed(w.ana, w.anas, "group", "AL-1")
    w.bens_invoice, w.bens_visit = billed(w.ben, w.zed, "provider", "AL-2")
    w.bens_check = old.add("eligibility_check", program_client_id=w.zia, payer_id=payer,
                           gateway="sandbox", outcome="active", checked_at=WHEN)

    def event(action, kind, subject, actor):
        return old.add("audit_event", client_id=w.x, action=action, subject_type=kind,
                       subject_id=subject, actor_id=actor,
                       actor_label=f"user {actor}" if actor else "system", at=WHEN)

    w.on_self = [event("submitted", "consultation", w.request, None),
                 event("viewed", "consultation", w.request, w.ana_user),
                 event("viewed", "client_list", None, w.ana_user)]
    w.on_anas = [event("created", "program_client", w.anas, w.ana_user),
                 event("created", "visit", w.anas_visit, w.ana_user)]
    w.on_bens = [event("created", "program_client", w.zed, w.ben_user),
                 event("created", "program_client", w.zia, w.ben_user),
                 event("viewed", "visit", w.bens_visit, w.ben_user),
                 event("checked", "eligibility_check", w.bens_check, None),
                 event("marked_paid", "invoice", w.bens_invoice, w.ben_user),
                 event("viewed", "client_invoices", None, w.ben_user)]
    # y: moved in by Ana alone, never on Alma by themselves. z: Ana's, then Ben's.
    w.y = old.add("client", email="y@example.org", name="Yan Ana", created_at=WHEN)
    w.ys = program_client(w.ana, w.y, "Yan", "Ana", "M-4")
    w.z = old.add("client", email="z@example.org", name="Zoe Ana", created_at=WHEN)
    w.zs_ana = program_client(w.ana, w.z, "Zoe", "Ana", "M-5")
    w.zs_ben = program_client(w.ben, w.z, "Zoe", "Ben", "M-6")
    # v: a client who only ever asked for a consultation.
    w.v = old.add("client", email="v@example.org", name="Vi Self", created_at=WHEN)
    old.add("consultation_request", client_id=w.v, provider_id=w.ben, submission_key="k2",
            created_at=WHEN)
    w.counts = {table: old.count(table) for table in (
        "program_client", "invoice", "audit_event", "consultation_request", "match_request",
        "waitlist_entry")}
    return w


def record(old, email, known_by):
    where = "IS NULL" if known_by is None else f"= {int(known_by)}"
    (found,) = old.ids("client", f"WHERE \"email\" = '{email}' AND \"known_by_id\" {where}")
    return found


def pointing_at(old, table, column, client):
    return old.ids(table, f'WHERE "{column}" = {int(client)}')


def test_up_gives_each_provider_their_own_record_and_loses_nothing(migrated):
    _, old, w = migrated
    anas, bens = record(old, "x@example.org", w.ana), record(old, "x@example.org", w.ben)
    assert record(old, "x@example.org", None) == w.x
    assert old.get("client", anas, "name") == "Alex Real"
    assert old.get("client", bens, "name") == "Zia Other"  # Ben's latest word
    # The client's own rows keep the self-registered record.
    assert old.get("consultation_request", w.request, "client_id") == w.x
    assert old.get("match_request", w.match, "client_id") == w.x
    assert old.get("waitlist_entry", w.waiting, "client_id") == w.x
    assert old.get("consultation_request", w.request, "name") == "Alex Real"
    assert old.get("match_request", w.match, "name") == "Alex Real"
    # Each provider's program clients, invoices and audit events point at their record.
    assert pointing_at(old, "program_client", "client_id", anas) == [w.anas]
    assert pointing_at(old, "program_client", "client_id", bens) == sorted([w.zed, w.zia])
    assert pointing_at(old, "invoice", "owed_by_client_id", anas) == [w.anas_invoice]
    assert pointing_at(old, "invoice", "owed_by_client_id", bens) == [w.bens_invoice]
    assert pointing_at(old, "audit_event", "client_id", w.x) == sorted(w.on_self)
    assert pointing_at(old, "audit_event", "client_id", anas) == sorted(w.on_anas)
    assert pointing_at(old, "audit_event", "client_id", bens) == sorted(w.on_bens)
    # Nobody's own: y becomes Ana's record in place; z is Ana's, and Ben gets his own.
    assert record(old, "y@example.org", w.ana) == w.y
    assert old.ids("client", "WHERE \"email\" = 'y@example.org'") == [w.y]
    assert record(old, "z@example.org", w.ana) == w.z
    zoe_ben = record(old, "z@example.org", w.ben)
    assert pointing_at(old, "program_client", "client_id", zoe_ben) == [w.zs_ben]
    assert old.get("client", zoe_ben, "name") == "Zoe Ben"
    assert record(old, "v@example.org", None) == w.v
    assert old.count("client") == 7
    assert {t: old.count(t) for t in w.counts} == w.counts


def test_down_makes_one_row_per_email_again_with_everything_on_it(migrated):
    runner, old, w = migrated
    assert runner.down(target=MINE) == [MINE]
    assert old.ids("client") == sorted([w.x, w.y, w.z, w.v])
    everything = [("program_client", "client_id"), ("invoice", "owed_by_client_id"),
                  ("audit_event", "client_id"), ("consultation_request", "client_id"),
                  ("match_request", "client_id"), ("waitlist_entry", "client_id")]
    on_x = {table: pointing_at(old, table, column, w.x) for table, column in everything}
    assert on_x["program_client"] == sorted([w.anas, w.zed, w.zia])
    assert on_x["invoice"] == sorted([w.anas_invoice, w.bens_invoice])
    assert on_x["audit_event"] == sorted(w.on_self + w.on_anas + w.on_bens)
    assert pointing_at(old, "program_client", "client_id", w.z) == sorted([w.zs_ana, w.zs_ben])
    assert {t: old.count(t) for t in w.counts} == w.counts
    columns = {c.name for c in old.database.get_columns("client")}
    assert "known_by_id" not in columns
    assert "name" not in {c.name for c in old.database.get_columns("consultation_request")}
    (email_index,) = [i for i in old.database.get_indexes("client") if i.columns == ["email"]]
    assert email_index.unique
    assert runner.up(target=MINE) == [MINE]  # and up again, from what down left


def test_names_0013_copied_onto_requests_are_cleaned_by_0014_like_the_clients_they_came_from(
        db):
    """Run in order, 0013 copies names stored before input was cleaned; 0014 cleans them."""
    provider = factories.provider(first_name="Maya")
    client = Client.create(email="c@example.org", name="Cam\r\nClient\u202e", state="CA")
    request = ConsultationRequest.create(client=client, name=client.name, provider=provider,
                                         state="CA", concerns="x", preferred_format="either",
                                         submission_key="k", phone="555\u200b0100")
    match = MatchRequest.create(client=client, name=client.name, origin="client_form")
    load_migration("0014_clean_stored_text.py").up(None, database)
    request = ConsultationRequest.get_by_id(request.id)
    assert (request.name, request.phone) == ("Cam Client", "5550100")
    assert MatchRequest.get_by_id(match.id).name == "Cam Client"
