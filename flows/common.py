"""What every flow shares: its settings (the one place a flow reads them), the database it opens,
run names, and the retry policy of network tasks."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb
from prefect.runtime import flow_run

from sentiment.settings import Settings, get_settings
from sentiment.store import configured_timeout, connect


def settings() -> Settings:
    """The flows' settings: the one place a flow reads the environment (library functions are
    given what they need)."""
    return get_settings()


NETWORK_RETRIES = settings().flow_retries
"""Attempts after the first for a task that talks to a source (``SENTIMENT_FLOW_RETRIES``, read
when the flows are imported)."""

NETWORK_RETRY_DELAY = settings().flow_retry_delay_seconds
"""The first pause before such a retry, doubled each time (``SENTIMENT_FLOW_RETRY_DELAY_SECONDS``)."""


class StepIncomplete(RuntimeError):
    """A step stored what it could and failed the rest: raised after storing, so the task or flow
    run ends Failed (retries and notifications fire) while the stored work is kept."""


class PresetNotTrained(RuntimeError):
    """A scheduled flow needs a classifier preset this machine has not trained: it fails at once,
    naming the command that trains it, instead of training for minutes inside the run."""

_NOT_RETRYABLE = (ValueError, TypeError, KeyError, NotImplementedError, PermissionError,
                  FileNotFoundError, PresetNotTrained)


def db_path(db: str | None) -> Path:
    """The database a flow writes: its ``db`` parameter, else ``SENTIMENT_DB``."""
    return Path(db) if db else settings().db


def open_db(db: str | None, *, read_only: bool = False, publish: bool = True) -> duckdb.DuckDBPyConnection:
    """``connect`` to a flow's database (see ``db_path``), waiting as long as the settings say."""
    return connect(db_path(db), read_only=read_only, publish=publish,
                   timeout=configured_timeout(settings(), read_only=read_only))


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


def require_trained(model: str) -> None:
    """Fail at once when ``model`` needs a preset that is not trained here (see ``PresetNotTrained``)."""
    from sentiment.classify.registry import untrained_presets

    missing = untrained_presets(model, settings())
    if missing:
        commands = " && ".join(f"sentiment train --preset {p}" for p in missing)
        raise PresetNotTrained(
            f"the {model!r} classifier needs the {', '.join(missing)} preset(s), not trained on this machine "
            f"(models in {settings().models_dir}); train once with: {commands} — or run the flow with "
            "model='baseline'")
