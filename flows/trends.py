"""The trends flow: refresh every stored trend table after new stances.

``sentiment.insight.trends.refresh_trends`` rebuilds the daily stance counts the trend views read,
then the shift tests, effect sizes, audit-corrected shares, spikes and quotes, in one short writer
connection and one transaction.
"""

from __future__ import annotations

from typing import Annotated

from prefect import flow, get_run_logger, task
from pydantic import Field
from prefect.cache_policies import NO_CACHE

from flows.common import named, open_db, settings
from sentiment.insight.trends import refresh_trends, trend_options


@task(name="refresh-trends", task_run_name="refresh-trends", cache_policy=NO_CACHE)
def refresh_trends_task(db: str | None = None) -> int:
    """Recompute ``event_shift``; returns the event/source rows written."""
    with open_db(db) as con:
        rows = refresh_trends(con, **trend_options(settings()))
    get_run_logger().info("shift tests refreshed for %d event/source pairs", rows)
    return rows


@flow(name="trends", flow_run_name=named("trends"), log_prints=True)
def trends(db: Annotated[str | None, Field(min_length=1)] = None) -> dict:
    """Refresh the trend tables (shift tests, effects, spikes, quotes).

    Args:
        db: The DuckDB file to write; default ``SENTIMENT_DB``.
    """
    return {"event_shift_rows": refresh_trends_task(db)}
