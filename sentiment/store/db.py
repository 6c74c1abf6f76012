"""Open a DuckDB file and bring its schema up to date.

Migrations are the numbered ``migrations/NNN_name.sql`` files, applied in order inside one
transaction each and recorded in ``schema_version``; the public views are recreated after them.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from importlib import resources
from pathlib import Path

import duckdb

from sentiment.settings import Settings, built_in
from sentiment.store.clock import utcnow
from sentiment.store.lock import DatabaseBusy, acquire_writer, release_writer
from sentiment.store.snapshot import is_read_copy, is_stale, publish_file, snapshot_path

_VIEWS_KEY = "views_sha256"
_MIGRATING = threading.Lock()
"""Writers of one process share the writer lock, so two threads (a flow's concurrent collect
tasks) could migrate a new file at once and collide in DuckDB's catalog; they take turns here."""
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("sentiment.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    """The schema version this code expects."""
    return migrations()[-1][0]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file (0 for an empty file)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations and recreate the views; returns the migrations applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, sql in migrations():
        # Any migration not recorded yet runs, in number order; so one merged in below the
        # recorded maximum is not skipped.
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [version, name, utcnow()])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    views = (resources.files("sentiment.store") / "views.sql").read_text(encoding="utf-8")
    digest = hashlib.sha256(views.encode("utf-8")).hexdigest()
    if applied or con.execute("SELECT value FROM meta WHERE key = ?", [_VIEWS_KEY]).fetchall() != [(digest,)]:
        con.execute(views)  # only when they changed: every writer connection passes here
        con.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [_VIEWS_KEY, digest])
    return applied


class WriterConnection:
    """A DuckDB connection that holds the database's writer lock until it is closed.

    It behaves as the ``duckdb.DuckDBPyConnection`` it wraps (every attribute is forwarded) and is
    a context manager. When the last writer of this process closes, the file is checkpointed and,
    if any of them asked to, published as the read-only copy (see ``sentiment.store.snapshot``).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, publish: bool) -> None:
        self._con = con
        self._path = path
        self._publish = publish
        self._closed = False

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def __enter__(self) -> "WriterConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection and give back the writer lock (publishing the snapshot if last)."""
        if self._closed:
            return
        self._closed = True
        path, con = self._path, self._con

        def last_release(publish: bool) -> None:
            if publish and not con_failed:
                con.execute("CHECKPOINT")
            con.close()
            if publish and not con_failed:
                publish_file(path)

        con_failed = False
        try:
            con.execute("SELECT 1").fetchall()
        except duckdb.Error:  # an invalidated connection cannot be checkpointed; nothing to publish
            con_failed = True
        try:
            release_writer(path, publish=self._publish, on_last_release=last_release)
        finally:
            con.close()


def open_writer(path: Path, config: dict, deadline: float) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` for writing, waiting while a process outside ``connect`` holds the file
    (an ad-hoc ``duckdb`` shell, a dashboard opened on the main file)."""
    delay = 0.1
    while True:
        try:
            return duckdb.connect(str(path), config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() + delay > deadline:
                raise DatabaseBusy(f"{path} is held open by another process: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def configured_timeout(settings: Settings, *, read_only: bool = False) -> float:
    """The wait ``settings`` give a reader (``reader_wait``) or a writer (``lock_timeout``): what
    entry points pass to ``connect``."""
    return settings.reader_wait if read_only else settings.lock_timeout


def connect(
    path: str | Path, *, read_only: bool = False, publish: bool = True, timeout: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the database at ``path``: writers wait for the writer lock, readers get the snapshot.

    Writers (the default) wait up to ``timeout`` seconds (default: ``lock_timeout``'s built-in value;
    entry points pass the configured ``SENTIMENT_LOCK_TIMEOUT``, see ``configured_timeout``) for
    the lock beside the file, then create and migrate it (and mark runs whose process died as
    abandoned, see ``store.runs``); closing the connection releases the lock
    and, unless ``publish=False``, refreshes the read-only copy. Readers (``read_only=True``) open
    that copy, never the file a writer needs; a missing or stale copy is refreshed first when no
    writer is busy. A reader given the published copy itself (``*.read.duckdb``) opens it as it
    is: it never takes a lock on it and never publishes from it. Readers wait at most ``timeout``
    seconds (default: ``reader_wait``'s built-in value, a few seconds), then raise ``DatabaseBusy`` (a
    file held for writing by another process, nothing published yet) or ``FileNotFoundError``, each
    one line. Extensions are never downloaded: the pipeline makes no network calls of its own.
    """
    path = Path(path)
    config = {"autoinstall_known_extensions": False}
    if timeout is None:
        timeout = built_in("reader_wait") if read_only else built_in("lock_timeout")
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"no database at {path}: run `sentiment ingest` or `sentiment demo` first")
        if is_read_copy(path):
            return _open_reader(path, config, time.monotonic() + timeout)
        if is_stale(path):
            try:
                _refresh_snapshot(path, wait=0 if snapshot_path(path).exists() else timeout)
            except DatabaseBusy:
                if not snapshot_path(path).exists():
                    raise DatabaseBusy(f"{path} is being written and no read copy has been published yet; "
                                       "try again when the run finishes") from None
                # a writer is busy and will publish when it finishes; read the last copy
        return _open_reader(snapshot_path(path), config, time.monotonic() + timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    acquire_writer(path, timeout)
    try:
        con = open_writer(path, config, deadline)
    except BaseException:
        release_writer(path, publish=False, on_last_release=lambda _: None)
        raise
    writer = WriterConnection(con, path, publish)
    try:
        from sentiment.store.runs import abandon_dead_runs

        with _MIGRATING:
            migrate(con)
            abandon_dead_runs(con)  # we hold the writer lock: a killed run's row can be closed now
    except BaseException:
        writer._publish = False
        writer.close()
        raise
    return writer


def _open_reader(path: Path, config: dict, deadline: float) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect(read_only=True)``, waiting until ``deadline`` while another process holds
    the file for writing, then ``DatabaseBusy`` in one line (never a DuckDB traceback)."""
    delay = 0.1
    while True:
        try:
            return duckdb.connect(str(path), read_only=True, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() + delay > deadline:
                raise DatabaseBusy(f"{path} is held open for writing by another process; "
                                   "readers open the published copy (*.read.duckdb)") from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _refresh_snapshot(path: Path, wait: float) -> None:
    """Publish the snapshot now if the writer lock is free within ``wait`` seconds."""
    try:
        acquire_writer(path, wait)
    except DatabaseBusy:
        if snapshot_path(path).exists():
            return  # a writer is busy and will publish when it finishes; read the last copy
        raise
    try:
        con = open_writer(path, {"autoinstall_known_extensions": False}, time.monotonic() + min(max(wait, 1), 5))
    except BaseException:
        release_writer(path, publish=False, on_last_release=lambda _: None)
        raise
    WriterConnection(con, path, publish=True).close()
