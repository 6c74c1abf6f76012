"""The pipeline as a Prefect flow: ingest → classify → trends → brief, one task per step.

Tasks call the same library functions as the CLI, so a scheduled run and ``sentiment demo``
produce the same tables. Each task opens the database itself and closes it when done, because
DuckDB allows one writing process per file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task

from sentiment.brief import build_brief, last_complete_week, write_brief
from sentiment.classify import load_classifier
from sentiment.classify.run import classify_pending
from sentiment.ingest import ingest_paths
from sentiment.settings import get_settings, load_author_key
from sentiment.store import connect
from sentiment.trends import refresh_trends


def _db(db: str | None) -> Path:
    return Path(db) if db else get_settings().db


@task(name="ingest")
def ingest_task(paths: list[str], db: str | None = None) -> dict:
    """Store files and snapshot folders; returns the counts the run recorded."""
    settings = get_settings()
    with connect(_db(db)) as con:
        report = ingest_paths(con, paths, author_key=load_author_key(settings))
    d = report.documents
    summary = {"files": report.files, "new": d.n_new, "updated": d.n_updated,
               "duplicates": d.n_duplicate, "skipped": report.skipped}
    get_run_logger().info("ingest: %s", summary)
    return summary


@task(name="classify")
def classify_task(db: str | None = None, model: str | None = None) -> dict:
    """Label every pending community document with the configured classifier."""
    settings = get_settings()
    with connect(_db(db)) as con:
        report = classify_pending(con, load_classifier(model or settings.classifier),
                                  batch_size=settings.batch_size)
    get_run_logger().info("classify: %d labelled by %s", report.n_classified, report.model_version)
    return {"classified": report.n_classified, "model_version": report.model_version}


@task(name="trends")
def trends_task(db: str | None = None) -> int:
    """Refresh the stored shift tests; the window views are always current."""
    with connect(_db(db)) as con:
        rows = refresh_trends(con, min_n=get_settings().min_window_n)
    get_run_logger().info("trends: %d event/source shift rows", rows)
    return rows


@task(name="brief")
def brief_task(week: str | None = None, db: str | None = None, out_dir: str | None = None) -> list[str]:
    """Write the brief of ``week`` (default: the last complete ISO week)."""
    week = week or last_complete_week(date.today())
    with connect(_db(db)) as con:
        paths = write_brief(build_brief(con, week), out_dir or get_settings().briefs_dir)
    get_run_logger().info("brief: %s", ", ".join(map(str, paths)))
    return [str(p) for p in paths]


@flow(name="pipeline", log_prints=True)
def pipeline(paths: list[str] | None = None, db: str | None = None, week: str | None = None) -> dict:
    """Every step in order on ``paths`` (default: the bundled seeds folder)."""
    paths = paths or [str(get_settings().seeds_dir)]
    return {
        "ingest": ingest_task(paths, db),
        "classify": classify_task(db),
        "trends": trends_task(db),
        "brief": brief_task(week, db),
    }


if __name__ == "__main__":
    pipeline()
