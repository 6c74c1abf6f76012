"""The ``runs`` table: one row per step run, with what came in, what was new and what was skipped."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from sentiment.records import note_example
from sentiment.redact import redact, redact_value
from sentiment.store.db import utcnow


@dataclass
class RunStats:
    """Counts a step accumulates while it runs; written to ``runs`` when it ends."""

    step: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    n_in: int = 0
    n_new: int = 0
    n_updated: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes: dict[str, object] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> first few skipped ids

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def skip(self, reason: str, count: int = 1, item: str | None = None) -> None:
        self.skipped[reason] += count
        if item is not None:
            note_example(self.examples, reason, item)

    def notes_json(self) -> str:
        """The notes as stored: skip reasons with counts, the ids of the first few skipped per
        reason (``skipped_ids``), and the step's own notes; every URL in them redacted (no
        credential reaches ``runs``)."""
        ids = {"skipped_ids": self.examples} if self.examples else {}
        notes = redact_value({"skipped": dict(self.skipped), **ids, **self.notes})
        return json.dumps(notes, ensure_ascii=False, default=lambda v: redact(str(v)))


def start_run(con: duckdb.DuckDBPyConnection, step: str) -> RunStats:
    """Write a 'running' row for ``step``; pair with ``finish_run`` (or use ``track_run``).

    Separate calls let a run span several connections, as a flow's batches do.
    """
    stats = RunStats(step=step)
    con.execute(
        "INSERT INTO runs (run_id, step, started_at, status) VALUES (?, ?, ?, 'running')",
        [stats.run_id, step, utcnow()],
    )
    return stats


def finish_run(con: duckdb.DuckDBPyConnection, stats: RunStats, status: str) -> None:
    """Close a run's row with its status ('ok', 'partial' or 'failed') and counts."""
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, n_in = ?, n_new = ?, n_updated = ?, "
        "n_skipped = ?, notes = ? WHERE run_id = ?",
        [utcnow(), status, stats.n_in, stats.n_new, stats.n_updated, stats.n_skipped,
         stats.notes_json(), stats.run_id],
    )


@contextmanager
def track_run(con: duckdb.DuckDBPyConnection, step: str) -> Iterator[RunStats]:
    """Record a step in ``runs``: a 'running' row at once, 'ok' or 'failed' with counts at the end.

    A crash leaves the 'running' row behind, which is how an interrupted run can be told apart.
    """
    stats = start_run(con, step)
    status = "ok"
    try:
        yield stats
    except BaseException as exc:
        status = "failed"
        stats.notes["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        finish_run(con, stats, status)
