"""Bulk, idempotent writes: every write is one Arrow batch in one transaction.

Re-sending the same rows changes nothing; a crash loses at most the batch in flight.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from sentiment.records import Document, Event
from sentiment.settings import LABELS
from sentiment.store.clock import utcnow
from sentiment.text import author_hash, content_hash

_DOC_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("source", pa.string()), ("kind", pa.string()),
    ("external_id", pa.string()), ("thread_id", pa.string()), ("parent_id", pa.string()),
    ("created_at", pa.timestamp("us")), ("author_hash", pa.string()), ("title", pa.string()),
    ("text", pa.string()), ("url", pa.string()), ("fetched_at", pa.timestamp("us")),
    ("deleted", pa.bool_()), ("content_hash", pa.string()), ("dedupe_key", pa.string()),
    ("date_source", pa.string()), ("language", pa.string()),
])
_DOC_COLUMNS = ", ".join(_DOC_SCHEMA.names)
_DOC_UPDATE = ", ".join(
    f"{c} = excluded.{c}" for c in _DOC_SCHEMA.names if c not in ("doc_id", "source", "external_id")
)


TOMBSTONE: dict[str, str] = {
    "author_hash": "NULL", "title": "NULL", "text": "''", "url": "NULL", "deleted": "true",
    "content_hash": "NULL", "dedupe_key": "NULL",
}
"""What a forgotten author's document keeps of its columns (SQL values): nothing but its place in
the thread (ids, parent, time). Shared by ``forget`` and every later write."""

_INCOMING_TOMBSTONED = (
    "(SELECT * EXCLUDE (_forgotten) REPLACE ("
    + ", ".join(f"CASE WHEN _forgotten THEN {value} ELSE {column} END AS {column}"
                for column, value in TOMBSTONE.items())
    + ") FROM (SELECT *, coalesce(author_hash IN (SELECT author_hash FROM forgotten_authors), false) "
      "AS _forgotten FROM _incoming))"
)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, rolled back on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@dataclass
class UpsertResult:
    """What one upsert did; ``n_new + n_updated + n_unchanged + n_duplicate == n_in``."""

    n_in: int = 0
    n_new: int = 0
    n_updated: int = 0
    n_unchanged: int = 0
    n_duplicate: int = 0

    def add(self, other: "UpsertResult") -> None:
        for name in ("n_in", "n_new", "n_updated", "n_unchanged", "n_duplicate"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _dedupe_key(doc: Document, text_hash: str, who: str | None) -> str | None:
    """Exact duplicates: an article's text anywhere, or a text posted twice by one author in one thread."""
    if doc.deleted or not doc.text.strip():
        return None
    if doc.kind == "article":
        return f"article|{text_hash}"
    return f"{doc.kind}|{doc.thread_id}|{who}|{text_hash}"


def documents_table(docs: Sequence[Document], key: bytes, fetched_at: datetime) -> pa.Table:
    rows: dict[str, list] = {name: [] for name in _DOC_SCHEMA.names}
    hashed: dict[str | None, str | None] = {}  # authors repeat; hash each once per batch
    for doc in docs:
        if doc.author not in hashed:
            hashed[doc.author] = author_hash(doc.author, key)
        who = hashed[doc.author]
        text_hash = content_hash(doc.text)
        for name, value in (
            ("doc_id", doc.doc_id), ("source", doc.source), ("kind", doc.kind),
            ("external_id", doc.external_id), ("thread_id", doc.thread_id),
            ("parent_id", doc.parent_id), ("created_at", doc.created_at), ("author_hash", who),
            ("title", doc.title), ("text", doc.text), ("url", doc.url), ("fetched_at", fetched_at),
            ("deleted", doc.deleted), ("content_hash", text_hash),
            ("dedupe_key", _dedupe_key(doc, text_hash, who)), ("date_source", doc.date_source),
            ("language", doc.language),
        ):
            rows[name].append(value)
    return pa.table(rows, schema=_DOC_SCHEMA)


def _drop_in_batch_duplicates(docs: Sequence[Document]) -> tuple[list[Document], int]:
    """DuckDB keeps the first of duplicate keys in one upsert silently; we do it visibly."""
    seen: set[str] = set()
    kept = []
    for doc in docs:
        if doc.doc_id in seen:
            continue
        seen.add(doc.doc_id)
        kept.append(doc)
    return kept, len(docs) - len(kept)


def upsert_documents(
    con: duckdb.DuckDBPyConnection, docs: Sequence[Document], *, author_key: bytes
) -> UpsertResult:
    """Insert new documents, update changed ones, drop exact duplicates; one transaction.

    A document whose text changed (an edited comment) loses its stances so it is classified again.
    """
    result = UpsertResult(n_in=len(docs))
    if not docs:
        return result
    unique, n_repeated = _drop_in_batch_duplicates(docs)
    batch = documents_table(unique, author_key, utcnow())
    con.register("_incoming", batch)
    try:
        with transaction(con):
            merge_incoming(con, result, n_repeated=n_repeated)
    finally:
        con.unregister("_incoming")
    return result


def merge_incoming(con: duckdb.DuckDBPyConnection, result: UpsertResult, *, n_repeated: int = 0) -> None:
    """Merge the relation ``_incoming`` (the documents columns, one row per doc_id) into
    ``documents`` inside the caller's transaction, filling ``result``'s counts.

    The one place where dedupe and update semantics live: the row path (:func:`upsert_documents`)
    and the bulk dump path (:mod:`sentiment.store.bulk`) both end here. So it is also where an
    author in ``forgotten_authors`` is kept out: their documents arrive as :data:`TOMBSTONE` rows.
    """
    n_unique = con.execute("SELECT count(*) FROM _incoming").fetchall()[0][0]
    # Authors who asked to be forgotten come in as tombstones (see sentiment.maintenance.forget).
    anyone_forgotten = con.execute("SELECT count(*) FROM forgotten_authors").fetchall()[0][0] > 0
    incoming = _INCOMING_TOMBSTONED if anyone_forgotten else "_incoming"
    # Exact duplicates: the first by time wins, whether it is stored or in this batch.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _staging AS
        SELECT i.* FROM {incoming} i
        WHERE i.dedupe_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM documents d
            WHERE d.dedupe_key = i.dedupe_key AND d.doc_id <> i.doc_id)
        QUALIFY i.dedupe_key IS NULL OR row_number() OVER (
            PARTITION BY i.dedupe_key ORDER BY i.created_at NULLS LAST, i.doc_id) = 1
    """)
    staged = con.execute("SELECT count(*) FROM _staging").fetchone()[0]
    result.n_duplicate = n_repeated + n_unique - staged
    # The stored rows these documents replace, found with one join (the table only grows: each
    # further scan of it would cost more with every batch).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _stored AS
        SELECT s.doc_id,
               s.content_hash IS DISTINCT FROM d.content_hash OR s.deleted IS DISTINCT FROM d.deleted
               OR s.title IS DISTINCT FROM d.title OR s.parent_id IS DISTINCT FROM d.parent_id
               OR s.created_at IS DISTINCT FROM d.created_at OR s.date_source IS DISTINCT FROM d.date_source
               OR s.language IS DISTINCT FROM d.language AS changed,
               s.content_hash IS DISTINCT FROM d.content_hash OR s.deleted AS restance
        FROM _staging s JOIN documents d USING (doc_id)
    """)
    n_stored, result.n_updated = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE changed) FROM _stored").fetchone()
    result.n_new = staged - n_stored
    result.n_unchanged = n_stored - result.n_updated
    con.execute("DELETE FROM stances WHERE doc_id IN (SELECT doc_id FROM _stored WHERE restance)")
    # Rows already stored take the upsert path; new rows a plain INSERT (much faster in bulk).
    if n_stored:
        con.execute(
            f"INSERT INTO documents ({_DOC_COLUMNS}) SELECT {_DOC_COLUMNS} FROM _staging "
            f"SEMI JOIN _stored USING (doc_id) ON CONFLICT (doc_id) DO UPDATE SET {_DOC_UPDATE}"
        )
    if result.n_new:
        con.execute(
            f"INSERT INTO documents ({_DOC_COLUMNS}) SELECT {_DOC_COLUMNS} FROM _staging "
            "ANTI JOIN _stored USING (doc_id)"
        )
    con.execute("DROP TABLE _stored")
    con.execute("DROP TABLE _staging")


def upsert_events(con: duckdb.DuckDBPyConnection, events: Sequence[Event]) -> UpsertResult:
    """Insert or update events by ``event_id``."""
    result = UpsertResult(n_in=len(events))
    if not events:
        return result
    by_id = {e.event_id: e for e in events}
    table = pa.table({
        "event_id": [e.event_id for e in by_id.values()],
        "name": [e.name for e in by_id.values()],
        "occurred_at": pa.array([e.occurred_at for e in by_id.values()], pa.date32()),
        "description": [e.description for e in by_id.values()],
        "keywords": pa.array([list(e.keywords) for e in by_id.values()], pa.list_(pa.string())),
    })
    result.n_duplicate = len(events) - len(by_id)
    con.register("_events", table)
    try:
        with transaction(con):
            result.n_new = con.execute(
                "SELECT count(*) FROM _events ANTI JOIN events USING (event_id)"
            ).fetchone()[0]
            result.n_updated = con.execute("""
                SELECT count(*) FROM _events i JOIN events e USING (event_id)
                WHERE (i.name, i.occurred_at, i.description, i.keywords)
                      IS DISTINCT FROM (e.name, e.occurred_at, e.description, e.keywords)
            """).fetchone()[0]
            result.n_unchanged = len(by_id) - result.n_new - result.n_updated
            con.execute("""
                INSERT INTO events SELECT event_id, name, occurred_at, description, keywords FROM _events
                ON CONFLICT (event_id) DO UPDATE SET name = excluded.name,
                    occurred_at = excluded.occurred_at, description = excluded.description,
                    keywords = excluded.keywords
            """)
    finally:
        con.unregister("_events")
    return result


def upsert_stances(con: duckdb.DuckDBPyConnection, stances: pa.Table) -> int:
    """Store one batch of classifications (columns as the ``stances`` table); returns rows written."""
    if stances.num_rows == 0:
        return 0
    columns = ["doc_id", "model_version", "label", "confidence",
               *(f"p_{label}" for label in LABELS), "classified_at"]
    cols = ", ".join(columns)
    con.register("_stances", stances.select(columns))
    try:
        with transaction(con):
            con.execute(
                f"INSERT INTO stances ({cols}) SELECT {cols} FROM _stances "
                "ON CONFLICT (doc_id, model_version) DO UPDATE SET label = excluded.label, "
                "confidence = excluded.confidence, p_concern = excluded.p_concern, "
                "p_skepticism = excluded.p_skepticism, p_support = excluded.p_support, "
                "p_neutral = excluded.p_neutral, classified_at = excluded.classified_at"
            )
    finally:
        con.unregister("_stances")
    return stances.num_rows


ACTIVE_MODEL_KEY = "active_model_version"
"""``meta`` key naming the model_version the public views report (views.sql reads it too)."""


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Record a fact about the database (e.g. the active model version)."""
    con.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None
