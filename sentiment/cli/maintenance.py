"""Commands that look after the database: ``doctor`` checks it, ``forget`` removes an author."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from sentiment.cli.output import console
from sentiment.cli.session import open_existing, settings_of
from sentiment.settings import load_author_key


def doctor(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option("--db", help="DuckDB file to check (default: the global --db).")] = None,
    migrate: Annotated[bool, typer.Option(
        "--migrate", help="Apply missing migrations first (opens the file for writing).")] = False,
) -> None:
    """Check a database read-only: schema version, orphaned rows, outdated stances, pending work,
    failed or stuck runs; print what to do. Exit code 1 when something needs action."""
    from sentiment.maintenance.doctor import check_database
    from sentiment.store import connect, schema_version
    from sentiment.store.runs import EXIT_USAGE

    path = db or settings_of(ctx).db
    if migrate:
        if not Path(path).exists():
            console.print(f"no database at {path}", style="red", markup=False)
            raise typer.Exit(EXIT_USAGE)
        with connect(path, timeout=settings_of(ctx).lock_timeout) as con:  # a writer connection migrates on open
            console.print(f"migrated {path}: schema version {schema_version(con)}", markup=False)
    try:
        report = check_database(path)
    except FileNotFoundError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    styles = {"ok": "green", "info": "cyan", "action": "bold red"}
    findings = Table(title=f"sentiment doctor: {report.checked}", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("check", "status", "finding", "what to do"):
        findings.add_column(column, overflow="fold")
    for f in report.findings:
        findings.add_row(f.check, f"[{styles[f.status]}]{f.status}[/]", escape(f.detail), escape(f.fix or ""))
    console.print(findings)
    if report.steps:
        steps = Table(title="runs per step", title_justify="left", box=box.SIMPLE_HEAD)
        for column in ("step", "runs", "last status", "last started (UTC)", "in", "new", "skipped", "failed",
                       "running"):
            steps.add_column(column, justify="left" if column in ("step", "last status") else "right")
        for s in report.steps:
            steps.add_row(escape(s.step), str(s.runs), s.last_status,
                          f"{s.last_started:%Y-%m-%d %H:%M}" if s.last_started else "", *(
                              "" if v is None else str(v)
                              for v in (s.last_n_in, s.last_n_new, s.last_n_skipped, s.failed, s.running)))
        console.print(steps)
    if report.healthy:
        console.print("healthy: nothing to do", style="green")
    else:
        n = sum(f.status == "action" for f in report.findings)
        console.print(f"{n} finding(s) need action: run the commands in 'what to do'", style="red")
        raise typer.Exit(1)


def forget(
    ctx: typer.Context,
    author: Annotated[str, typer.Option(help="The user name as the site spells it (a u/ prefix is dropped).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Forget an author on request: their texts, stances and labels go, and are never stored again."""
    from sentiment.store.compact import rewrite_database
    from sentiment.insight.trends import trend_options
    from sentiment.maintenance.forget import author_key_hash, count_documents, forget_author

    settings = settings_of(ctx)
    if not settings.author_key and not settings.author_key_file.exists():
        console.print(f"No author key at {settings.author_key_file} (nor SENTIMENT_AUTHOR_KEY): the stored hashes "
                      "were made with a key that is not here, so no author can be found.", style="red", markup=False)
        raise typer.Exit(2)
    key = load_author_key(settings)
    try:
        who = author_key_hash(author, key)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--author") from None
    with open_existing(settings) as con:
        n = count_documents(con, who)
        if not yes and not typer.confirm(f"Empty {n} stored documents of author {who}, delete their stances and "
                                         "labels, and store none of their text again?"):
            raise typer.Exit(1)
        report = forget_author(con, author, key, **trend_options(settings))
    if report.documents:
        rewrite_database(settings.db, settings.lock_timeout)  # deleted text must not survive in the file's free blocks
    # The name is never echoed (terminal logs); the hash identifies the request in `runs`.
    console.print(f"forget: author {report.author_hash}: {report.documents} documents emptied (kept as "
                  f"tombstones so replies keep their thread), {report.stances} stances and {report.labels} "
                  "labels deleted; later collection stores none of their text."
                  + (" Trend tables refreshed, database file rewritten." if report.documents else ""),
                  markup=False)
    if report.documents == 0:
        console.print("No stored documents by this name (names match exactly, case included); "
                      "it is blocked from now on all the same.", style="yellow")
