"""`flask team create-admin`: the same rules as the forms, and it runs without a terminal."""
import pytest

from alma import cli
from alma.accounts import passwords
from alma.accounts.models import User
from tests.conftest import csrf_token_from

PASSWORD = "a long and memorable passphrase"


def create_admin(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=["team", "create-admin", *args], input=stdin)


def test_it_runs_unattended_with_the_password_on_standard_input(app, db):
    made = create_admin(app, "Boss@Alma.example", "--name", "Boss", "--password-stdin",
                        stdin=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    assert PASSWORD not in made.output
    boss = User.get(User.email == "boss@alma.example")
    assert boss.name == "Boss" and boss.has_role("admin")
    assert passwords.verify(boss.password_hash, PASSWORD)


def test_it_never_takes_the_password_on_the_command_line(app, db):
    result = create_admin(app, "boss@alma.example", "--name", "Boss", "--password", PASSWORD)
    assert result.exit_code == 2 and "No such option" in result.output
    assert not User.select().exists()


@pytest.mark.parametrize("address", ["boss", "boss@", "boss@localhost", "boss@@alma.example",
                                     "bo ss@alma.example", "boss@alma..example",
                                     "x" * 250 + "@alma.example"])
def test_it_refuses_an_address_the_sign_in_form_refuses(app, client, db, address):
    form = client.post("/sign-in", data={"email": address, "password": PASSWORD,
                                         "csrf_token": csrf_token_from(client.get("/sign-in"))})
    assert form.status_code == 422 and 'id="email-error"' in form.get_data(as_text=True)
    result = create_admin(app, address, "--name", "Boss", "--password-stdin",
                          stdin=PASSWORD + "\n")
    assert result.exit_code == 2 and "Invalid value for EMAIL" in result.output
    assert "name@example.com" in result.output or "at most 254" in result.output
    assert not User.select().exists()


@pytest.mark.parametrize("args,stdin,problem", [
    (["--password-stdin"], PASSWORD + "\n", "--password-stdin needs --name"),
    (["--name", "Boss", "--password-stdin"], "", "no password on its first line"),
    (["--name", "Boss", "--password-stdin"], "\n", "no password on its first line"),
    (["--name", "Boss", "--password-stdin"], "password1234\n", "too common"),
    (["--name", "Boss", "--password-stdin"], "short\n", "at least 12"),
    (["--name", "  ", "--password-stdin"], PASSWORD + "\n", "Enter the name"),
    (["--name", "Boss\nInjected: header", "--password-stdin"], PASSWORD + "\n", "one line"),
    (["--name", "B" * 121, "--password-stdin"], PASSWORD + "\n", "at most 120"),
    (["--name", "Boss"], None, "No terminal to ask for the password"),
])
def test_each_bad_input_gets_its_own_clear_error(app, db, args, stdin, problem):
    result = create_admin(app, "boss@alma.example", *args, stdin=stdin)
    assert result.exit_code == 2 and problem in result.output, result.output
    assert "Traceback" not in result.output
    assert not User.select().exists()


def test_at_a_terminal_it_asks_for_the_name_and_the_password_twice(app, db, monkeypatch):
    monkeypatch.setattr(cli, "_has_terminal", lambda stream: True)
    result = create_admin(app, "boss@alma.example",
                          stdin=f"Boss\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Name:" in result.output and "Repeat for confirmation:" in result.output
    assert passwords.verify(User.get(User.email == "boss@alma.example").password_hash, PASSWORD)
