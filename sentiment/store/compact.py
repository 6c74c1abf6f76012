"""Rewrite a database file so that data deleted from it is gone from its bytes too.

DuckDB marks the blocks of deleted or overwritten rows free but does not clear them, so a text
removed by ``UPDATE``/``DELETE`` stays readable in the file (and in every copy of it) until the
space is reused. After a privacy deletion (``sentiment forget``) the file is therefore copied
table by table into a fresh file (``COPY FROM DATABASE``: schema, constraints, views and rows),
which replaces the old one; then the read-only copy is published from it.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from sentiment.settings import built_in
from sentiment.store.lock import acquire_writer, holds_writer, release_writer
from sentiment.store.snapshot import publish_file


def quoted_literal(value: str) -> str:
    """``value`` as an SQL string literal, for statements that cannot take parameters (ATTACH) or
    are printed for a user to run."""
    return "'" + value.replace("'", "''") + "'"


def quoted_identifier(value: str) -> str:
    """``value`` as a quoted SQL identifier."""
    return '"' + value.replace('"', '""') + '"'


def rewrite_database(path: str | Path, timeout: float | None = None) -> None:
    """Copy ``path`` into a fresh file, put it in place and publish the read-only copy.

    Takes the writer lock (waiting up to ``timeout``, default ``lock_timeout``'s built-in value; entry points pass
    the configured one); the
    calling process must not hold a writer connection to the file (close it first).
    """
    from sentiment.store.db import open_writer

    path = Path(path)
    if timeout is None:
        timeout = built_in("lock_timeout")
    if holds_writer(path):
        raise RuntimeError(f"close the writer connection to {path} before rewriting it")
    deadline = time.monotonic() + timeout
    acquire_writer(path, timeout)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.rewrite")
    try:
        fresh.unlink(missing_ok=True)
        con = open_writer(path, {"autoinstall_known_extensions": False}, deadline)
        try:
            name = con.execute("SELECT current_database()").fetchone()[0]
            con.execute(f"ATTACH {quoted_literal(str(fresh))} AS _fresh")
            con.execute(f"COPY FROM DATABASE {quoted_identifier(name)} TO _fresh")
            con.execute("DETACH _fresh")
        finally:
            con.close()
        shutil.copymode(path, fresh)
        os.replace(fresh, path)
        publish_file(path)
    finally:
        fresh.unlink(missing_ok=True)
        release_writer(path, publish=False, on_last_release=lambda _: None)
