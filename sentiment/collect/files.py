"""``sentiment ingest`` and ``sentiment collect files``: local files and folders (as
:mod:`sentiment.sources.files` finds and parses them) -> DuckDB, one file per transaction.

Both commands read through :func:`read_files`: ``collect files`` records it as a collect run
(step ``collect:files``, through ``run_source``), ``ingest`` as a run of its own
(:func:`ingest_paths`, step ``ingest``). A file that cannot be read is reported with its reason,
kept in ``collect_failures`` (source ``files``) and read again by the next ingest or ``collect
files`` run; the rest go on. The run is ``ok``, ``partial`` or ``failed`` by the outcome rule
(``sentiment.store.runs.outcome``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sentiment.collect.base import Collector, Context, Params, option
from sentiment.skips import DUPLICATE, HasSkips, Skips
from sentiment.sources import ParseError
from sentiment.sources.files import DEFAULT_MAX_BYTES, input_files, parse_file
from sentiment.store import track_run, upsert_documents, upsert_events
from sentiment.store.collect_state import clear_failure, pending_failures, record_failure
from sentiment.store.runs import outcome
from sentiment.store.writes import UpsertResult

FAILURE_SOURCE = "files"
"""The ``collect_failures`` source of files that could not be read (by ingest or ``collect files``)."""
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FilesParams(Params):
    """Files and folders to read (articles, snapshots, events files)."""

    paths: tuple[str, ...] = field(default=(), metadata=option(many=True))


@dataclass
class IngestReport(HasSkips):
    """What reading local files did, for the CLI summary (the same counts land in ``runs``)."""

    run_id: str = ""
    files: int = 0
    documents: UpsertResult = field(default_factory=UpsertResult)
    events: UpsertResult = field(default_factory=UpsertResult)
    skips: Skips = field(default_factory=Skips)
    """What was skipped and why; examples are doc ids, or the file that could not be read."""
    failed_files: dict[str, str] = field(default_factory=dict)
    files_read: int = 0
    """Files parsed and stored (the units of work the outcome rule counts)."""

    @property
    def status(self) -> str:
        """``ok``, ``partial`` or ``failed`` by the outcome rule."""
        return outcome(len(self.failed_files), self.files_read)


def read_files(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    report: IngestReport,
    *,
    author_key: bytes,
    on_file: Callable[[Path], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> None:
    """Parse and store every input, counting into ``report``; ``on_file`` is called after each
    file (for progress bars); an article file over ``max_bytes`` (the ``page_max_bytes``
    setting) is skipped. Documents given twice are counted in ``report.documents``, not yet
    skipped: the caller records them with the run."""
    paths = list(paths)
    files, missing = input_files(paths)
    # Files an earlier run could not read are read again: those given again are in ``files``
    # already; others still there are added; others gone and not given again are dropped.
    given = {str(Path(p).resolve()) for p in paths} | {str(f.resolve()) for f in files}
    dropped = []
    for item in pending_failures(con, FAILURE_SOURCE):
        if item in given:
            continue
        if Path(item).is_file():
            files.append(Path(item))
        elif not Path(item).exists():
            dropped.append(item)
    report.files, report.failed_files = len(files), dict(missing)
    for path, reason in missing.items():
        report.skips.add(reason, path)
        record_failure(con, FAILURE_SOURCE, str(Path(path).resolve()), reason)
    for item in dropped:
        clear_failure(con, FAILURE_SOURCE, item)
        report.skips.add("earlier failure no longer exists: not retried", item)
    for path in files:
        try:
            parsed = parse_file(path, max_bytes)
        except Exception as exc:  # any unreadable input is reported and the run goes on
            reason = (str(exc) if isinstance(exc, ParseError) else f"{type(exc).__name__}: {exc}")[:200]
            report.failed_files[str(path)] = reason
            report.skips.add(f"unreadable file: {reason}", str(path))
            record_failure(con, FAILURE_SOURCE, str(path.resolve()), reason)
        else:
            report.skips.merge(parsed.skips)
            docs = upsert_documents(con, parsed.documents, author_key=author_key)
            events = upsert_events(con, parsed.events)
            clear_failure(con, FAILURE_SOURCE, str(path.resolve()))
            report.files_read += 1
            report.documents.add(docs)
            report.events.add(events)
            log.info("ingest: committed %s (%d documents, %d new; %d events)",
                     path, docs.n_in, docs.n_new, events.n_in)
        if on_file:
            on_file(path)


def _event_counts(events: UpsertResult) -> dict[str, int]:
    return {"in": events.n_in, "new": events.n_new, "updated": events.n_updated}


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    *,
    author_key: bytes,
    on_file: Callable[[Path], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> IngestReport:
    """``sentiment ingest``: :func:`read_files` recorded as a run of step ``ingest``, whose notes
    count events and files on their own and name each file that could not be read."""
    with track_run(con, "ingest") as stats:
        report = IngestReport(run_id=stats.run_id, skips=stats.skips)  # skips land in the run as they come
        read_files(con, paths, report, author_key=author_key, on_file=on_file, max_bytes=max_bytes)
        d = report.documents
        if d.n_duplicate:
            report.skips.add(DUPLICATE, count=d.n_duplicate)
        # documents and skipped items only, so the counts add up to n_in; events on their own
        stats.documents_read(d.n_in, d.n_new, d.n_updated, d.n_unchanged)
        stats.notes["events"] = _event_counts(report.events)
        stats.notes["files"] = report.files
        if report.failed_files:
            stats.notes["failed_files"] = report.failed_files
        stats.status = report.status
    return report


def collect_files(ctx: Context, params: FilesParams) -> None:
    """``sentiment collect files``: :func:`read_files` counted into the collect run's report."""
    paths = list(params.paths)
    files, _ = input_files(paths)
    done = 0

    def step(_path) -> None:
        nonlocal done
        done += 1
        ctx.progress(done, max(done, len(files)))  # earlier failures read again come on top

    report = IngestReport()
    read_files(ctx.con, paths, report, author_key=ctx.author_key, on_file=step,
               max_bytes=ctx.settings.page_max_bytes)
    ctx.report.skips.merge(report.skips)
    ctx.report.add(report.documents)  # documents given twice are skipped here, after the rest
    ctx.report.events.update(_event_counts(report.events))
    ctx.report.failed.extend(report.failed_files)
    ctx.report.succeeded += report.files_read


COLLECTOR = Collector("files", FilesParams, collect_files)
