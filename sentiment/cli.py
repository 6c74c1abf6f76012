"""The ``sentiment`` command: each pipeline step alone, or all of them on the bundled data.

Thin by design: it parses options, opens the database, shows progress, and calls the library.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sentiment.settings import LABELS, Settings, get_settings, load_author_key

app = typer.Typer(help="Community stance pipeline: collect → store → classify → trends → brief.",
                  no_args_is_help=True, add_completion=False)
console = Console()


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option(
        "--db", envvar="SENTIMENT_DB", help="DuckDB file (default data/sentiment.duckdb).")] = None,
) -> None:
    """Community stance pipeline."""
    settings = get_settings()
    ctx.obj = settings.model_copy(update={"db": db}) if db else settings


def _open(settings: Settings):
    from sentiment.store import connect

    return connect(settings.db)


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _ingest(settings: Settings, con, paths: list[Path]) -> None:
    from sentiment.ingest import collect_files, ingest_paths

    files, _ = collect_files(paths)
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("ingest", total=len(files))
        report = ingest_paths(con, paths, author_key=load_author_key(settings),
                              on_file=lambda _: progress.advance(task))
    d = report.documents
    console.print(
        f"ingest: {report.files} files, {d.n_in} documents read → {d.n_new} new, {d.n_updated} updated, "
        f"{d.n_unchanged} unchanged, {d.n_duplicate} exact duplicates dropped; "
        f"{report.events.n_new} new events ({time.perf_counter() - started:.1f}s)")
    for reason, count in sorted(report.skipped.items()):
        console.print(f"  skipped {count}: {reason}", style="yellow", markup=False)
    for path, reason in report.failed_files.items():
        console.print(f"  could not read {path}: {reason}", style="red", markup=False)


def _classify(settings: Settings, con, classifier_name: str) -> None:
    from sentiment.classify import load_classifier
    from sentiment.classify.run import classify_pending, count_pending

    try:
        classifier = load_classifier(classifier_name)
    except ValueError as exc:  # the registry names the choices
        raise typer.BadParameter(str(exc), param_hint="--model") from None
    pending = count_pending(con, classifier.model_version)
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task(f"classify ({classifier.model_version})", total=pending)
        report = classify_pending(con, classifier, batch_size=settings.batch_size,
                                  on_batch=lambda n: progress.advance(task, n))
    elapsed = time.perf_counter() - started
    console.print(f"classify: {report.n_classified} documents labelled by {report.model_version}"
                  f"{f', {report.n_skipped} skipped (empty text)' if report.n_skipped else ''}"
                  f" ({elapsed:.1f}s)")


def _refresh_trends(settings: Settings, con) -> None:
    from sentiment.trends import refresh_trends

    rows = refresh_trends(con, min_n=settings.min_window_n)
    console.print(f"trends: shift tests refreshed for {rows} event/source pairs")


def _print_event_table(settings: Settings, con) -> None:
    from sentiment.trends import event_shift_table, event_window_table

    table = event_window_table(con)
    shifts = event_shift_table(con)
    if table.empty:
        console.print("No events yet: ingest an events file (see seeds/events.yaml).", style="yellow")
        return
    for event_id, group in table.groupby("event_id", sort=False):
        first = group.iloc[0]
        out = Table(title=f"{first.event} ({first.occurred_at:%Y-%m-%d})", title_justify="left",
                    box=box.SIMPLE_HEAD)
        out.add_column("days")
        out.add_column("n", justify="right")
        for label in LABELS:
            out.add_column(label, justify="right")
        for window, rows in group.groupby("window", sort=False):
            r0 = rows.iloc[0]
            cells = []
            for r in rows.itertuples():
                small = r.n_window < settings.min_window_n
                cells.append("–" if r.n_window == 0 else
                             f"{r.share:.0%} ({100 * r.ci_low:.0f}–{100 * r.ci_high:.0f})" + ("*" if small else ""))
            out.add_row(window, str(int(r0.n_window)), *cells)
        console.print(out)
        overall = shifts[(shifts.event_id == event_id) & (shifts.source == "all")]
        if not overall.empty and overall.iloc[0].p_value == overall.iloc[0].p_value:
            s = overall.iloc[0]
            note = ", small sample" if s.small_sample else ""
            console.print(f"  -7..-1 vs 0..+6: n {s.n_before} → {s.n_after}, chi² p = {s.p_value:.3g}, "
                          f"largest move {s.largest_change_label} {s.largest_change_pp:+.1f} pp{note}")
    console.print("[dim]share (Wilson 95% interval, %); * = window under "
                  f"{settings.min_window_n} documents, too small to read[/dim]")


def _brief(settings: Settings, con, week: str, out_dir: Path | None) -> tuple[Path, Path]:
    from sentiment.brief import build_brief, write_brief

    md, html = write_brief(build_brief(con, week), out_dir or settings.briefs_dir)
    console.print(f"brief: wrote {md} and {html}")
    return md, html


def _check_week(week: str) -> str:
    from sentiment.brief import parse_week

    try:
        parse_week(week)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--week") from None
    return week


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: articles, thread snapshots, events.yaml.")],
) -> None:
    """Store seed articles, snapshot threads and events (re-running changes nothing)."""
    settings = _settings(ctx)
    with _open(settings) as con:
        _ingest(settings, con, paths)


@app.command()
def classify(
    ctx: typer.Context,
    model: Annotated[Optional[str], typer.Option(help="Classifier to use (default from settings).")] = None,
) -> None:
    """Label every stored comment, post and quote that has no stance from the current model."""
    settings = _settings(ctx)
    with _open(settings) as con:
        _classify(settings, con, model or settings.classifier)


@app.command()
def trends(ctx: typer.Context) -> None:
    """Refresh the shift tests and print the event-window table."""
    settings = _settings(ctx)
    with _open(settings) as con:
        _refresh_trends(settings, con)
        _print_event_table(settings, con)


@app.command()
def brief(
    ctx: typer.Context,
    week: Annotated[Optional[str], typer.Option(help="ISO week, e.g. 2026-W10 (default: last complete week).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default briefs/).")] = None,
) -> None:
    """Write the weekly brief as Markdown and self-contained HTML."""
    from sentiment.brief import last_complete_week

    settings = _settings(ctx)
    week = _check_week(week or last_complete_week(date.today()))
    with _open(settings) as con:
        _brief(settings, con, week, out)


@app.command()
def demo(
    ctx: typer.Context,
    seeds: Annotated[Optional[Path], typer.Option(help="Bundled data folder (default seeds/).")] = None,
    week: Annotated[Optional[str], typer.Option(help="Week to brief (default: the week of the latest event).")] = None,
) -> None:
    """Run every step on the bundled data: ingest, classify, trends, brief."""
    settings = _settings(ctx)
    week = _check_week(week) if week is not None else None
    seeds = seeds or settings.seeds_dir
    if not seeds.is_dir():
        console.print(f"No bundled data at {seeds}: run from the repository root or pass --seeds.", style="red")
        raise typer.Exit(2)
    started = time.perf_counter()
    with _open(settings) as con:
        _ingest(settings, con, [seeds])
        _classify(settings, con, settings.classifier)
        _refresh_trends(settings, con)
        if week is None:
            from sentiment.brief.render import week_name

            latest = con.execute("SELECT max(occurred_at) FROM events").fetchone()[0]
            week = week_name(latest or date.today())
        _brief(settings, con, week, None)
        counts = con.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM stances), "
            "(SELECT count(*) FROM events)").fetchone()
        console.print(f"database {settings.db}: {counts[0]} documents, {counts[1]} stances, "
                      f"{counts[2]} events ({time.perf_counter() - started:.1f}s)")
        _print_event_table(settings, con)


from sentiment.cli_collect import collect_app  # noqa: E402 - the collect sub-app (issue 5)
app.add_typer(collect_app, name="collect")

if __name__ == "__main__":
    app()
