"""The brief flow: the weekly brief of the last complete ISO week (or a given one).

It only reads, so it opens the published read-only copy (``connect(..., read_only=True)``) and
never waits for, or blocks, a writer.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from pydantic import Field

from flows.common import open_db, settings
from sentiment.brief import brief_options, build_brief, last_complete_week, parse_week, write_brief


def _week(week: str | None) -> str:
    when = flow_run.scheduled_start_time or datetime.now(timezone.utc)
    return week or last_complete_week(when.date() if hasattr(when, "date") else date.today())


def _run_name() -> str:
    return f"brief-{_week(flow_run.parameters.get('week'))}"


@task(name="write-brief", task_run_name="write-brief-{week}", cache_policy=NO_CACHE)
def write_brief_task(week: str, db: str | None = None, out_dir: str | None = None) -> list[str]:
    """Render ``week`` from the read-only copy to ``out_dir`` (default ``SENTIMENT_BRIEFS_DIR``)."""
    parse_week(week)  # a malformed week fails here with a clear message
    with open_db(db, read_only=True) as con:
        paths = write_brief(build_brief(con, week, **brief_options(settings())), out_dir or settings().briefs_dir)
    get_run_logger().info("brief %s: %s", week, ", ".join(map(str, paths)))
    return [str(p) for p in paths]


Week = Annotated[str, Field(pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$", examples=["2026-W10"])]
"""An ISO week as the brief names it: ``2026-W10`` (checked before a run starts)."""


@flow(name="brief", flow_run_name=_run_name, log_prints=True)
def brief(
    week: Week | None = None,
    db: Annotated[str | None, Field(min_length=1)] = None,
    out_dir: Annotated[str | None, Field(min_length=1)] = None,
) -> list[str]:
    """Write the weekly brief (Markdown and HTML) from the published read copy.

    Args:
        week: ISO week such as 2026-W10; default the last complete week before the run.
        db: The DuckDB file whose read copy is briefed; default ``SENTIMENT_DB``.
        out_dir: Folder for the brief files; default ``SENTIMENT_BRIEFS_DIR``.
    """
    return write_brief_task(_week(week), db, out_dir)
