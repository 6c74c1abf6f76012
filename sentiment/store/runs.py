"""The ``runs`` table: one row per step run, with what came in, what was new and what was skipped.

Statuses: ``running`` (started, not finished), ``ok`` (every unit of work done), ``partial``
(some done and kept, some failed: the failed items are in ``collect_failures`` and the next run
retries them), ``failed`` (nothing could be done, or an error was caught and recorded) and
``abandoned``: the process running it died without finishing (killed,
out of memory, power cut), so nothing could record the end. Every run notes the process that
runs it (``pid``, ``host``); a writer opening the database marks 'running' rows whose process
is gone as abandoned (:func:`abandon_dead_runs`). What such a run committed is kept; the next
run of the step does the rest.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sentiment.redact import redact, redact_value
from sentiment.skips import DUPLICATE, HasSkips, Skips
from sentiment.store.clock import utcnow


EXIT_OK = 0
"""Exit code of a step that did all its work (status ``ok``)."""
EXIT_FAILED = 1
"""Exit code of a step that could do nothing (status ``failed``)."""
EXIT_USAGE = 2
"""Exit code of a command refused before it started: a bad option, a missing path or database."""
EXIT_PARTIAL = 3
"""Exit code of a step that stored some work and failed some items (status ``partial``)."""

_EXIT_CODES = {"ok": EXIT_OK, "partial": EXIT_PARTIAL, "failed": EXIT_FAILED}


def outcome(n_failed: int, n_done: int) -> str:
    """The run status the outcome rule gives: ``ok`` when nothing failed, ``partial`` when some
    units of work (a file, a thread, a search) were done and some failed, ``failed`` when none was
    done. One rule for every step, so a status, an exit code and a Prefect state never disagree."""
    if n_failed == 0:
        return "ok"
    return "partial" if n_done > 0 else "failed"


def exit_code(status: str) -> int:
    """The process exit code of a run that ended with ``status`` (0 only for ``ok``)."""
    return _EXIT_CODES.get(status, EXIT_FAILED)


@dataclass
class RunStats(HasSkips):
    """Counts a step accumulates while it runs; written to ``runs`` when it ends.

    Every item a run reads lands in exactly one count, so
    ``n_new + n_updated + notes['unchanged'] + n_skipped == n_in`` (``unchanged`` is 0 when
    absent): a reader of ``runs`` can tell what happened to everything that came in. Things of
    another kind than the step's items (the events of an ingest, the stances a trends refresh
    reads) are counted on their own in the notes.
    """

    step: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    n_in: int = 0
    n_new: int = 0
    n_updated: int = 0
    skips: Skips = field(default_factory=Skips)
    """What the run skipped: ``skipped`` (counts per reason) and ``skipped_ids`` in its notes."""
    notes: dict[str, object] = field(default_factory=dict)
    status: str = "ok"
    """How the run ends when no exception escapes it; a step sets it with :func:`outcome`."""

    @property
    def n_skipped(self) -> int:
        return self.skips.total

    def skip(self, reason: str, count: int = 1, item: str | None = None) -> None:
        """Count ``count`` skipped items for ``reason``, naming ``item`` when it has a name."""
        self.skips.add(reason, item, count)

    def documents_read(self, n_stored: int, n_new: int, n_updated: int, n_unchanged: int) -> None:
        """Close a document-storing run's counts once its skips are recorded: ``n_stored``
        documents went to the store (repeats included, already skipped as ``DUPLICATE``) and
        every other skipped item (a filtered line, a missing file, a thread that could not be
        fetched) was read too, so ``n_in`` counts both and the four counts add up to it."""
        self.n_in = n_stored + self.n_skipped - self.skips.counts[DUPLICATE]
        self.n_new, self.n_updated = n_new, n_updated
        self.notes["unchanged"] = n_unchanged

    def notes_json(self) -> str:
        """The notes as stored: skip reasons with counts, the ids of the first few skipped per
        reason (``skipped_ids``), and the step's own notes; every URL in them redacted (no
        credential reaches ``runs``)."""
        ids = {"skipped_ids": self.skips.examples} if self.skips.examples else {}
        notes = redact_value({"skipped": dict(self.skips.counts), **ids, **self.notes})
        return json.dumps(notes, ensure_ascii=False, default=lambda v: redact(str(v)))


def start_run(con: duckdb.DuckDBPyConnection, step: str) -> RunStats:
    """Write a 'running' row for ``step`` naming this process; pair with ``finish_run`` (or use
    ``track_run``).

    Separate calls let a run span several connections, as a flow's batches do.
    """
    stats = RunStats(step=step)
    stats.notes.update(pid=os.getpid(), host=socket.gethostname())
    con.execute(
        "INSERT INTO runs (run_id, step, started_at, status, notes) VALUES (?, ?, ?, 'running', ?)",
        [stats.run_id, step, utcnow(), stats.notes_json()],
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
    """Record a step in ``runs``: a 'running' row at once, and at the end ``stats.status`` (``ok``
    unless the step set ``partial`` or ``failed``) or 'failed' when an exception escapes, with counts.

    A crash leaves the 'running' row behind, which is how an interrupted run can be told apart.
    """
    stats = start_run(con, step)
    try:
        yield stats
    except BaseException as exc:
        stats.status = "failed"
        stats.notes["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        finish_run(con, stats, stats.status)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host is still running (a zombie, dead but not yet reaped
    by its parent, counts as gone). A reused pid reads as alive: the safe side."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    try:  # Linux: the state letter follows the parenthesised command name
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def abandon_dead_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Mark 'running' rows whose process on this host has gone as 'abandoned'; returns their ids.

    A killed run cannot record its own end, so its row would say 'running' forever. Only rows
    naming a process of this host that no longer exists are touched: a run alive elsewhere (a flow
    between two of its writer connections) stays 'running', and rows from other hosts, or written
    before runs noted their process, are left alone. Should a live run be taken for dead (two
    containers with one host name and separate process ids), its own ``finish_run`` still records
    how it ended.
    """
    host = socket.gethostname()
    abandoned = []
    for run_id, notes_text in con.execute(
        "SELECT run_id, notes FROM runs WHERE status = 'running' ORDER BY started_at"
    ).fetchall():
        try:
            notes = json.loads(notes_text or "{}")
        except ValueError:
            continue
        if not isinstance(notes, dict) or notes.get("host") != host:
            continue
        pid = notes.get("pid")
        if not isinstance(pid, int) or pid == os.getpid() or process_alive(pid):
            continue
        notes["abandoned"] = (f"process {pid} on {host} ended without finishing this run (killed or "
                              f"crashed); found at {utcnow():%Y-%m-%d %H:%M:%S} UTC. Its committed "
                              "batches are kept; the next run of the step does the rest.")
        con.execute("UPDATE runs SET status = 'abandoned', notes = ? WHERE run_id = ? AND status = 'running'",
                    [json.dumps(notes, ensure_ascii=False, default=str), run_id])
        abandoned.append(run_id)
    return abandoned
