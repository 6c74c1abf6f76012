"""Single-process scheduling: ``python -m flows.serve`` runs the same schedules as prefect.yaml
without a work pool or worker (``flow.serve``); it needs a Prefect API (``prefect server start``).
"""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.brief import brief
from flows.collect import collect
from flows.pipeline import pipeline

SCHEDULES = {"collect": "0 * * * *", "pipeline": "30 5 * * *", "brief": "0 7 * * 1"}
"""Cron (UTC): collect hourly, the pipeline daily at 05:30, the brief Mondays at 07:00."""


def main() -> None:
    serve(
        collect.to_deployment(name="collect-hourly", schedule=Cron(SCHEDULES["collect"], timezone="UTC")),
        pipeline.to_deployment(name="pipeline-daily", schedule=Cron(SCHEDULES["pipeline"], timezone="UTC")),
        brief.to_deployment(name="brief-weekly", schedule=Cron(SCHEDULES["brief"], timezone="UTC")),
    )


if __name__ == "__main__":
    main()
