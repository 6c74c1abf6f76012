"""The whole pipeline as one Prefect flow: collect → classify → trends → brief, as subflows.

Each step is its own flow (``flows/collect.py`` …) so it can also run on its own schedule; here
they run in order, each opening the database only while it writes (see ``sentiment.store.db``),
so a second pipeline, an hourly collect or an open dashboard never makes this one fail.
"""

from __future__ import annotations

from typing import Annotated

from prefect import flow, get_run_logger
from pydantic import Field

from flows.brief import Week, brief
from flows.classify import ModelName, classify
from flows.collect import collect
from flows.common import StepIncomplete, named, require_trained, settings
from flows.trends import trends


@flow(name="pipeline", flow_run_name=named("pipeline"), log_prints=True)
def pipeline(
    sources: Annotated[str | None, Field(min_length=1)] = None,
    db: Annotated[str | None, Field(min_length=1)] = None,
    week: Week | None = None,
    model: ModelName | None = None,
    out_dir: Annotated[str | None, Field(min_length=1)] = None,
) -> dict:
    """Every step in order: collect, classify, trends, brief. A classifier preset not trained on
    this machine fails the run before collecting, naming the command that trains it. When a
    source fails, the other steps still run on what was stored and the run then ends Failed.

    Args:
        sources: The sources file (TOML); default ``SENTIMENT_SOURCES``.
        db: The DuckDB file to write; default ``SENTIMENT_DB``.
        week: ISO week of the brief, such as 2026-W10; default the last complete week.
        model: ensemble, accurate, fast or baseline; default ``SENTIMENT_CLASSIFIER``.
        out_dir: Folder for the brief files; default ``SENTIMENT_BRIEFS_DIR``.
    """
    require_trained(model or settings().classifier)  # before anything runs
    collected = collect(sources, db, return_state=True)
    result = {
        "collect": collected.result(raise_on_failure=False),
        "classify": classify(db, model),
        "trends": trends(db),
        "brief": brief(week, db, out_dir),
    }
    if not collected.is_completed():
        get_run_logger().error("collect failed (see its run's log); the later steps ran on what was stored")
        raise StepIncomplete(f"collect failed: {result['collect']}")
    return result


if __name__ == "__main__":
    pipeline()
