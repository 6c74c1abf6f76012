"""The Prefect tasks call the library steps; run here without a server (``.fn``)."""

import duckdb
import pytest

prefect = pytest.importorskip("prefect")
from prefect.logging import disable_run_logger  # noqa: E402

from flows.pipeline import brief_task, classify_task, ingest_task, trends_task  # noqa: E402
from tests.conftest import ROOT  # noqa: E402


def test_pipeline_tasks_fill_the_database(tmp_path):
    db = str(tmp_path / "flow.duckdb")
    with disable_run_logger():
        ingested = ingest_task.fn([str(ROOT / "seeds")], db)
        classified = classify_task.fn(db)
        shifts = trends_task.fn(db)
        paths = brief_task.fn("2026-W10", db, str(tmp_path / "briefs"))
        again = ingest_task.fn([str(ROOT / "seeds")], db)
    assert ingested["new"] > 0 and again["new"] == 0
    assert classified["classified"] > 0 and classified["model_version"] == "baseline-rules-1"
    assert shifts >= 2
    assert [p.rsplit("/", 1)[-1] for p in paths] == ["2026-W10.md", "2026-W10.html"]
    with duckdb.connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM stances").fetchone()[0] == classified["classified"]
