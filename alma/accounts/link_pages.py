"""The two pages every emailed link to something of someone's goes through.

GET shows a button and changes nothing (mail scanners follow links); if this
browser opened the same thing already, it goes straight there. POST spends the
link once and lets the caller remember, in this browser's session, what it opens.
"""
from flask import redirect, render_template

from alma.accounts import links


def _problem(message):
    return render_template("accounts/link_problem.html", message=message), 410


def confirm(token, purpose, template, problem, already_open):
    """`already_open(subject_id)` gives the URL to go to if this browser holds it, else None."""
    link = links.lookup(token, purpose)
    target = already_open(link.subject_id) if link is not None else None
    if target:
        return redirect(target)
    try:
        links.check(token, purpose)
    except links.LinkProblem:
        return _problem(problem)
    return render_template(template)


def spend(token, purpose, problem, remember):
    """`remember(subject_id)` records it in the session and gives the URL to go to."""
    try:
        link = links.spend(token, purpose)
    except links.LinkProblem:
        return _problem(problem)
    return redirect(remember(link.subject_id), 303)
