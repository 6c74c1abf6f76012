"""What every command starts from: the settings the global callback made, and the database they
name, opened the way the command needs it (created, existing only, or read-only)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import typer

from sentiment.cli.output import console
from sentiment.settings import Settings, get_settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings of this invocation (the global ``--db`` applied), as the callback left them."""
    return ctx.obj if ctx.obj is not None else get_settings()


def open_writer(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A writer connection; for the commands that create a database (ingest, collect, demo)."""
    from sentiment.store import connect

    return connect(settings.db, timeout=settings.lock_timeout)


def open_existing(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The database of a command that needs one (classify, trends, brief, label but --import, forget): a
    missing file is a one-line error, exit 2, and nothing is created. ``read_only`` opens the
    published read copy (a reader never takes the writer lock; a busy file is one line too)."""
    from sentiment.store import DatabaseBusy, configured_timeout, connect
    from sentiment.store.runs import EXIT_FAILED, EXIT_USAGE

    if not Path(settings.db).exists():
        console.print(f"no database at {settings.db}: run `sentiment ingest PATH` or `sentiment demo` first, "
                      "or give the right file with --db", style="red", markup=False)
        raise typer.Exit(EXIT_USAGE)
    try:
        return connect(settings.db, read_only=read_only, timeout=configured_timeout(settings, read_only=read_only))
    except DatabaseBusy as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(EXIT_FAILED) from None


def open_if_exists(settings: Settings) -> duckdb.DuckDBPyConnection | None:
    """The database for reading the user's labels, or None when there is none yet."""
    return open_writer(settings) if settings.db.exists() else None
