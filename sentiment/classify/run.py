"""The classify step: every community document without a stance from the current model gets one.

Work is done in batches, each stored in its own transaction, so an interrupted run keeps what it
finished and a re-run picks up the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from sentiment.classify.model import Classifier
from sentiment.settings import COMMUNITY_KINDS, LABELS
from sentiment.store import track_run, upsert_stances
from sentiment.store.db import utcnow
from sentiment.store.writes import ACTIVE_MODEL_KEY, set_meta

# Community documents with text and no stance for this model version. A post is read as its
# title plus its body; comments and quotes carry the thread title as context.
_PENDING = f"""
    SELECT d.doc_id,
           CASE WHEN d.kind = 'post' THEN concat_ws('\n\n', d.title, nullif(d.text, '')) ELSE d.text END
               AS body,
           CASE WHEN d.kind = 'post' THEN NULL ELSE t.title END AS thread_title
    FROM documents d
    LEFT JOIN documents t ON t.doc_id = d.thread_id
    WHERE d.kind IN ({", ".join(f"'{k}'" for k in COMMUNITY_KINDS)})
      AND NOT d.deleted
      AND NOT EXISTS (SELECT 1 FROM stances s WHERE s.doc_id = d.doc_id AND s.model_version = ?)
    ORDER BY d.doc_id
"""


@dataclass
class ClassifyReport:
    run_id: str
    model_version: str
    n_pending: int
    n_classified: int
    n_skipped: int


def count_pending(con: duckdb.DuckDBPyConnection, model_version: str) -> int:
    """How many documents the next classify run would label."""
    return con.execute(f"SELECT count(*) FROM ({_PENDING})", [model_version]).fetchone()[0]


def classify_pending(
    con: duckdb.DuckDBPyConnection,
    classifier: Classifier,
    *,
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
) -> ClassifyReport:
    """Label pending documents batch by batch and make this model the one the views report."""
    version = classifier.model_version
    with track_run(con, "classify") as stats:
        pending = con.execute(_PENDING, [version]).fetchall()
        stats.n_in = len(pending)
        stats.notes["model_version"] = version
        todo = []
        for doc_id, body, title in pending:
            if body and body.strip():
                todo.append((doc_id, body, title))
            else:
                stats.skip("empty text")
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            predictions = classifier.predict([b for _, b, _ in batch], [t for _, _, t in batch])
            now = utcnow()
            columns: dict[str, list] = {
                "doc_id": [d for d, _, _ in batch],
                "model_version": [version] * len(batch),
                "label": [p.label for p in predictions],
                "confidence": [p.confidence for p in predictions],
                **{f"p_{label}": [p.probs[i] for p in predictions] for i, label in enumerate(LABELS)},
                "classified_at": [now] * len(batch),
            }
            stats.n_new += upsert_stances(con, pa.table(columns))
            if on_batch:
                on_batch(len(batch))
        set_meta(con, ACTIVE_MODEL_KEY, version)
    return ClassifyReport(stats.run_id, version, len(pending), stats.n_new, stats.n_skipped)
