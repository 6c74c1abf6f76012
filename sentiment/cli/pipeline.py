"""The pipeline's steps as commands: ingest, classify, trends, brief, and all of them as demo."""

from __future__ import annotations

import time
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.table import Table

from sentiment.cli.models import load_named_classifier
from sentiment.cli.output import console, print_skips, progress_bar
from sentiment.cli.session import open_existing, open_writer, settings_of
from sentiment.settings import LABELS, Settings, load_author_key


def _ingest(settings: Settings, con, paths: list[Path]):
    from sentiment.collect.files import ingest_paths
    from sentiment.sources.files import input_files

    files, _ = input_files(paths)
    started = time.perf_counter()
    with progress_bar() as progress:
        task = progress.add_task("ingest", total=len(files))
        report = ingest_paths(con, paths, author_key=load_author_key(settings),
                              on_file=lambda _: progress.advance(task), max_bytes=settings.page_max_bytes)
    d = report.documents
    console.print(
        f"ingest: {report.files} files, {d.n_in} documents read → {d.n_new} new, {d.n_updated} updated, "
        f"{d.n_unchanged} unchanged, {d.n_duplicate} exact duplicates dropped; "
        f"{report.events.n_new} new events ({time.perf_counter() - started:.1f}s)")
    print_skips(report.skipped, report.examples)
    for path, reason in report.failed_files.items():
        console.print(f"  could not read {path}: {reason}", style="red", markup=False)
    if report.failed_files:
        what = ("some files stored, some failed" if report.status == "partial" else "no file could be read")
        console.print(f"ingest: {report.status}: {what}; the next ingest or `collect files` reads them again",
                      style="red", markup=False)
    return report


def _classify(settings: Settings, con, classifier_name: str, dask: str | None = None) -> None:
    from sentiment.classify.run import classify_pending, count_pending

    started = time.perf_counter()
    with _dask_cluster(dask, settings) as client:  # checked before a model is loaded (or trained)
        classifier = load_named_classifier(classifier_name, settings)
        pending = count_pending(con, classifier.model_version)
        runner = None
        if client is not None:
            from sentiment.classify.cluster import dask_tables

            runner = dask_tables(client, classifier)
        with progress_bar() as progress:
            task = progress.add_task(f"classify ({classifier.model_version})", total=pending)
            report = classify_pending(con, classifier, batch_size=settings.batch_size,
                                      on_batch=lambda n: progress.advance(task, n), runner=runner)
    elapsed = time.perf_counter() - started
    console.print(f"classify: {report.n_classified} documents labelled by {report.model_version}"
                  f"{f', {report.n_skipped} skipped (empty text)' if report.n_skipped else ''}"
                  f" ({elapsed:.1f}s)")


@contextmanager
def _dask_cluster(dask: str | None, settings: Settings):
    """A checked client of the Dask cluster ``dask`` names (None: work in this process). A cluster
    that cannot take the work is one line, exit 2, before any run starts; a worker that refuses a
    batch fails the run (exit 1), keeping the batches stored before it."""
    if not dask:
        yield None
        return
    from sentiment.classify.cluster import ClusterError, dask_client
    from sentiment.classify.shipped import WrongModel
    from sentiment.store.runs import EXIT_FAILED, EXIT_USAGE

    with ExitStack() as stack:
        try:
            client = stack.enter_context(dask_client(dask, settings))
        except ClusterError as exc:
            console.print(f"classify: {exc}", style="red", markup=False, soft_wrap=True)
            raise typer.Exit(EXIT_USAGE) from None
        try:
            yield client
        except WrongModel as exc:
            console.print(f"classify: {exc}", style="red", markup=False, soft_wrap=True)
            raise typer.Exit(EXIT_FAILED) from None


def _refresh_trends(settings: Settings, con) -> None:
    from sentiment.insight.trends import refresh_trends, trend_counts, trend_options, undated_left_out

    started = time.perf_counter()
    rows = refresh_trends(con, **trend_options(settings))
    spikes, corrected = trend_counts(con)
    console.print(f"trends: shift tests and effect sizes for {rows} event/source pairs, {spikes} spikes "
                  f"({time.perf_counter() - started:.1f}s)")
    undated = undated_left_out(con)
    if undated:
        console.print(f"  {undated} classified documents without a date left out of every trend table "
                      "(see the undated_documents view)", markup=False)
    if corrected:
        console.print(f"  {corrected} event windows corrected by the audit (PPI++)")
    else:
        from sentiment.classify.registry import model_share_caveat
        from sentiment.store.writes import ACTIVE_MODEL_KEY, get_meta

        console.print(f"  {model_share_caveat(get_meta(con, ACTIVE_MODEL_KEY))}", style="yellow", markup=False)


def _window_cell(cell: dict, small: bool) -> str:
    """One stance's cell of a window row (see ``window_rows``): share (Wilson interval, %), ``*``
    when the window is too small to read, ``–`` when it is empty."""
    if cell["share"] is None:
        return "–"
    return f"{cell['share']:.0%} ({100 * cell['low']:.0f}–{100 * cell['high']:.0f})" + ("*" if small else "")


def _print_event_table(settings: Settings, con) -> None:
    from sentiment.insight.event_table import window_rows
    from sentiment.insight.trends import event_shift_table, event_window_table

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
        for w in window_rows(group, settings.min_window_n):
            out.add_row(w["window"], str(w["n"]), *(_window_cell(w["cells"][label], w["small"]) for label in LABELS))
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
    from sentiment.brief import brief_options, build_brief, write_brief

    md, html = write_brief(build_brief(con, week, **brief_options(settings)), out_dir or settings.briefs_dir)
    console.print(f"brief: wrote {md} and {html}")
    return md, html


def _check_week(week: str) -> str:
    from sentiment.brief import parse_week

    try:
        parse_week(week)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--week") from None
    return week


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: articles, thread snapshots, events.yaml.")],
) -> None:
    """Store seed articles, snapshot threads and events (re-running changes nothing).

    Exit code 0 when every file was stored, 3 when some could not be read, 1 when none could; a
    missing path is refused (exit 2) before anything is created."""
    from sentiment.sources.files import first_readable, input_files, missing_paths
    from sentiment.store.runs import EXIT_FAILED, EXIT_USAGE, exit_code

    settings = settings_of(ctx)
    missing = missing_paths(paths)
    if missing:
        console.print(f"no such file or folder: {', '.join(missing)}", style="red", markup=False)
        raise typer.Exit(EXIT_USAGE)
    if not settings.db.exists() and input_files(paths)[0] and first_readable(paths) is None:
        console.print(f"nothing readable in {', '.join(map(str, paths))}: no database created "
                      "(articles .txt/.html, Reddit or HN .json snapshots, events .yaml)", style="red", markup=False)
        raise typer.Exit(EXIT_FAILED)
    with open_writer(settings) as con:
        report = _ingest(settings, con, paths)
    raise typer.Exit(exit_code(report.status))


def classify(
    ctx: typer.Context,
    model: Annotated[Optional[str], typer.Option(
        help="ensemble, accurate, fast or baseline (default from settings: ensemble).")] = None,
    dask: Annotated[Optional[str], typer.Option(
        help="Compute the batches on Dask: a scheduler address (tcp://host:8786) or 'local' for a "
             "LocalCluster of SENTIMENT_DASK_WORKERS processes; this process alone writes the database.")] = None,
) -> None:
    """Label every stored comment, post and quote that has no stance from the current model."""
    from sentiment.classify.registry import available_classifiers

    settings = settings_of(ctx)
    name = model or settings.classifier
    if name not in available_classifiers():  # a bad option is refused before the database is needed
        raise typer.BadParameter(f"unknown classifier {name!r}; choose one of {', '.join(available_classifiers())}",
                                 param_hint="--model")
    with open_existing(settings) as con:
        _classify(settings, con, name, dask)


def trends(ctx: typer.Context) -> None:
    """Refresh the shift tests and print the event-window table."""
    settings = settings_of(ctx)
    with open_existing(settings) as con:
        _refresh_trends(settings, con)
        _print_event_table(settings, con)


def brief(
    ctx: typer.Context,
    week: Annotated[Optional[str], typer.Option(help="ISO week, e.g. 2026-W10 (default: last complete week).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default briefs/).")] = None,
) -> None:
    """Write the weekly brief as Markdown and self-contained HTML."""
    from sentiment.brief import last_complete_week

    settings = settings_of(ctx)
    week = _check_week(week or last_complete_week(date.today()))
    with open_existing(settings, read_only=True) as con:  # it only reads: the published copy
        _brief(settings, con, week, out)


def demo(
    ctx: typer.Context,
    seeds: Annotated[Optional[Path], typer.Option(help="Bundled data folder (default seeds/).")] = None,
    week: Annotated[Optional[str], typer.Option(help="Week to brief (default: the week of the latest event).")] = None,
) -> None:
    """Run every step on the bundled data: ingest, classify, trends, brief."""
    settings = settings_of(ctx)
    week = _check_week(week) if week is not None else None
    seeds = seeds or settings.seeds_dir
    if not seeds.is_dir():
        console.print(f"No bundled data at {seeds}: run from the repository root or pass --seeds.", style="red")
        raise typer.Exit(2)
    started = time.perf_counter()
    with open_writer(settings) as con:
        _ingest(settings, con, [seeds])
        _classify(settings, con, settings.demo_classifier)
        _demo_audit(con, seeds)
        _refresh_trends(settings, con)
        if week is None:
            from sentiment.brief.weeks import week_name
            from sentiment.store.summary import latest_event_day

            week = week_name(latest_event_day(con) or date.today())
        _brief(settings, con, week, None)
        from sentiment.store.summary import stored_counts

        documents, stances, events = stored_counts(con)
        console.print(f"database {settings.db}: {documents} documents, {stances} stances, "
                      f"{events} events ({time.perf_counter() - started:.1f}s)")
        _print_event_table(settings, con)


DEMO_AUDIT = 100


def _demo_audit(con, seeds: Path) -> None:
    """A seeded random audit of the demo threads, labelled from the stances they were written to
    express (``threads/intended_labels.jsonl``), so the demo's brief shows corrected shares."""
    import json

    from sentiment.classify.audit import audit_from_known_labels
    from sentiment.records import make_doc_id
    from sentiment.store.summary import audit_count

    gold_file = seeds / "threads" / "intended_labels.jsonl"
    if not gold_file.is_file() or audit_count(con):
        return
    rows = [json.loads(line) for line in gold_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    known = {make_doc_id(r["source"], r["external_id"]): r["label"] for r in rows}
    n = audit_from_known_labels(con, DEMO_AUDIT, known, seed=0)
    console.print(f"audit: {n} demo comments drawn at random and labelled from the threads' intended stances "
                  f"({gold_file.name}); `sentiment label --audit N` is how you audit your own data.")
