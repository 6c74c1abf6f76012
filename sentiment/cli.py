"""The ``sentiment`` command: each pipeline step alone, or all of them on the bundled data.

Thin by design: it parses options, opens the database, shows progress, and calls the library.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sentiment.settings import LABELS, Settings, get_settings, load_author_key

# Tracebacks never show local variables: they hold the author key and settings.
app = typer.Typer(help="Community stance pipeline: collect → store → classify → trends → brief.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False)
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
    _configure_logging(settings.log_level)


class _StderrHandler(logging.StreamHandler):
    """Log records on whatever ``sys.stderr`` is when they are written (test runners swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure_logging(level: str) -> None:
    """The library's log (logger ``sentiment``) on stderr at ``level`` (``SENTIMENT_LOG_LEVEL``)."""
    logger = logging.getLogger("sentiment")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    try:
        logger.setLevel(level.upper())
    except ValueError:
        raise typer.BadParameter(f"unknown log level {level!r}; use DEBUG, INFO, WARNING or ERROR",
                                 param_hint="SENTIMENT_LOG_LEVEL") from None


def _open(settings: Settings):
    """A writer connection; for the commands that create a database (ingest, collect, demo)."""
    from sentiment.store import connect

    return connect(settings.db, timeout=settings.lock_timeout)


def _open_existing(settings: Settings, *, read_only: bool = False):
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


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _ingest(settings: Settings, con, paths: list[Path]):
    from sentiment.collect.files import ingest_paths
    from sentiment.sources.files import input_files

    files, _ = input_files(paths)
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("ingest", total=len(files))
        report = ingest_paths(con, paths, author_key=load_author_key(settings),
                              on_file=lambda _: progress.advance(task), max_bytes=settings.page_max_bytes)
    d = report.documents
    console.print(
        f"ingest: {report.files} files, {d.n_in} documents read → {d.n_new} new, {d.n_updated} updated, "
        f"{d.n_unchanged} unchanged, {d.n_duplicate} exact duplicates dropped; "
        f"{report.events.n_new} new events ({time.perf_counter() - started:.1f}s)")
    for reason, count in sorted(report.skipped.items()):
        named = report.examples.get(reason)
        console.print(f"  skipped {count}: {reason}" + (f" (e.g. {', '.join(named)})" if named else ""),
                      style="yellow", markup=False)
    for path, reason in report.failed_files.items():
        console.print(f"  could not read {path}: {reason}", style="red", markup=False)
    if report.failed_files:
        what = ("some files stored, some failed" if report.status == "partial" else "no file could be read")
        console.print(f"ingest: {report.status}: {what}; the next ingest or `collect files` reads them again",
                      style="red", markup=False)
    return report


class _TrainingProgress:
    """Rich progress for a training run: one bar per phase (cache, train, evaluate, export)."""

    def __init__(self, progress: Progress, title: str) -> None:
        self.progress, self.title, self.tasks = progress, title, {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = self.progress.add_task(f"{self.title}: {phase}", total=total)
        self.progress.update(self.tasks[phase], completed=done, total=total)


def _load_classifier(classifier_name: str, settings: Settings):
    """The named classifier; a preset this machine has not trained yet is trained first."""
    from sentiment.classify import load_classifier

    with _progress() as progress:
        try:
            return load_classifier(classifier_name, settings,
                                   on_progress=_TrainingProgress(progress, f"train {classifier_name}"))
        except ValueError as exc:  # the registry names the choices
            raise typer.BadParameter(str(exc), param_hint="--model") from None


def _classify(settings: Settings, con, classifier_name: str, dask: str | None = None) -> None:
    from sentiment.classify.run import classify_pending, count_pending

    started = time.perf_counter()
    with _dask_cluster(dask, settings) as client:  # checked before a model is loaded (or trained)
        classifier = _load_classifier(classifier_name, settings)
        pending = count_pending(con, classifier.model_version)
        runner = None
        if client is not None:
            from sentiment.classify.cluster import dask_tables

            runner = dask_tables(client, classifier)
        with _progress() as progress:
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
    from sentiment.insight.trends import refresh_trends, trend_options

    started = time.perf_counter()
    rows = refresh_trends(con, **trend_options(settings))
    spikes, corrected = con.execute(
        "SELECT (SELECT count(*) FROM spikes), "
        "(SELECT count(DISTINCT (event_id, \"window\")) FROM adjusted_shares WHERE method = 'ppi' AND source = 'all')"
    ).fetchone()
    console.print(f"trends: shift tests and effect sizes for {rows} event/source pairs, {spikes} spikes "
                  f"({time.perf_counter() - started:.1f}s)")
    from sentiment.insight.trends import undated_left_out

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


def _print_event_table(settings: Settings, con) -> None:
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


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: articles, thread snapshots, events.yaml.")],
) -> None:
    """Store seed articles, snapshot threads and events (re-running changes nothing).

    Exit code 0 when every file was stored, 3 when some could not be read, 1 when none could; a
    missing path is refused (exit 2) before anything is created."""
    from sentiment.sources.files import first_readable, input_files, missing_paths
    from sentiment.store.runs import EXIT_FAILED, EXIT_USAGE, exit_code

    settings = _settings(ctx)
    missing = missing_paths(paths)
    if missing:
        console.print(f"no such file or folder: {', '.join(missing)}", style="red", markup=False)
        raise typer.Exit(EXIT_USAGE)
    if not settings.db.exists() and input_files(paths)[0] and first_readable(paths) is None:
        console.print(f"nothing readable in {', '.join(map(str, paths))}: no database created "
                      "(articles .txt/.html, Reddit or HN .json snapshots, events .yaml)", style="red", markup=False)
        raise typer.Exit(EXIT_FAILED)
    with _open(settings) as con:
        report = _ingest(settings, con, paths)
    raise typer.Exit(exit_code(report.status))


@app.command()
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

    settings = _settings(ctx)
    name = model or settings.classifier
    if name not in available_classifiers():  # a bad option is refused before the database is needed
        raise typer.BadParameter(f"unknown classifier {name!r}; choose one of {', '.join(available_classifiers())}",
                                 param_hint="--model")
    with _open_existing(settings) as con:
        _classify(settings, con, name, dask)


@app.command()
def trends(ctx: typer.Context) -> None:
    """Refresh the shift tests and print the event-window table."""
    settings = _settings(ctx)
    with _open_existing(settings) as con:
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
    with _open_existing(settings, read_only=True) as con:  # it only reads: the published copy
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
        _classify(settings, con, settings.demo_classifier)
        _demo_audit(con, seeds)
        _refresh_trends(settings, con)
        if week is None:
            from sentiment.brief.weeks import week_name

            latest = con.execute("SELECT max(occurred_at) FROM events").fetchone()[0]
            week = week_name(latest or date.today())
        _brief(settings, con, week, None)
        counts = con.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM stances), "
            "(SELECT count(*) FROM events)").fetchone()
        console.print(f"database {settings.db}: {counts[0]} documents, {counts[1]} stances, "
                      f"{counts[2]} events ({time.perf_counter() - started:.1f}s)")
        _print_event_table(settings, con)


DEMO_AUDIT = 100


def _demo_audit(con, seeds: Path) -> None:
    """A seeded random audit of the demo threads, labelled from the stances they were written to
    express (``threads/intended_labels.jsonl``), so the demo's brief shows corrected shares."""
    import json

    from sentiment.classify.audit import audit_from_known_labels
    from sentiment.records import make_doc_id

    gold_file = seeds / "threads" / "intended_labels.jsonl"
    if not gold_file.is_file() or con.execute("SELECT count(*) FROM audits").fetchone()[0]:
        return
    rows = [json.loads(line) for line in gold_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    known = {make_doc_id(r["source"], r["external_id"]): r["label"] for r in rows}
    n = audit_from_known_labels(con, DEMO_AUDIT, known, seed=0)
    console.print(f"audit: {n} demo comments drawn at random and labelled from the threads' intended stances "
                  f"({gold_file.name}); `sentiment label --audit N` is how you audit your own data.")


Preset = Annotated[str, typer.Option("--preset", help="accurate (mpnet) or fast (MiniLM).")]


def _check_preset(name: str) -> str:
    from sentiment.classify.presets import PRESET_NAMES

    if name not in PRESET_NAMES:
        raise typer.BadParameter(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}",
                                 param_hint="--preset")
    return name


def _open_if_exists(settings: Settings):
    """The database for reading the user's labels, or None when there is none yet."""
    return _open(settings) if settings.db.exists() else None


@app.command()
def train(
    ctx: typer.Context,
    preset: Preset = "accurate",
    teacher_out: Annotated[Optional[Path], typer.Option(
        help="After training accurate, also write its probabilities on the training data here "
             "(the file the fast preset distils from).")] = None,
) -> None:
    """Fine-tune a preset on the bundled labels plus your own; writes models/<preset>/."""
    from sentiment.classify.lifecycle import model_dir, train_preset, write_teacher

    settings = _settings(ctx)
    _check_preset(preset)
    con = _open_if_exists(settings)
    try:
        with _progress() as progress:
            card = train_preset(preset, settings, con=con, on_progress=_TrainingProgress(progress, f"train {preset}"))
    finally:
        if con is not None:
            con.close()
    dev = card.get("dev") or {}
    console.print(f"trained {card['stored_version']} in {card['train_seconds']} s on {card['n_train']} examples "
                  f"→ {model_dir(settings, preset)}")
    console.print(f"dev ({card['n_dev']} examples, held-out events): macro-F1 {dev.get('macro_f1')}, "
                  f"ECE {card['ece_uncalibrated']} → {card['ece']} (temperature {card['temperature']:.2f}), "
                  f"ONNX int8 agreement {card.get('onnx_int8_agreement')}")
    if teacher_out:
        n = write_teacher(settings, teacher_out)
        console.print(f"wrote the accurate model's probabilities for {n} training examples to {teacher_out}")


def _scores_table(title: str, scores) -> Table:
    out = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    out.add_column("true \\ predicted")
    for label in LABELS:
        out.add_column(label, justify="right")
    out.add_column("F1", justify="right")
    for label, row in zip(LABELS, scores.confusion):
        out.add_row(label, *(str(x) for x in row), f"{scores.per_label_f1[label]:.3f}")
    return out


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    files: Annotated[Optional[list[Path]], typer.Argument(
        help="Labelled JSONL files (text, label, optional thread_title); default: the dev split.")] = None,
    model: Annotated[Optional[str], typer.Option(
        help="ensemble, accurate, fast or baseline (default: the configured classifier).")] = None,
) -> None:
    """Macro-F1, per-label F1 and the confusion matrix of a model on labelled comments."""
    import numpy as np

    from sentiment.classify.examples import bundled_examples, read_labelled_jsonl
    from sentiment.classify.jsonl import LabelFileError
    from sentiment.classify.metrics import score

    try:
        sets = [(str(f), read_labelled_jsonl(f)) for f in files] if files else [("dev split", bundled_examples("dev"))]
    except (LabelFileError, OSError) as exc:
        raise typer.BadParameter(str(exc), param_hint="FILES") from None
    classifier = _load_classifier(model or _settings(ctx).classifier, _settings(ctx))
    for name, examples in sets:
        preds = classifier.predict([e.text for e in examples], [e.thread_title for e in examples])
        scores = score([e.label for e in examples], np.array([p.probs for p in preds]))
        console.print(_scores_table(f"{classifier.model_version} on {name}", scores))
        auroc = "n/a" if scores.confidence_auroc is None else f"{scores.confidence_auroc:.3f}"
        console.print(f"n {scores.n}, macro-F1 {scores.macro_f1:.3f}, accuracy {scores.accuracy:.3f}, "
                      f"ECE {scores.ece:.3f}, confidence AUROC (right vs wrong) {auroc}")


@app.command("classify-file")
def classify_file(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="JSONL input: id, text, optional thread_title per line.")],
    target: Annotated[Path, typer.Argument(help="JSONL output: id, label, confidence, scores, model_version.")],
    preset: Annotated[Optional[str], typer.Option(
        "--preset", help="ensemble (both presets averaged), accurate, fast or baseline "
                         "(default: the configured classifier).")] = None,
) -> None:
    """Label a JSONL file of comments without a database (trains a preset first if missing)."""
    from sentiment.classify.jsonl import InputError, classify_jsonl, read_inputs

    settings = _settings(ctx)
    preset = preset or settings.classifier
    try:
        rows = read_inputs(source)
    except InputError as exc:
        console.print(f"{exc}", style="red", markup=False)
        raise typer.Exit(2) from None
    classifier = _load_classifier(preset, settings)
    with _progress() as progress:
        task = progress.add_task(f"classify ({classifier.model_version})", total=len(rows))
        n = classify_jsonl(rows, target, classifier, batch_size=settings.batch_size,
                           on_batch=lambda k: progress.advance(task, k))
    console.print(f"classify-file: {n} comments labelled by {classifier.model_version} → {target}")


_KEYS = {"c": "concern", "s": "skepticism", "p": "support", "n": "neutral"}


@app.command()
def shares(
    predictions: Annotated[Path, typer.Argument(help="classify-file output (JSONL: id, scores, ...).")],
    audit: Annotated[Optional[Path], typer.Option(
        "--audit", help="JSONL of id, label for a uniform random subset of the predictions' ids.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """The four stance shares of a classified file with 95% intervals; with --audit, corrected
    for the classifier's error (PPI++). Bad input exits 2 and prints no result."""
    import json

    from sentiment.classify.registry import model_share_caveat
    from sentiment.insight.share_files import ShareInputError, shares_of_files

    try:
        result = shares_of_files(predictions, audit)
    except ShareInputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    est = result.estimate
    notes = list(est.notes)
    if not est.corrected:
        versions = {json.loads(line).get("model_version") for line in predictions.read_text("utf-8").splitlines()
                    if line.strip()}
        notes = [model_share_caveat(versions.pop() if len(versions) == 1 else None)] + notes[1:]
    if as_json:
        print(json.dumps(result.as_dict()))
        for note in notes:
            typer.echo(note, err=True)
        return
    method = {"ppi": "PPI++: model probabilities corrected by the audit",
              "model": "mean model probability, not corrected"}[est.method]
    table = Table(title=f"stance shares · n {est.n} · n_audit {est.n_audit} · {method}", box=box.SIMPLE)
    for column in ("stance", "share", "95% interval"):
        table.add_column(column)
    for i, label in enumerate(LABELS):
        table.add_row(label, f"{est.share[i]:.1%}", f"{est.low[i]:.1%}–{est.high[i]:.1%}")
    console.print(table)
    for note in notes:
        console.print(note, style="yellow", markup=False, soft_wrap=True)


@app.command()
def label(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Stop after this many comments.")] = 20,
    export: Annotated[Optional[Path], typer.Option("--export", help="Write all your labels to this JSONL file and stop.")] = None,
    import_: Annotated[Optional[Path], typer.Option("--import", help="Read labels from this JSONL file and stop.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random half of the queue (or of the audit draw).")] = 0,
    audit: Annotated[Optional[int], typer.Option(
        "--audit", help="Label an audit instead: N comments drawn uniformly at random, to measure the "
                        "classifier and correct its shares (never trained on).")] = None,
    event: Annotated[Optional[str], typer.Option(
        "--event", help="With --audit: draw N from the week before and N from the week after this event.")] = None,
    since: Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], help="With --audit: from this day.")] = None,
    until: Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], help="With --audit: to this day.")] = None,
) -> None:
    """Label stored comments one at a time, half the model's least sure and half drawn at random;
    `sentiment train` learns from them. With --audit N, label a uniform random audit that
    corrects the reported shares instead.

    Keys: c concern, s skepticism, p support, n neutral, k skip, q quit.
    """
    from sentiment.classify import labels as user_labels
    from sentiment.classify.jsonl import LabelFileError

    settings = _settings(ctx)
    if import_ is not None and not import_.is_file():
        raise typer.BadParameter(f"{import_}: no such file", param_hint="--import")
    # importing labels may start a database (labels need no documents); everything else needs one
    with (_open(settings) if import_ is not None else _open_existing(settings)) as con:
        if export is not None:
            n = user_labels.export_labels(con, export)
            console.print(f"exported {n} labels to {export}")
            return
        if import_ is not None:
            try:
                result = user_labels.import_labels(con, import_)
            except (LabelFileError, OSError) as exc:
                raise typer.BadParameter(str(exc), param_hint="--import") from None
            console.print(f"imported {result.new} new and {result.updated} changed labels from {import_}")
            return
        if audit is not None:
            _label_audit(con, audit, seed=seed, event=event, since=since.date() if since else None,
                         until=until.date() if until else None)
            return
        if event or since or until:
            raise typer.BadParameter("--event, --since and --until choose an audit's frame: add --audit N",
                                     param_hint="--audit")
        queue = user_labels.labelling_queue(con, limit, seed=seed)
        if not queue:
            console.print("Nothing to label: run `sentiment classify` first, or every stored comment is labelled.",
                          style="yellow")
            return
        n_random = sum(item.why == "random" for item in queue)
        console.print(f"{len(queue)} to label: {len(queue) - n_random} the model is least sure of and "
                      f"{n_random} drawn at random (its confidence ranks real comments only loosely).")
        done = _ask_labels(queue, lambda item, label: user_labels.save_label(con, item, label), show_model=True)
        total = con.execute("SELECT count(*) FROM labels WHERE purpose = 'train'").fetchone()[0]
        console.print(f"labelled {done} comments this session, {total} in all; "
                      "`sentiment train` includes them.")


def _ask_labels(queue, save, *, show_model: bool) -> int:
    """Show each comment and store the key pressed; returns how many were labelled."""
    done = 0
    for item in queue:
        head = f"{item.model_label} {item.confidence:.0%} · {item.why}" if show_model else item.why
        console.rule(f"{head} · {item.doc_id}")
        if item.thread_title:
            console.print(f"thread: {item.thread_title}", style="dim", markup=False)
        console.print(item.text, markup=False)
        key = typer.prompt("[c]oncern [s]kepticism su[p]port [n]eutral [k] skip [q] quit",
                           default="k", show_default=False).strip().lower()[:1]
        if key == "q":
            break
        if key in _KEYS:
            save(item, _KEYS[key])
            done += 1
    return done


def _label_audit(con, n: int, *, seed: int, event: str | None, since: date | None, until: date | None) -> None:
    from sentiment.classify.audit import AuditFrameError, draw_audit, save_audit_label

    try:
        draw = draw_audit(con, n, seed=seed, event_id=event, since=since, until=until)
    except AuditFrameError as exc:
        raise typer.BadParameter(str(exc), param_hint="--audit") from None
    if draw.resumed:
        console.print(f"resuming audit {draw.audit_id}: {len(draw.items)} drawn comments still unlabelled "
                      "(finish it before drawing another, so the sample stays random).")
    else:
        console.print(f"audit {draw.audit_id}: {len(draw.items)} comments drawn uniformly at random from "
                      f"{draw.frame_n} classified ones, in random order. The model's label is hidden; "
                      "these labels measure the classifier and never train it.")
    done = _ask_labels(draw.items, lambda item, label: save_audit_label(con, draw.audit_id, item, label),
                       show_model=False)
    left = len(draw.items) - done
    total = con.execute("SELECT count(*) FROM labels WHERE purpose = 'audit'").fetchone()[0]
    console.print(f"labelled {done} audit comments, {total} in all"
                  + (f"; {left} still to label (skipped ones stay in the audit: `sentiment label --audit "
                     f"{n}` asks them again)" if left else "")
                  + ". `sentiment trends` corrects the shares with them.")


@app.command()
def doctor(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option("--db", help="DuckDB file to check (default: the global --db).")] = None,
    migrate: Annotated[bool, typer.Option(
        "--migrate", help="Apply missing migrations first (opens the file for writing).")] = False,
) -> None:
    """Check a database read-only: schema version, orphaned rows, outdated stances, pending work,
    failed or stuck runs; print what to do. Exit code 1 when something needs action."""
    from sentiment.store import connect
    from sentiment.maintenance.doctor import check_database

    from sentiment.store.runs import EXIT_USAGE

    path = db or _settings(ctx).db
    if migrate:
        if not Path(path).exists():
            console.print(f"no database at {path}", style="red", markup=False)
            raise typer.Exit(EXIT_USAGE)
        with connect(path, timeout=_settings(ctx).lock_timeout) as con:  # a writer connection migrates on open
            console.print(f"migrated {path}: schema version "
                          f"{con.execute('SELECT max(version) FROM schema_version').fetchone()[0]}", markup=False)
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


@app.command()
def forget(
    ctx: typer.Context,
    author: Annotated[str, typer.Option(help="The user name as the site spells it (a u/ prefix is dropped).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Forget an author on request: their texts, stances and labels go, and are never stored again."""
    from sentiment.store.compact import rewrite_database
    from sentiment.insight.trends import trend_options
    from sentiment.maintenance.forget import author_key_hash, count_documents, forget_author

    settings = _settings(ctx)
    if not settings.author_key and not settings.author_key_file.exists():
        console.print(f"No author key at {settings.author_key_file} (nor SENTIMENT_AUTHOR_KEY): the stored hashes "
                      "were made with a key that is not here, so no author can be found.", style="red", markup=False)
        raise typer.Exit(2)
    key = load_author_key(settings)
    try:
        who = author_key_hash(author, key)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--author") from None
    with _open_existing(settings) as con:
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


from sentiment.cli_collect import collect_app  # noqa: E402 - the collect sub-app (issue 5)
app.add_typer(collect_app, name="collect")

if __name__ == "__main__":
    app()
