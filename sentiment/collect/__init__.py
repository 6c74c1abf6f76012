"""The collect step: one live source (or local files) -> parsed documents -> DuckDB.

``run_source`` is the single entry point for the CLI (``sentiment collect KIND``) and the flows.
Every run writes a ``runs`` row (step ``collect:KIND``) and returns a :class:`CollectReport`:
what was fetched, what was new, updated or unchanged, what was skipped and why, and which items
could not be fetched (they are also kept in ``collect_failures`` and retried by the next run).
Each thread, story or page is stored in its own transaction as soon as it is fetched, so a crash
or a rate limit never loses what was already fetched.

One module per kind (``reddit``, ``hn``, ``dump``, ``news`` for feeds and pages, ``files``) holds
its params dataclass and its collector; :data:`COLLECTORS` lists them, and everything else (the
sources file, ``doctor``, the CLI's summary) reads the kinds from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import duckdb

from sentiment.collect import dump, files, hn, news, reddit
from sentiment.collect.base import Collector, CollectReport, Context, Params, Progress, as_datetime
from sentiment.settings import Settings, load_author_key
from sentiment.store import track_run
from sentiment.store.clock import utcnow

COLLECTORS: dict[str, Collector] = {c.kind: c for c in (
    reddit.COLLECTOR, hn.COLLECTOR, dump.COLLECTOR, news.FEEDS, news.PAGES, files.COLLECTOR)}
"""Every source kind, in the order the sources file is read."""
KINDS: tuple[str, ...] = tuple(COLLECTORS)

__all__ = ["COLLECTORS", "KINDS", "CollectReport", "Context", "Params", "Progress", "as_datetime",
           "params_for", "run_source"]


def params_for(kind: str, params: Params | Mapping[str, Any]) -> Params:
    """``kind``'s typed params from its dataclass or the CLI option names (unknown keys refused)."""
    if kind not in COLLECTORS:
        raise ValueError(f"unknown source kind {kind!r}; expected one of {', '.join(KINDS)}")
    expected = COLLECTORS[kind].params
    if isinstance(params, expected):
        return params
    if isinstance(params, Params):
        raise ValueError(f"{type(params).__name__} are not the params of {kind!r}")
    return expected.from_dict(params)


def run_source(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    params: Params | Mapping[str, Any],
    on_progress: Progress | None = None,
    clock: Callable[[], datetime] | None = None,
    *,
    settings: Settings,
) -> CollectReport:
    """Collect from one source; ``params`` are its dataclass or a dict of the CLI option names
    (see ``sentiment collect``); ``settings`` are the caller's (the entry point's).

    Writes the run's ``runs`` row (step ``collect:KIND``) with the report's status: ``ok`` when
    every item was fetched, ``partial`` when some were stored and some failed, ``failed`` when
    none could be; every failed item is in ``collect_failures`` and a later run retries it (pages
    and feeds on their spaced schedule, read from ``clock``, default the system's UTC time). A
    configuration error fails the run (status 'failed', with the error in its notes) and is raised.
    """
    typed = params_for(kind, params)
    report = CollectReport(source=kind)
    with track_run(con, f"collect:{kind}") as stats:
        ctx = Context(con, settings, load_author_key(settings), report, on_progress, clock or utcnow)
        try:
            COLLECTORS[kind].run(ctx, typed)
        finally:
            stats.skips.merge(report.skips)
            stats.documents_read(report.fetched, report.new, report.updated, report.unchanged)
            if report.events:
                stats.notes["events"] = dict(report.events)
            stats.notes["params"] = {k: v for k, v in typed.as_dict().items() if v not in (None, [], "")}
            if report.failed:
                stats.notes["failed"] = report.failed
            stats.status = report.status
    return report
