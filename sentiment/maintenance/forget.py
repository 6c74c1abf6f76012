"""Forget an author on request (``sentiment forget --author NAME``).

The name is hashed with the local author key exactly as collection hashed it
(:func:`sentiment.text.author_hash`), so only this installation can find the author's rows; the
name itself is never stored or recorded, the hash is. Then, in one transaction:

- their stances are deleted, and their labels (by document id, and any label carrying the text of
  one of their documents, such as an imported copy);
- their documents become **tombstones**: text emptied, title, link and author hash cleared, marked
  deleted (so never classified). The rows are kept rather than deleted because other people's
  replies point at them (``parent_id``, ``thread_id``): deleting them would cut those replies off
  their thread, and a later re-collection would have to tell "forgotten" from "never seen". A
  tombstone holds nothing about the person: ids, the parent link and a timestamp, the same as a
  comment the site itself shows as ``[deleted]``;
- the hash is added to ``forgotten_authors``, and every later write stores that author's
  documents as tombstones too (row path and bulk dump path alike, see
  :func:`sentiment.store.writes.merge_incoming`), so re-collecting never brings the text back.

Afterwards the trend tables, which copy texts (quotes) and counts, are rebuilt (when there was
anything to remove), and the step is recorded in ``runs`` (step ``forget``, the hash and the counts). Freed space in a DuckDB file
still holds the old bytes, so the caller then rewrites the file
(:func:`sentiment.store.compact.rewrite_database`), which also republishes the read-only copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from sentiment.store.clock import utcnow
from sentiment.store.runs import track_run
from sentiment.store.writes import TOMBSTONE, transaction
from sentiment.text import author_hash


@dataclass(frozen=True)
class ForgetReport:
    """What ``forget_author`` removed (counts of rows) and the hash it recorded."""

    author_hash: str
    documents: int
    stances: int
    labels: int
    run_id: str


def clean_name(name: str) -> str:
    """A user name as sites spell it: surrounding blanks and a leading ``u/`` or ``/u/`` dropped
    (neither Reddit nor Hacker News allow ``/`` in a name). Case is kept: it is part of the name."""
    name = name.strip()
    for prefix in ("/u/", "u/"):
        if name.lower().startswith(prefix):
            return name[len(prefix):].strip()
    return name


def author_key_hash(name: str, key: bytes) -> str:
    """The stored hash of ``name`` under ``key``; a clear error for a name that cannot be an author."""
    who = author_hash(clean_name(name), key)
    if who is None:
        raise ValueError(f"{name!r} is not an author name")
    return who


def count_documents(con: duckdb.DuckDBPyConnection, who: str) -> int:
    """How many stored documents carry the author hash ``who``."""
    return con.execute("SELECT count(*) FROM documents WHERE author_hash = ?", [who]).fetchone()[0]


def forget_author(con: duckdb.DuckDBPyConnection, name: str, key: bytes, *, min_n: int,
                  **trend_args: Any) -> ForgetReport:
    """Remove ``name``'s texts, stances and labels and block them from being stored again.

    ``min_n`` (the trends step's minimum window size) and ``trend_args`` go to the trends refresh
    that follows (``trend_options(settings)`` gives them as configured).
    """
    from sentiment.insight.trends import refresh_trends

    who = author_key_hash(name, key)
    tombstone = ", ".join(f"{column} = {value}" for column, value in TOMBSTONE.items())
    with track_run(con, "forget") as stats:
        with transaction(con):
            con.execute("INSERT INTO forgotten_authors VALUES (?, ?) ON CONFLICT DO NOTHING", [who, utcnow()])
            con.execute("CREATE OR REPLACE TEMP TABLE _forget AS "
                        "SELECT doc_id, text FROM documents WHERE author_hash = ?", [who])
            n_docs = con.execute("SELECT count(*) FROM _forget").fetchone()[0]
            n_labels = con.execute(
                "DELETE FROM labels WHERE id IN (SELECT doc_id FROM _forget) "
                "OR text IN (SELECT text FROM _forget WHERE trim(text) <> '')").fetchone()[0]
            n_stances = con.execute(
                "DELETE FROM stances WHERE doc_id IN (SELECT doc_id FROM _forget)").fetchone()[0]
            con.execute(f"UPDATE documents SET {tombstone} WHERE doc_id IN (SELECT doc_id FROM _forget)")
            con.execute("DROP TABLE _forget")
        stats.n_in = stats.n_updated = n_docs
        stats.notes.update(author_hash=who, documents=n_docs, stances=n_stances, labels=n_labels)
    if n_docs:  # quotes and counts are copies of what was just removed
        refresh_trends(con, min_n=min_n, **trend_args)
    return ForgetReport(who, n_docs, n_stances, n_labels, stats.run_id)
