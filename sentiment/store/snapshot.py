"""The published read-only copy that readers open, so they never hold the file a writer needs.

A DuckDB file open for reading in one process cannot be opened for writing by another (and vice
versa). Dashboards, the brief and ad-hoc queries therefore read ``<name>.read.duckdb`` beside the
database: a checkpointed copy that the last writer publishes when it lets go of the writer lock.
The copy is written to a temporary file and renamed over the old one, so a reader sees either the
previous state or the new one, never half of each; a reader that still has the old copy open
keeps reading it undisturbed. A writer killed mid-copy leaves only its temporary file, which the
next publisher removes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def snapshot_path(db: Path) -> Path:
    """Where readers find the published copy (``data/sentiment.duckdb`` -> ``data/sentiment.read.duckdb``)."""
    return db.with_name(f"{db.stem}.read{db.suffix or '.duckdb'}")


def is_read_copy(path: Path) -> bool:
    """Whether ``path`` is a published read copy (``*.read.duckdb``) rather than a database a
    writer owns: readers open such a file as it is, never lock it and never publish from it."""
    return Path(path).stem.endswith(".read")


def publish_file(db: Path) -> Path:
    """Copy ``db`` to its snapshot path atomically. The caller holds the writer lock and has
    checkpointed and closed every connection, so the file alone is the whole database."""
    wal = db.with_name(db.name + ".wal")
    if wal.exists():  # pragma: no cover - a connection outside ``connect`` is still writing
        raise RuntimeError(f"{db} has an un-checkpointed write-ahead log; not publishing a partial copy")
    target = snapshot_path(db)
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        leftover.unlink(missing_ok=True)  # a publisher killed mid-copy; only lock holders publish
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(db, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def is_stale(db: Path) -> bool:
    """Whether the snapshot is missing or older than the database file or its write-ahead log.

    Commits land in the log first; a writer that was killed before its checkpoint leaves them
    only there, so the log's age counts too."""
    target = snapshot_path(db)
    if not target.exists():
        return True
    wal = db.with_name(db.name + ".wal")
    changed = max((p.stat().st_mtime_ns for p in (db, wal) if p.exists()), default=0)
    return target.stat().st_mtime_ns < changed
