"""The collect flow: every source in ``sentiment.toml``, one task per source.

Each task calls ``sentiment.collect.run_source`` with its own short writer connection (the writer
lock makes concurrent flows take turns). A source whose run is not ``ok`` (an item it could not
fetch, a search that failed) raises :class:`StepIncomplete` after storing what it fetched, so the
task retries with exponential backoff, and each retry runs the collector again, which fetches
the failed items first (they are in ``collect_failures``). A source that still fails after its
retries is logged and recorded in a ``collect`` run row (``partial`` or ``failed``), the other
sources go on, and the flow then raises: its state is Failed, as an alert expects.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from typing import Annotated

from pydantic import Field

from flows.common import (NETWORK_RETRIES, NETWORK_RETRY_DELAY, StepIncomplete, named, open_db,
                          retry_network_errors, settings)
from sentiment.collect import CollectReport
from sentiment.skips import is_expected_skip
from sentiment.redact import redact
from sentiment.collect.config import SourceSpec, load_sources
from sentiment.store.runs import finish_run, start_run

_SHOW_FAILED = 20


@task(name="collect-source", task_run_name="collect-{name}", retries=NETWORK_RETRIES,
      retry_delay_seconds=exponential_backoff(backoff_factor=NETWORK_RETRY_DELAY), retry_jitter_factor=0.5,
      retry_condition_fn=retry_network_errors, cache_policy=NO_CACHE)
def collect_source(kind: str, name: str, params: dict, db: str | None = None) -> dict:
    """Collect one source; returns the collector's counts, or raises ``StepIncomplete`` (after
    storing) when its run is ``partial`` or ``failed``, so Prefect retries it."""
    from sentiment.collect import run_source

    logger = get_run_logger()
    with open_db(db) as con:
        report = run_source(con, kind, params, settings=settings())
    summary = asdict(report)
    del summary["skips"]
    summary.update(skipped=dict(report.skipped), examples=report.examples)
    log_report(logger, name, kind, report)
    if report.failed:
        shown = ", ".join(report.failed[:_SHOW_FAILED])
        more = f" and {len(report.failed) - _SHOW_FAILED} more" if len(report.failed) > _SHOW_FAILED else ""
        reasons = [r for r in report.skipped if " not fetched: " in r or " not read: " in r][:3]
        raise StepIncomplete(f"{name}: {report.status}: {len(report.failed)} could not be fetched "
                             f"(kept in collect_failures, retried first by the next attempt): {shown}{more}"
                             + (f"; {'; '.join(reasons)}" if reasons else ""))
    return summary


def log_report(logger: logging.Logger | logging.LoggerAdapter, name: str, kind: str, report: CollectReport) -> None:
    """A collect run in the flow's log: the counts at INFO; expected, repeated skips (stubs a saved
    snapshot cannot expand, duplicates, what earlier runs stored) in one INFO summary line; any
    other skip reason as a warning."""
    logger.info("%s (%s): %s: fetched %d, new %d, updated %d, unchanged %d", name, kind, report.status,
                report.fetched, report.new, report.updated, report.unchanged)
    expected = {r: n for r, n in report.skipped.items() if is_expected_skip(r)}
    if expected:
        logger.info("%s: expected skips: %s", name, "; ".join(f"{n} {r}" for r, n in sorted(expected.items())))
    for reason, count in sorted(report.skipped.items()):
        if reason not in expected:
            logger.warning("%s: skipped %d: %s", name, count, reason)


def _record_failures(db: str | None, failures: dict[str, str], n_sources: int) -> None:
    """One ``collect`` run row naming the sources that failed after their retries.

    Its items are those sources, each skipped with its name (so the counts add up); the sources
    that were collected have their own ``collect:KIND`` rows, and how many sources the flow had
    is in the notes."""
    with open_db(db) as con:
        stats = start_run(con, "collect")
        stats.n_in = len(failures)
        for name, error in failures.items():
            stats.skip(f"source failed: {name}")
        stats.notes["failed_sources"] = failures
        stats.notes["sources"] = n_sources
        finish_run(con, stats, "partial" if len(failures) < n_sources else "failed")


class CollectFailed(StepIncomplete):
    """Sources failed after their retries; what the others (and these, partly) fetched is stored."""


@flow(name="collect", flow_run_name=named("collect"), log_prints=True)
def collect(
    sources: Annotated[str | None, Field(min_length=1)] = None,
    db: Annotated[str | None, Field(min_length=1)] = None,
) -> dict:
    """Collect every configured source, one task per source; fails (after storing) when a source
    still has items it could not fetch after its retries.

    Args:
        sources: The sources file (TOML, one table array per kind); default ``SENTIMENT_SOURCES``.
        db: The DuckDB file to write; default ``SENTIMENT_DB``.
    """
    logger = get_run_logger()
    specs: list[SourceSpec] = load_sources(Path(sources) if sources else settings().sources)
    logger.info("collecting %d sources: %s", len(specs), ", ".join(s.name for s in specs))
    futures = {s.name: collect_source.submit(s.kind, s.name, s.params, db) for s in specs}
    results: dict[str, dict] = {}
    failures: dict[str, str] = {}
    for name, future in futures.items():
        future.wait()
        state = future.state
        if state.is_completed():
            results[name] = future.result()
        else:
            exc = state.result(raise_on_failure=False)
            failures[name] = redact(f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException)
                                    else str(state.message))[:300]
            logger.error("source %s failed after retries: %s", name, failures[name])
    if failures:
        _record_failures(db, failures, len(specs))
        raise CollectFailed(f"{len(failures)} of {len(specs)} sources failed after their retries: "
                            + "; ".join(failures.values()))
    return {"sources": results, "failed_sources": failures,
            "new": sum(r["new"] for r in results.values())}
