"""Team members: the first admin from the CLI, invitations, removal, the audit trail."""
import pytest

from alma.accounts import passwords
from alma.accounts.models import User
from alma.audit import AuditEvent
from alma.clock import utcnow
from alma.network.models import Client
from tests.conftest import csrf_token_from, link_in

PASSWORD = "a long and memorable passphrase"


def as_user(http, user):
    with http.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["seen"] = utcnow().timestamp()


@pytest.fixture
def admin(db):
    return User.create(email="ada@alma.example", name="Ada Admin", roles="admin",
                       password_hash=passwords.hash_password(PASSWORD))


def test_the_first_admin_comes_from_the_command_line(app, db):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["team", "create-admin", "boss@alma.example", "--name", "Boss",
                               "--password-stdin"], input="password1234\n")
    assert weak.exit_code != 0 and "too common" in weak.output
    made = runner.invoke(args=["team", "create-admin", "boss@alma.example", "--name", "Boss",
                               "--password-stdin"], input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    boss = User.get(User.email == "boss@alma.example")
    assert boss.has_role("admin") and passwords.verify(boss.password_hash, PASSWORD)


def test_an_admin_invites_a_member_who_chooses_a_password(app, client, admin, mailbox, deliver):
    as_user(client, admin)
    page = client.get("/team/members")
    invited = client.post("/team/members", data={
        "csrf_token": csrf_token_from(page), "name": "Sam Match", "email": "sam@alma.example",
        "roles": ["matching", "growth"]})
    assert invited.status_code == 303
    sam = User.get(User.email == "sam@alma.example")
    assert sam.role_set == {"matching", "growth"} and sam.password_hash is None
    deliver()
    link = link_in(mailbox.to("sam@alma.example")[0], "/welcome/")
    http = app.test_client()
    form = http.get(link)
    short = http.post(link, data={"csrf_token": csrf_token_from(form), "password": "short"})
    assert short.status_code == 422 and "at least 12" in short.get_data(as_text=True)
    started = http.post(link, data={"csrf_token": csrf_token_from(form), "password": PASSWORD})
    assert started.status_code == 303 and started.headers["Location"] == "/team"
    assert http.get("/team/matching").status_code == 200
    assert http.get("/team/members").status_code == 403  # not an admin
    assert app.test_client().get(link).status_code == 410  # the invitation worked once


def test_inviting_needs_a_role_and_keeps_what_was_typed(client, admin):
    as_user(client, admin)
    page = client.get("/team/members")
    response = client.post("/team/members", data={
        "csrf_token": csrf_token_from(page), "name": "No Role", "email": "nr@alma.example"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose at least one role" in body
    assert 'value="nr@alma.example"' in body and not User.select().where(
        User.email == "nr@alma.example").exists()


def test_removing_a_member_signs_them_out_everywhere(app, client, admin):
    member = User.create(email="mo@alma.example", name="Mo", roles="matching",
                         password_hash=passwords.hash_password(PASSWORD))
    theirs = app.test_client()
    as_user(theirs, member)
    assert theirs.get("/team/matching").status_code == 200
    as_user(client, admin)
    page = client.get("/team/members")
    client.post(f"/team/members/{member.id}/remove", data={"csrf_token": csrf_token_from(page)})
    assert theirs.get("/team/matching").status_code == 302
    assert User.get_by_id(member.id).role_set == set()


def test_an_admin_cannot_remove_themselves(client, admin):
    as_user(client, admin)
    page = client.get("/team/members")
    client.post(f"/team/members/{admin.id}/remove", data={"csrf_token": csrf_token_from(page)})
    assert User.get_by_id(admin.id).has_role("admin")


def test_team_members_sign_in_with_a_password_not_a_link(client, admin, mailbox, deliver):
    token = csrf_token_from(client.get("/sign-in"))
    client.post("/sign-in/link", data={"link_email": admin.email, "csrf_token": token})
    assert deliver() == 0
    signed = client.post("/sign-in", data={"email": admin.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert signed.headers["Location"] == "/team"


def test_an_admin_reads_the_audit_trail_of_a_client(client, admin):
    kim = Client.create(email="kim@example.org", name="Kim Park", state="CA")
    AuditEvent.create(actor=admin, actor_label="user", action="viewed", client=kim,
                      subject_type="match", subject_id=7)
    as_user(client, admin)
    body = client.get("/team/audit?client=KIM@example.org").get_data(as_text=True)
    assert "Kim Park" in body and "Ada Admin" in body and "viewed" in body and "match 7" in body
