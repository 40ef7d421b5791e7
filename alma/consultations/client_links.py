"""How a client (who has no password) opens what's theirs: a link from our email.

The link's GET shows a button; its POST spends the link and remembers the
client in this browser for CLIENT_IDLE_SECONDS of activity. A used link opened
again in the browser that used it just shows the page. Consultation requests
and match requests both work this way.
"""
from flask import abort, redirect, render_template, session

from alma.accounts import links
from alma.clock import utcnow
from alma.network.models import Client

CLIENT_IDLE_SECONDS = 30 * 60
LINK_PROBLEMS = {
    "unknown": "This link isn't one of ours, or it was copied incompletely.",
    "used": "This link has been used already: each link works once.",
    "expired": "This link has expired.",
}


def link_problem(problem):
    return render_template("accounts/client_link_problem.html",
                           message=LINK_PROBLEMS[problem.reason]), 410


def _fresh():
    if utcnow().timestamp() - session.get("client_seen", 0) > CLIENT_IDLE_SECONDS:
        session.pop("client_id", None)
        session.pop("client_email", None)
        return False
    return True


def signed_in_client():
    """The client this browser proved it is (through an emailed link), if still fresh."""
    client_id = session.get("client_id")
    if not _fresh() or client_id is None:
        return None
    session["client_seen"] = utcnow().timestamp()
    return Client.get_or_none(Client.id == client_id)


def signed_in_email():
    """The email address this browser proved it reads (an emailed link), if still fresh."""
    if not _fresh():
        return None
    email = session.get("client_email")
    if not email and session.get("client_id") is not None:
        # A session from before addresses were remembered: its client proved theirs too.
        client = Client.get_or_none(Client.id == session["client_id"])
        email = session["client_email"] = client.email if client is not None else None
    if not email:
        return None
    session["client_seen"] = utcnow().timestamp()
    return email


def remember(email):
    """A fresh session for whoever opened a link we emailed to `email`: nothing from before
    carries over. Their own requests (the self-registered record) open too."""
    session.clear()
    own = Client.self_registered(email)
    if own is not None:
        session["client_id"] = own.id
    session["client_email"] = email
    session["client_seen"] = utcnow().timestamp()


def forget():
    """This browser forgets the client (a shared or borrowed device): their page, requests
    and invoices open again only from a new emailed link."""
    session.clear()


def owned_or_404(model, object_id):
    """(client, object) when this browser's client owns it; (None, None) when signed out."""
    client = signed_in_client()
    if client is None:
        return None, None
    found = model.get_or_none(model.id == object_id)
    if found is None or found.client_id != client.id:
        abort(404)
    return client, found


def show_link(token, purpose, model, url_for_object):
    link = links.lookup(token, purpose)
    client = signed_in_client()
    if link is not None and client is not None:
        found = model.get_or_none(model.id == link.subject_id)
        if found is not None and found.client_id == client.id:
            return redirect(url_for_object(found))  # no need to spend another link
    try:
        links.check(token, purpose)
    except links.LinkProblem as problem:
        return link_problem(problem)
    return render_template("consultations/status_link.html")


def spend_link(token, purpose, model, url_for_object):
    try:
        link = links.spend(token, purpose)
    except links.LinkProblem as problem:
        return link_problem(problem)
    found = model.get_by_id(link.subject_id)
    remember(found.client.email)
    return redirect(url_for_object(found), 303)
