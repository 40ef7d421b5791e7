"""Full-text search over a provider's name, bio and approach, from the database itself.

SQLite: the FTS5 table `provider_fts` (external content on `provider`).
PostgreSQL: the table `provider_fts` holding a weighted tsvector, GIN-indexed.
Both are kept in step with `provider` by triggers (migrations/0001_initial.py).

Words come from criteria.parse as plain \\w+ tokens, so nothing a person
types can reach the query syntax; the last word matches as a prefix, so
results follow as someone types.
"""
from peewee import SQL, Expression, Table, fn

from alma.db import is_postgres

_sqlite_fts = Table("provider_fts", ("rowid",))
_pg_fts = Table("provider_fts", ("provider_id", "document"))


def _sqlite_expression(words):
    terms = [f'"{w}"' for w in words]
    terms[-1] += "*"
    return " ".join(terms)


def _pg_expression(words):
    terms = [f"'{w}'" for w in words]
    terms[-1] += ":*"
    return " & ".join(terms)


def join_matches(query, provider_column, words):
    """Join the full-text matches for `words` into `query`.

    Returns (query, relevance) where relevance is an expression that sorts
    the best matches first in ascending order.
    """
    if is_postgres():
        tsquery = fn.to_tsquery(SQL("'english'"), _pg_expression(words))
        query = (query
                 .join(_pg_fts, on=(_pg_fts.provider_id == provider_column))
                 .where(Expression(_pg_fts.document, "@@", tsquery)))
        relevance = -fn.ts_rank_cd(_pg_fts.document, tsquery)
        return query, relevance
    query = (query
             .join(_sqlite_fts, on=(_sqlite_fts.rowid == provider_column))
             .where(Expression(SQL("provider_fts"), "MATCH", _sqlite_expression(words))))
    # bm25 is smaller for better matches; names weigh most, then approach.
    relevance = fn.bm25(SQL("provider_fts"), 10.0, 10.0, 1.0, 3.0)
    return query, relevance
