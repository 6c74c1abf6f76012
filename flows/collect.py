"""The collect flow: every source in ``sentiment.toml``, one task per source.

Each task calls ``sentiment.collect.run_source`` with its own short writer connection (the writer
lock makes concurrent flows take turns) and retries transient failures with exponential backoff.
Ids a collector could not fetch are logged and land in ``runs`` through the collector's own run
row; a source that still fails after its retries is logged, recorded in a ``collect`` run row
with status ``partial``, and the other sources go on.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from flows.common import NETWORK_RETRIES, db_path, named, retry_network_errors
from sentiment.redact import redact
from sentiment.settings import get_settings
from sentiment.sources_config import SourceSpec, load_sources
from sentiment.store import connect
from sentiment.store.runs import finish_run, start_run

_SHOW_FAILED = 20


@task(name="collect-source", task_run_name="collect-{name}", retries=NETWORK_RETRIES,
      retry_delay_seconds=exponential_backoff(backoff_factor=10), retry_jitter_factor=0.5,
      retry_condition_fn=retry_network_errors, cache_policy=NO_CACHE)
def collect_source(kind: str, name: str, params: dict, db: str | None = None) -> dict:
    """Collect one source; returns the collector's counts (and what it could not fetch)."""
    from sentiment.collect import run_source

    logger = get_run_logger()
    with connect(db_path(db)) as con:
        report = run_source(con, kind, params)
    summary = asdict(report)
    summary["skipped"] = dict(report.skipped)
    logger.info("%s (%s): fetched %d, new %d, updated %d, unchanged %d", name, kind, report.fetched,
                report.new, report.updated, report.unchanged)
    for reason, count in sorted(report.skipped.items()):
        logger.warning("%s: skipped %d: %s", name, count, reason)
    if report.failed:
        shown = ", ".join(report.failed[:_SHOW_FAILED])
        more = f" and {len(report.failed) - _SHOW_FAILED} more" if len(report.failed) > _SHOW_FAILED else ""
        logger.warning("%s: %d could not be fetched, retried next run: %s%s", name,
                       len(report.failed), shown, more)
    return summary


def _record_failures(db: str | None, failures: dict[str, str], n_sources: int) -> None:
    """One ``collect`` run row naming the sources that failed after their retries.

    Its items are those sources, each skipped with its name (so the counts add up); the sources
    that were collected have their own ``collect:KIND`` rows, and how many sources the flow had
    is in the notes."""
    with connect(db_path(db)) as con:
        stats = start_run(con, "collect")
        stats.n_in = len(failures)
        for name, error in failures.items():
            stats.skip(f"source failed: {name}")
        stats.notes["failed_sources"] = failures
        stats.notes["sources"] = n_sources
        finish_run(con, stats, "partial" if len(failures) < n_sources else "failed")


@flow(name="collect", flow_run_name=named("collect"), log_prints=True)
def collect(sources: str | None = None, db: str | None = None) -> dict:
    """Collect every configured source (``sources``: a TOML file, default ``SENTIMENT_SOURCES``)."""
    logger = get_run_logger()
    specs: list[SourceSpec] = load_sources(Path(sources) if sources else get_settings().sources)
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
    return {"sources": results, "failed_sources": failures,
            "new": sum(r["new"] for r in results.values())}
