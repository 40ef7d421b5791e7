"""The two pages every emailed link to something of someone's goes through.

GET shows a button and changes nothing (mail scanners follow links); if this
browser opened the same thing already, it goes straight there. POST spends the
link once and lets the caller remember, in this browser's session, what it opens.
"""
from flask import redirect, render_template

from alma.accounts import links

# A client's dead link offers a new one by email; anyone else's, signing in.
CLIENT_PROBLEM = "accounts/client_link_problem.html"
PROBLEM = "accounts/link_problem.html"


def _problem(message, for_client):
    """`for_client`: True (a client's), False (someone who signs in) or the template of the
    caller's own "email me a new link" page (an applicant's)."""
    if isinstance(for_client, str):
        return render_template(for_client, message=message), 410
    return render_template(CLIENT_PROBLEM if for_client else PROBLEM, message=message), 410


def confirm(token, purpose, template, problem, already_open, for_client=False):
    """`already_open(subject_id)` gives the URL to go to if this browser holds it, else None.
    `for_client`: the link was a client's (no password), so a dead one offers a new one; or
    the template of such a page for someone else without a password (see _problem)."""
    link = links.lookup(token, purpose)
    target = already_open(link.subject_id) if link is not None else None
    if target:
        return redirect(target)
    try:
        links.check(token, purpose)
    except links.LinkProblem:
        return _problem(problem, for_client)
    return render_template(template)


def spend(token, purpose, problem, remember, for_client=False):
    """`remember(subject_id)` records it in the session and gives the URL to go to."""
    try:
        link = links.spend(token, purpose)
    except links.LinkProblem:
        return _problem(problem, for_client)
    return redirect(remember(link.subject_id), 303)


def problem(message, for_client=False):
    """The page of a dead link (410), for a caller that checks the link itself."""
    return _problem(message, for_client)
