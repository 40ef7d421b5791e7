"""Command-line tasks: migrations, demo data, the directory index."""
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from playhouse.migrations import Runner

from alma.accounts import service as accounts
from alma.config import ConfigError, check_database
from alma.consultations import service as consultations
from alma.db import db
from alma.demo import seed as roles
from alma.directory import demo
from alma.directory import service as directory
from alma.directory.service import UnknownState
from alma.mail import delivery
from alma.mail.models import FAILED, OutboundEmail
from alma.models import ALL_MODELS
from alma.network.models import Provider, ServiceState

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

db_cli = AppGroup("db", help="Database schema migrations.")


def migration_runner():
    return Runner(db.obj, directory=str(MIGRATIONS))


def upgrade():
    """Apply every pending migration; returns their names."""
    return migration_runner().up()


@db_cli.command("upgrade")
def upgrade_command():
    """Apply pending migrations (the Procfile's release step)."""
    applied = upgrade()
    click.echo(f"Applied {len(applied)} migration(s)." if applied else "Already up to date.")
    for name in applied:
        click.echo(f"  {name}")


@db_cli.command("downgrade")
@click.option("--to", "target", default=None, help="Revert back through this migration.")
def downgrade_command(target):
    """Revert the latest migration (or back through --to)."""
    for name in migration_runner().down(target):
        click.echo(f"Reverted {name}")


@db_cli.command("status")
def status_command():
    for migration in migration_runner().status():
        mark = "applied" if migration.applied else "pending"
        click.echo(f"{mark:8} {migration.name}")


@click.command("seed")
@click.option("--providers", "count", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--random-seed", default=2026, show_default=True, help="Same seed, same directory.")
@click.option("--if-empty", is_flag=True, help="Do nothing when providers exist already.")
@click.option("--in-production", is_flag=True,
              help="Seed even with ALMA_ENV=production (a staging or demo site).")
def seed_command(count, random_seed, if_empty, in_production):
    """Build a realistic demo directory, and a demo of every role (outside production).

    Without --if-empty, outside production, everything but the reference data is deleted
    first; in production, only the directory is replaced.
    """
    if current_app.config["ALMA_ENV"] == "production" and not in_production:
        # ALMA_ENV defaults to production: a real directory would fill with invented
        # therapists, and the worker would email their made-up addresses.
        raise click.ClickException(
            "This is production (ALMA_ENV is unset or production): the demo data is "
            "invented therapists. Run with ALMA_ENV=development, or add --in-production "
            "for a staging or demo site.")
    if if_empty and Provider.select().exists():
        click.echo("Providers exist already; leaving the demo data as it is.")
        return
    # Outside production the demo of every role comes too: its people sign in from /dev,
    # and its claims and benefit checks need the sandbox clearinghouses. Neither exists in
    # production, where a staging site gets the directory and keeps everything else.
    every_role = current_app.config["ALMA_ENV"] != "production"
    started = time.perf_counter()
    if every_role:
        roles.clear(ALL_MODELS)  # its people refer to the providers made again
    summary = demo.seed(count, random_seed, progress=click.echo)
    click.echo(f"Seeded {summary['providers']:,} providers ({summary['listings']:,} listings) "
               f"in {time.perf_counter() - started:.1f}s; the network operates in "
               f"{', '.join(summary['operating_states'])}.")
    if every_role:
        started = time.perf_counter()
        try:
            made = roles.seed()
        except roles.DemoProblem as problem:
            raise click.ClickException(str(problem))
        click.echo(f"Demo of every role in {time.perf_counter() - started:.1f}s: "
                   f"{made['team']} team members, {made['members']} members, "
                   f"{made['program_clients']} program clients, {made['claims']} claims, "
                   f"{made['applications']} applications, {made['consultations']} "
                   f"consultation requests, {made['matches']} match requests. "
                   "Be any of them at /dev.")


directory_cli = AppGroup("directory", help="The public directory.")


@directory_cli.command("reindex")
def reindex_command():
    """Rebuild the search index (daily, so expired licences drop out of it)."""
    directory.reindex()
    click.echo("Directory index rebuilt.")


states_cli = AppGroup("states", help="Where the network operates.")


@states_cli.command("list")
def list_states_command():

    for state in ServiceState.select().order_by(ServiceState.code):
        since = f"since {state.launched_on}" if state.operating else "not yet"
        click.echo(f"{state.code}  {state.name:22} {since}")


@states_cli.command("launch")
@click.argument("code")
def launch_state_command(code):
    """Start operating in the state CODE (e.g. CA)."""
    try:
        state, told = consultations.launch_state(code)
    except UnknownState as problem:
        raise click.BadParameter(str(problem), param_hint="CODE")
    click.echo(f"Alma operates in {state.name} since {state.launched_on}; "
               f"{told} on its waitlist will be told by email.")


mail_cli = AppGroup("mail", help="The outbox: what failed, and sending it again.")


@mail_cli.command("failed")
def failed_mail_command():
    """List emails that could not be delivered."""
    failed = OutboundEmail.select().where(OutboundEmail.status == FAILED).order_by(
        OutboundEmail.id)
    for row in failed:
        click.echo(f"{row.id:>6}  {row.created_at:%Y-%m-%d %H:%M}  {row.to_address}  "
                   f"{row.subject}  ({row.attempts} attempts: {row.last_error})")
    click.echo(f"{failed.count()} failed.")


@mail_cli.command("retry")
@click.argument("email_id", type=int)
def retry_mail_command(email_id):
    """Queue a failed email again (after fixing the address or the server)."""
    if not delivery.retry(email_id):
        raise click.BadParameter(f"no failed email with id {email_id}", param_hint="EMAIL_ID")
    click.echo(f"Email {email_id} is queued again.")


team_cli = AppGroup("team", help="The team who runs the network.")


ADMIN_FIELDS = {"email": "EMAIL", "name": "--name", "password": "password"}


def _has_terminal(stream):
    """Someone to ask (a deploy script or a PaaS one-off has nobody)."""
    return stream.isatty()


@team_cli.command("create-admin")
@click.argument("email")
@click.option("--name", help="How the team will see them (asked for when not given).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input, for scripts "
                   "(never give it on the command line: it would show in the process list "
                   "and the shell's history). Without it, it is asked for twice.")
def create_admin_command(email, name, password_stdin):
    """Create the first admin (or make an account an admin)."""
    try:
        accounts.checked_email(email)  # before asking anything; create_admin checks all
    except ValueError as problem:
        raise click.BadParameter(str(problem), param_hint="EMAIL")
    stdin = sys.stdin
    if password_stdin:
        if name is None:
            raise click.UsageError("--password-stdin needs --name: standard input holds "
                                   "only the password.")
        password = stdin.readline().rstrip("\r\n")
        if not password:
            raise click.UsageError("--password-stdin: standard input had no password on "
                                   "its first line.")
    elif not _has_terminal(stdin):
        raise click.UsageError("No terminal to ask for the password: pipe it in with "
                               "--password-stdin (and give --name).")
    else:
        name = name if name is not None else click.prompt("Name")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_admin(email, name, password)
    except accounts.AdminProblem as problem:
        raise click.BadParameter(str(problem), param_hint=ADMIN_FIELDS[problem.field])
    click.echo(f"{user.email} is an admin. Sign in at /sign-in.")


def init_app(app):
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(directory_cli)
    app.cli.add_command(states_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(team_cli)


def refuse_without_database(app):
    """Every command of the app refuses to run where production would lose its data.

    Called once every command is registered: `flask worker`, `jobs run`,
    `db upgrade` and the rest stop with the reason before touching anything.
    """
    for command in app.cli.commands.values():
        if not getattr(command, "_checks_database", False):
            command.callback = _checking_database(command.callback)
            command._checks_database = True


def _checking_database(callback):
    # A group's callback runs before its subcommand; most groups have none.
    @with_appcontext
    def run(*args, **kwargs):
        try:
            check_database(current_app.config)
        except ConfigError as problem:
            raise click.ClickException(str(problem))
        return callback(*args, **kwargs) if callback else None
    return run
