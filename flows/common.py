"""What every flow shares: the database path, run names, and the retry policy of network tasks."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from prefect.runtime import flow_run

from sentiment.settings import get_settings

NETWORK_RETRIES = 3
"""Attempts after the first for a task that talks to a source (backoff 10 s, 20 s, 40 s ± jitter)."""

_NOT_RETRYABLE = (ValueError, TypeError, KeyError, NotImplementedError, PermissionError,
                  FileNotFoundError)


def db_path(db: str | None) -> Path:
    """The database a flow writes: its ``db`` parameter, else ``SENTIMENT_DB``."""
    return Path(db) if db else get_settings().db


def retry_network_errors(task, task_run, state) -> bool:
    """Retry transient failures (network, rate limits, a busy database); a bad configuration
    or a missing collector fails at once, because retrying cannot fix it."""
    exc = state.data
    return not isinstance(exc, _NOT_RETRYABLE)


def stamp() -> str:
    """UTC minute the run was scheduled (or started), for run names: ``2026-03-09T07:00Z``."""
    when = flow_run.scheduled_start_time or datetime.now(timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def named(prefix: str):
    """A ``flow_run_name`` callable: ``prefix-<UTC minute>`` (e.g. ``collect-2026-03-09T07:00Z``)."""

    def name() -> str:
        return f"{prefix}-{stamp()}"

    return name
