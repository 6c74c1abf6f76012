"""The ingest step: files and snapshot folders -> parsed records -> DuckDB, one file per transaction.

Recognised inputs: article files (``.txt``, ``.html``) with an optional ``articles.yaml`` beside
them, Reddit ``/comments/{id}`` bodies and Algolia HN item bodies (``.json``), and events files
(``.yaml`` with an ``events`` list). A file that cannot be read is reported with its reason, kept
in ``collect_failures`` (source ``files``) and read again by the next ingest or ``collect files``
run; the rest go on. The run is ``ok``, ``partial`` or ``failed`` by the outcome rule
(``sentiment.store.runs.outcome``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from sentiment.events import is_events_body, parse_events
from sentiment.records import Parsed
from sentiment.skips import DUPLICATE, HasSkips, Skips
from sentiment.sources import ParseError, SnapshotFolder, hn, reddit, web
from sentiment.store import RunStats, track_run, upsert_documents, upsert_events
from sentiment.store.collect_state import clear_failure, pending_failures, record_failure
from sentiment.store.runs import outcome
from sentiment.store.writes import UpsertResult

FAILURE_SOURCE = "files"
"""The ``collect_failures`` source of files that could not be read (by ingest or ``collect files``)."""
ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
SUFFIXES = (*ARTICLE_SUFFIXES, ".json", ".yaml", ".yml")
DEFAULT_MAX_BYTES = web.DEFAULT_MAX_BYTES
log = logging.getLogger(__name__)


@dataclass
class IngestReport(HasSkips):
    """What an ingest run did, for the CLI summary (the same counts land in ``runs``)."""

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


def missing_paths(paths: Iterable[str | Path]) -> list[str]:
    """The given paths that are neither a file nor a folder (a command refuses to start on them)."""
    return [str(p) for p in paths if not Path(p).exists()]


def first_readable(paths: Iterable[str | Path]) -> Path | None:
    """The first input file that parses, or None when none does: a command that would create a
    database checks this first, so unreadable input creates nothing."""
    files, _ = collect_files(paths)
    for path in files:
        try:
            parse_file(path)
        except Exception:  # noqa: BLE001 - any unreadable input is reported by the run itself
            continue
        return path
    return None


def collect_files(paths: Iterable[str | Path]) -> tuple[list[Path], dict[str, str]]:
    """Input files in a stable order: folders are walked for known suffixes, hidden files ignored."""
    files: list[Path] = []
    missing: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            missing[str(path)] = "no such file or folder"
    return files, missing


def parse_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    """Parse one input file by its suffix and content; raises ParseError if it is not recognised
    (or if it is an article larger than ``max_bytes``, the ``page_max_bytes`` setting)."""
    suffix = path.suffix.lower()
    if suffix in ARTICLE_SUFFIXES:
        meta = web.load_metadata(path.parent).get(path.name)
        return web.parse_article_file(path, meta, max_bytes=max_bytes)
    if suffix == ".json":
        body = SnapshotFolder(path.parent).body(path.stem)  # a saved API body, as the live client gets it
        if reddit.is_thread_body(body):
            return reddit.parse_thread(body)
        if hn.is_item_body(body):
            return hn.parse_item(body)
        raise ParseError("JSON is neither a Reddit /comments body nor an Algolia HN item")
    if suffix in (".yaml", ".yml"):
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
        if is_events_body(body):
            return parse_events(body)
        if path.name == web.METADATA_FILE:
            return Parsed()  # read by the article parser
        raise ParseError("YAML is not an events file (no 'events' list)")
    raise ParseError(f"unsupported file type {suffix or '(none)'}")


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    *,
    author_key: bytes,
    on_file: Callable[[Path], None] | None = None,
    record_run: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> IngestReport:
    """Parse and store every input; ``on_file`` is called after each file (for progress bars);
    an article file over ``max_bytes`` (the ``page_max_bytes`` setting) is skipped.

    ``record_run=False`` leaves the ``runs`` row to the caller (``sentiment collect files``).
    """
    paths = list(paths)
    files, missing = collect_files(paths)
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
    report = IngestReport(files=len(files), failed_files=dict(missing))
    with (track_run(con, "ingest") if record_run else nullcontext(RunStats("ingest"))) as stats:
        report.run_id = stats.run_id
        for path, reason in missing.items():
            stats.skip(reason, item=path)
            record_failure(con, FAILURE_SOURCE, str(Path(path).resolve()), reason)
        for item in dropped:
            clear_failure(con, FAILURE_SOURCE, item)
            stats.skip("earlier failure no longer exists: not retried", item=item)
        for path in files:
            try:
                parsed = parse_file(path, max_bytes)
            except Exception as exc:  # any unreadable input is reported and the run goes on
                reason = (str(exc) if isinstance(exc, ParseError) else f"{type(exc).__name__}: {exc}")[:200]
                report.failed_files[str(path)] = reason
                stats.skip(f"unreadable file: {reason}", item=str(path))
                record_failure(con, FAILURE_SOURCE, str(path.resolve()), reason)
            else:
                stats.skips.merge(parsed.skips)
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
        d = report.documents
        if d.n_duplicate:
            stats.skip(DUPLICATE, d.n_duplicate)
        # documents and skipped items only, so the counts add up to n_in; events on their own
        stats.documents_read(d.n_in, d.n_new, d.n_updated, d.n_unchanged)
        stats.notes["events"] = {"in": report.events.n_in, "new": report.events.n_new,
                                 "updated": report.events.n_updated}
        stats.notes["files"] = report.files
        if report.failed_files:
            stats.notes["failed_files"] = report.failed_files
        report.skips = stats.skips
        stats.status = report.status
    return report
