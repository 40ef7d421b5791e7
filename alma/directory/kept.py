"""Markup kept per process, by a key of everything it shows.

A search page spent most of its time in macros (its cards, its filter form)
whose output depends on a few values only. Those values, gathered in a hashable
key, are the only thing the template is given, so the markup kept for a key is
never out of date: what it would show is its key. In development (templates
reloaded on change) nothing is kept, so an edited template shows at once.
"""
from flask import current_app


def keep(store, limit, key, make):
    """The markup kept in store for key, else make(), kept (at most limit in store)."""
    if current_app.jinja_env.auto_reload:
        return make()
    markup = store.get(key)
    if markup is None:
        markup = make()
        if len(store) >= limit:
            store.clear()
        store[key] = markup
    return markup
