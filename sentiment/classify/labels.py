"""The user's own labels: the labelling queue, and JSONL export/import.

The queue mixes the stored comments the current model is least sure about (active learning by
uncertainty) with comments drawn uniformly at random. On real comments the model's confidence
ranks right and wrong labels only loosely, so a queue of the least sure alone would mostly show
one kind of comment; the random half keeps the labels representative of what is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sentiment.classify.examples import read_labelled_jsonl
from sentiment.store.clock import utcnow


@dataclass(frozen=True)
class QueueItem:
    doc_id: str
    text: str
    thread_title: str | None
    model_label: str
    confidence: float
    why: str = "least sure"
    """``least sure`` or ``random``: which half of the queue the comment comes from (``audit``
    for an audit draw)."""


@dataclass(frozen=True)
class ImportResult:
    new: int
    updated: int


_UNLABELLED = """
    SELECT c.doc_id, c.text, c.thread_title, c.label, c.confidence
    FROM classified_documents c
    WHERE c.text IS NOT NULL AND length(trim(c.text)) > 0
      AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.id = c.doc_id)
"""


def least_certain(con: duckdb.DuckDBPyConnection, limit: int) -> list[QueueItem]:
    """Stored, classified, not yet labelled comments, least confident first."""
    rows = con.execute(_UNLABELLED + " ORDER BY c.confidence, c.doc_id LIMIT ?", [limit]).fetchall()
    return [QueueItem(*row) for row in rows]


def uniform_sample(con: duckdb.DuckDBPyConnection, limit: int, seed: int) -> list[QueueItem]:
    """Stored, classified, not yet labelled comments in a seeded random order."""
    rows = con.execute(
        _UNLABELLED + " ORDER BY hash(c.doc_id || ?), c.doc_id LIMIT ?", [f"#{seed}", limit]
    ).fetchall()
    return [QueueItem(*row, why="random") for row in rows]


def labelling_queue(con: duckdb.DuckDBPyConnection, limit: int, *, seed: int = 0,
                    random_share: float = 0.5) -> list[QueueItem]:
    """``limit`` comments to label: the least sure and uniformly random ones, alternating.

    ``random_share`` of the queue is random (rounded down); the rest is the least sure, and a
    comment that both halves pick is shown once.
    """
    n_random = min(limit, int(limit * random_share))
    unsure = least_certain(con, limit)
    random_items = uniform_sample(con, 2 * limit, seed)  # some may be among the least sure
    queue: list[QueueItem] = []
    seen: set[str] = set()
    picks = {"random": iter(random_items), "least sure": iter(unsure)}
    want = {"random": n_random, "least sure": limit - n_random}
    turn = ["least sure", "random"]
    while len(queue) < limit and any(want.values()):
        for half in turn:
            if want[half] <= 0 or len(queue) >= limit:
                continue
            item = next((i for i in picks[half] if i.doc_id not in seen), None)
            if item is None:
                want[half] = 0
                continue
            queue.append(item)
            seen.add(item.doc_id)
            want[half] -= 1
    return queue


def save_label(con: duckdb.DuckDBPyConnection, item: QueueItem, label: str) -> None:
    """Store (or change) the user's label for a queued comment."""
    con.execute(
        "INSERT OR REPLACE INTO labels (id, text, thread_title, label, source, labelled_at) "
        "VALUES (?, ?, ?, ?, 'user', ?)",
        [item.doc_id, item.text, item.thread_title, label, utcnow()],
    )


def export_labels(con: duckdb.DuckDBPyConnection, target: Path) -> int:
    """Write every label as JSONL (the format ``import_labels`` and ``sentiment eval`` read),
    with its ``purpose`` (``train`` or ``audit``) and, for audit labels, the draw it belongs to."""
    rows = con.execute(
        "SELECT id, text, thread_title, label, source, purpose, audit_id FROM labels ORDER BY id").fetchall()
    with Path(target).open("w", encoding="utf-8") as out:
        for rid, text, title, label, source, purpose, audit_id in rows:
            row = {"id": rid, "thread_title": title, "text": text, "label": label, "source": source,
                   "split": "train", "purpose": purpose}
            if audit_id:
                row["audit_id"] = audit_id
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def import_labels(con: duckdb.DuckDBPyConnection, source: Path) -> ImportResult:
    """Add labels from a JSONL file; the whole file is checked before anything is stored."""
    examples = read_labelled_jsonl(source)
    known = {r[0]: (r[1], r[2]) for r in con.execute("SELECT id, label, purpose FROM labels").fetchall()}
    now = utcnow()
    new = updated = 0
    con.execute("BEGIN TRANSACTION")
    try:
        for ex in examples:
            if known.get(ex.id) == (ex.label, ex.purpose):
                continue
            new += ex.id not in known
            updated += ex.id in known
            con.execute(
                "INSERT OR REPLACE INTO labels (id, text, thread_title, label, source, labelled_at, purpose) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [ex.id, ex.text, ex.thread_title, ex.label, ex.source, now, ex.purpose],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return ImportResult(new, updated)
