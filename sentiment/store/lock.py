"""The writer lock: one process writes a database file at a time, the others wait their turn.

DuckDB lets a single process open a file for writing, and a second process that tries fails at
once. Writers therefore take an advisory file lock beside the database (``<db>.lock``) and wait
for it, so two flows (or a flow and a CLI command) started together run their write steps one
after the other instead of crashing. Inside one process the lock is shared and counted: DuckDB
itself serialises connections of one process, and nested ``connect`` calls must not deadlock.
"""

from __future__ import annotations

import fcntl
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout


class DatabaseBusy(TimeoutError):
    """The writer lock (or DuckDB's own file lock) was not free within the timeout."""


def lock_path(db: Path) -> Path:
    """The lock file of database ``db`` (``data/sentiment.duckdb`` -> ``data/sentiment.duckdb.lock``)."""
    return db.with_name(db.name + ".lock")


@dataclass
class _Held:
    lock: FileLock
    count: int = 0
    publish: bool = False


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


def acquire_writer(db: Path, timeout: float) -> None:
    """Wait up to ``timeout`` seconds for the writer lock of ``db`` (re-entrant within a process)."""
    key = db.resolve()
    with _guard:
        held = _held.get(key)
        if held is None:
            lock = FileLock(str(lock_path(key)), thread_local=False)
            try:
                lock.acquire(timeout=timeout)
            except Timeout:
                raise DatabaseBusy(
                    f"{db} is being written by another process: waited {timeout:.0f}s for "
                    f"{lock_path(db)} (raise SENTIMENT_LOCK_TIMEOUT to wait longer)"
                ) from None
            held = _held[key] = _Held(lock)
        held.count += 1


def release_writer(db: Path, *, publish: bool, on_last_release) -> None:
    """Give back one hold; the last one calls ``on_last_release(publish_requested)`` before unlocking."""
    key = db.resolve()
    with _guard:
        held = _held[key]
        held.count -= 1
        held.publish = held.publish or publish
        if held.count > 0:
            return
        try:
            on_last_release(held.publish)
        finally:
            del _held[key]
            held.lock.release()


def holds_writer(db: Path) -> bool:
    """Whether this process currently holds the writer lock of ``db``."""
    with _guard:
        return db.resolve() in _held


def writer_busy(db: Path) -> bool:
    """Whether a writer (this process or another) holds the writer lock of ``db`` right now,
    found without creating or writing anything (``sentiment doctor`` must not write)."""
    if holds_writer(db):
        return True
    try:
        fd = os.open(lock_path(db), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
