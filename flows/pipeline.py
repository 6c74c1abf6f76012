"""The whole pipeline as one Prefect flow: collect → classify → trends → brief, as subflows.

Each step is its own flow (``flows/collect.py`` …) so it can also run on its own schedule; here
they run in order, each opening the database only while it writes (see ``sentiment.store.db``),
so a second pipeline, an hourly collect or an open dashboard never makes this one fail.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.brief import brief
from flows.classify import classify
from flows.collect import collect
from flows.common import named
from flows.trends import trends


@flow(name="pipeline", flow_run_name=named("pipeline"), log_prints=True)
def pipeline(sources: str | None = None, db: str | None = None, week: str | None = None,
             model: str | None = None, out_dir: str | None = None) -> dict:
    """Every step in order: ``sources`` (TOML, default ``SENTIMENT_SOURCES``), the database ``db``
    (default ``SENTIMENT_DB``), the classifier ``model`` and the brief's ``week``."""
    result = {
        "collect": collect(sources, db),
        "classify": classify(db, model),
        "trends": trends(db),
        "brief": brief(week, db, out_dir),
    }
    if result["collect"]["failed_sources"]:
        get_run_logger().warning("finished without %s (see the collect run's log)",
                                 ", ".join(result["collect"]["failed_sources"]))
    return result


if __name__ == "__main__":
    pipeline()
