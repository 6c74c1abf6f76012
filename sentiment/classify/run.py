"""The classify step: every community document without a stance from the current model gets one.

Work is done in batches, each stored in its own transaction, so an interrupted run keeps what it
finished and a re-run picks up the rest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from sentiment.classify.base import Classifier
from sentiment.classify.examples import bundled_examples
from sentiment.classify.metrics import score
from sentiment.classify.shipped import Batch, stances_table
from sentiment.settings import COMMUNITY_KINDS, LABELS
from sentiment.store import track_run, upsert_stances
from sentiment.store.writes import ACTIVE_MODEL_KEY, set_meta

MODEL_CARD_KEY = "active_model_card"
log = logging.getLogger(__name__)

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


def quality_card(classifier: Classifier) -> dict | None:
    """What the dev split says about ``classifier``'s errors, for the corrected shares.

    A trained model carries it in its model card (measured on the path it runs: ONNX int8 or
    torch); the rule baseline is measured here, which takes a fraction of a second.
    """
    card = getattr(classifier, "card", None)
    if card is not None:
        onnx = getattr(classifier, "backend", None) == "onnx" and card.get("dev_onnx_int8")
        dev = onnx or card.get("dev")
        return {"model_version": classifier.model_version, "labels": list(LABELS), "dev": dev,
                "ece": dev.get("ece") if dev else None}
    examples = bundled_examples("dev")
    preds = classifier.predict([e.text for e in examples], [e.thread_title for e in examples])
    dev = score([e.label for e in examples], np.array([p.probs for p in preds])).as_dict()
    return {"model_version": classifier.model_version, "labels": list(LABELS), "dev": dev, "ece": dev["ece"]}


def activate(con: duckdb.DuckDBPyConnection, classifier: Classifier) -> None:
    """Make ``classifier`` the model the views report, with its quality card for the trends."""
    set_meta(con, ACTIVE_MODEL_KEY, classifier.model_version)
    set_meta(con, MODEL_CARD_KEY, json.dumps(quality_card(classifier)))


def count_pending(con: duckdb.DuckDBPyConnection, model_version: str, *, with_text: bool = False) -> int:
    """How many documents the next classify run would take up (``with_text``: would label; the
    others have no text and are skipped)."""
    where = " WHERE trim(coalesce(body, '')) <> ''" if with_text else ""
    return con.execute(f"SELECT count(*) FROM ({_PENDING}){where}", [model_version]).fetchone()[0]


def pending_documents(
    con: duckdb.DuckDBPyConnection, model_version: str
) -> tuple[list[tuple[str, str, str | None]], int]:
    """(doc_id, text, thread title) of every document to label, and how many have no text."""
    todo, empty = [], 0
    for doc_id, body, title in con.execute(_PENDING, [model_version]).fetchall():
        if body and body.strip():
            todo.append((doc_id, body, title))
        else:
            empty += 1
    return todo, empty


BatchRunner = Callable[[list[Batch]], Iterable[pa.Table]]
"""Computes the stances tables of batches, in order (``sentiment.classify.cluster.dask_tables``
on Dask workers); the default is ``stances_table`` in this process."""


def classify_pending(
    con: duckdb.DuckDBPyConnection,
    classifier: Classifier,
    *,
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
    runner: BatchRunner | None = None,
) -> ClassifyReport:
    """Label pending documents batch by batch and make this model the one the views report.
    ``runner`` computes the batches elsewhere (Dask workers); this process alone writes."""
    version = classifier.model_version
    with track_run(con, "classify") as stats:
        todo, empty = pending_documents(con, version)
        stats.n_in = len(todo) + empty
        stats.notes["model_version"] = version
        if empty:
            stats.skip("empty text", empty)
        batches = [todo[start:start + batch_size] for start in range(0, len(todo), batch_size)]
        tables = runner(batches) if runner else (stances_table(classifier, b) for b in batches)
        for i, (batch, table) in enumerate(zip(batches, tables)):
            stats.n_new += upsert_stances(con, table)
            log.info("classify: committed batch %d/%d (%d stances, %d in all)",
                     i + 1, len(batches), len(batch), stats.n_new)
            if on_batch:
                on_batch(len(batch))
        activate(con, classifier)
    return ClassifyReport(stats.run_id, version, stats.n_in, stats.n_new, stats.n_skipped)
