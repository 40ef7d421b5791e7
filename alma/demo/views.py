"""/dev: the demo's personas, each a click away (development only: see create_app).

Each persona is a POST (with its CSRF token) that starts a session as them, as the sign-in
page or an emailed link would, and lands on the page where their work starts.
"""
from dataclasses import dataclass

from flask import Blueprint, abort, redirect, render_template, url_for

from alma.accounts import service as accounts
from alma.accounts.models import User
from alma.consultations import client_links
from alma.demo.people import (CLIENT_EMAIL, CLIENT_TRY, IN_PROGRAM, MEMBER, PROVIDER_TRIES,
                              PROVIDERS, TEAM)
from alma.network.models import Client

bp = Blueprint("demo", __name__, url_prefix="/dev")


@dataclass
class Persona:
    key: str
    who: str
    name: str
    email: str
    try_this: str


def _client():
    return Client.self_registered(CLIENT_EMAIL)


def personas():
    """The personas the seed made, in the order /dev lists them (none before a seed)."""
    found = []
    client = _client()
    if client is not None:
        found.append(Persona("client", "Client", client.name, client.email, CLIENT_TRY))
    for key, who in ((IN_PROGRAM, "Provider, member in the insurance program"),
                     (MEMBER, "Provider, member not in the program")):
        first, last, email = PROVIDERS[key]
        if User.select().where(User.email == email).exists():
            found.append(Persona(key, who, f"{first} {last}", email, PROVIDER_TRIES[key]))
    for team in TEAM:
        if User.select().where((User.email == team.email) & User.active).exists():
            found.append(Persona(team.key, f"Team: {team.role}", team.name, team.email,
                                 team.try_this))
    return found


@bp.get("")
def index():
    return render_template("demo/index.html", personas=personas())


@bp.post("/sign-in/<key>")
def sign_in(key):
    if key == "client":
        return _sign_in_client()
    landing = {team.key: team.lands_on for team in TEAM}
    landing.update({IN_PROGRAM: url_for("claims.sessions_page"),
                    MEMBER: url_for("inbox.index")})
    emails = {team.key: team.email for team in TEAM}
    emails.update({key_: PROVIDERS[key_][2] for key_ in (IN_PROGRAM, MEMBER)})
    if key not in emails:
        abort(404)
    user = User.get_or_none((User.email == emails[key]) & User.active)
    if user is None:
        abort(404)
    accounts.start_session(user)
    return redirect(landing[key], 303)


def _sign_in_client():
    """As the client's emailed link does: the browser proves the address, and the client's
    page lists their requests, matches and invoices (alma/clients)."""
    client = _client()
    if client is None:
        abort(404)
    client_links.remember(client.email)
    return redirect(url_for("clients.home"), 303)
