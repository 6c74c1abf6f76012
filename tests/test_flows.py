"""The flows' tasks and helpers, called directly (``.fn``): no Prefect server, fast."""

import json

import duckdb
import pytest

prefect = pytest.importorskip("prefect")
from prefect.logging import disable_run_logger  # noqa: E402

from flows.brief import write_brief_task  # noqa: E402
from flows.classify import Batches, classify_batches  # noqa: E402
from flows.collect import collect_source  # noqa: E402
from flows.common import retry_network_errors  # noqa: E402
from flows.trends import refresh_trends_task  # noqa: E402
from sentiment.classify.run import pending_documents  # noqa: E402
from sentiment.collect.config import SourcesError, load_sources  # noqa: E402
from sentiment.store import connect, upsert_stances  # noqa: E402
from sentiment.store.writes import ACTIVE_MODEL_KEY, set_meta  # noqa: E402
from sentiment.settings import Settings
from tests.conftest import ROOT, run_counts  # noqa: E402


def test_the_bundled_sources_file_names_the_seeds_folder():
    (spec,) = load_sources(ROOT / "sentiment.toml")
    assert (spec.kind, spec.name) == ("files", "bundled")
    assert spec.params["paths"] == [str(ROOT / "seeds")]


@pytest.mark.parametrize("body, message", [
    ('[[twitter]]\nname = "x"\n', "unknown source kind"),
    ('[[hn]]\nquery = "qwen"\n', "needs a name"),
    ('[[hn]]\nname = "a"\n[[reddit]]\nname = "a"\n', "used twice"),
    ('[[hn]\nname = "a"\n', "not valid TOML"),
])
def test_a_malformed_sources_file_says_what_is_wrong(tmp_path, body, message):
    path = tmp_path / "sentiment.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SourcesError, match=message):
        load_sources(path)


def test_collect_classify_trends_brief_tasks_fill_the_database(tmp_path):
    db = str(tmp_path / "flow.duckdb")
    (spec,) = load_sources(ROOT / "sentiment.toml")
    with disable_run_logger():
        first = collect_source.fn(spec.kind, spec.name, spec.params, db)
        again = collect_source.fn(spec.kind, spec.name, spec.params, db)
        with connect(db) as con:
            todo, _ = pending_documents(con, "baseline-rules-1")
        (table,) = classify_batches.fn("baseline", 0, Batches([todo]))
        with connect(db) as con:
            upsert_stances(con, table)
            set_meta(con, ACTIVE_MODEL_KEY, "baseline-rules-1")
        shifts = refresh_trends_task.fn(db)
        paths = write_brief_task.fn("2026-W10", db, str(tmp_path / "briefs"))
    assert first["new"] > 500 and again["new"] == 0 and again["updated"] == 0 and again["unchanged"] > 500
    assert shifts >= 2
    assert [p.rsplit("/", 1)[-1] for p in paths] == ["2026-W10.md", "2026-W10.html"]
    with duckdb.connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM stances").fetchone()[0] == len(todo) > 0


def test_a_batches_task_gives_the_same_rows_as_the_cli_step(tmp_path):
    from sentiment.classify import load_classifier
    from sentiment.classify.run import classify_pending

    db = tmp_path / "cli.duckdb"
    (spec,) = load_sources(ROOT / "sentiment.toml")
    with disable_run_logger():
        collect_source.fn(spec.kind, spec.name, spec.params, str(db))
    with connect(db) as con:
        todo, _ = pending_documents(con, "baseline-rules-1")
        classify_pending(con, load_classifier("baseline"), batch_size=64)
        expected = con.execute("SELECT doc_id, label, p_concern, p_neutral FROM stances ORDER BY doc_id").fetchall()
    tables = classify_batches.fn("baseline", 0, Batches([todo[i:i + 100] for i in range(0, len(todo), 100)]))
    assert [t.num_rows for t in tables] == [len(todo[i:i + 100]) for i in range(0, len(todo), 100)]  # a table per batch
    got = sorted(row for table in tables for row in zip(
        *(table.column(c).to_pylist() for c in ("doc_id", "label", "p_concern", "p_neutral"))))
    assert got == expected


def test_a_bad_source_is_not_retried_but_a_network_error_is():
    from prefect.states import Failed

    def failed(exc):
        return Failed(data=exc)

    assert retry_network_errors(None, None, failed(ConnectionError("reset"))) is True
    assert retry_network_errors(None, None, failed(TimeoutError("busy"))) is True
    assert retry_network_errors(None, None, failed(NotImplementedError("no collector"))) is False
    assert retry_network_errors(None, None, failed(ValueError("bad option"))) is False


def test_an_unavailable_collector_fails_the_task_clearly(tmp_path):
    from sentiment.sources.reddit_live import RedditConfigError

    # no praw.ini site: a configuration error, reported at once and not retried
    with disable_run_logger(), pytest.raises(RedditConfigError, match="praw.ini"):
        collect_source.fn("reddit", "r", {"subreddit": "x"}, str(tmp_path / "x.duckdb"))


def test_a_malformed_week_fails_the_brief_task(tmp_path):
    with disable_run_logger(), pytest.raises(ValueError):
        write_brief_task.fn("2026-13", str(tmp_path / "x.duckdb"))


def test_prefect_yaml_schedules_match_the_issue():
    import yaml

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    crons = {d["name"]: [s["cron"] for s in d.get("schedules", [])] for d in spec["deployments"]}
    assert crons["collect-hourly"] == ["0 * * * *"]
    assert crons["pipeline-daily"] == ["30 5 * * *"]
    assert crons["brief-weekly"] == ["0 7 * * 1"]
    assert {d["work_pool"]["name"] for d in spec["deployments"]} == {"sentiment-process"}
    from flows.serve import SCHEDULES

    assert SCHEDULES == {"collect": "0 * * * *", "pipeline": "30 5 * * *", "brief": "0 7 * * 1"}


def test_sources_that_failed_after_retries_are_recorded_in_runs(tmp_path):
    import json

    from flows.collect import _record_failures

    db = tmp_path / "runs.duckdb"
    _record_failures(str(db), {"hn-qwen": "ConnectionError: reset"}, n_sources=2)
    _record_failures(str(db), {"a": "x", "b": "y"}, n_sources=2)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT status, n_in, n_skipped, notes FROM runs WHERE step = 'collect' "
                           "ORDER BY started_at").fetchall()
    assert [r[:3] for r in rows] == [("partial", 1, 1), ("failed", 2, 2)]  # the failed sources, each skipped
    assert json.loads(rows[0][3])["failed_sources"] == {"hn-qwen": "ConnectionError: reset"}
    assert [json.loads(r[3])["sources"] for r in rows] == [2, 2]
    with duckdb.connect(str(db), read_only=True) as con:
        assert run_counts(con, "collect") == [(1, 0, 0, 0, 1), (2, 0, 0, 0, 2)]


def test_a_source_with_items_it_could_not_fetch_fails_its_task_after_storing(tmp_path):
    """The task raises (so Prefect retries it and the flow ends Failed) after the stored work and
    the failed items are in the database; its retry fetches the failed items first."""
    from flows.common import StepIncomplete
    from tests.conftest import SEEDS

    db = tmp_path / "partial.duckdb"
    broken = tmp_path / "broken.json"
    broken.write_text('{"hello": "world"}', encoding="utf-8")
    params = {"paths": [str(SEEDS / "000_df123552c6684693.txt"), str(broken)]}
    with disable_run_logger(), pytest.raises(StepIncomplete, match="partial: 1 could not be fetched"):
        collect_source.fn("files", "local", params, str(db))
    assert retry_network_errors(None, None, prefect.states.Failed(data=StepIncomplete("x"))) is True
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 6  # kept
        assert con.execute("SELECT status FROM runs").fetchall() == [("partial",)]
        assert con.execute("SELECT item FROM collect_failures").fetchall() == [(str(broken),)]
    broken.write_text(next((SEEDS / "threads").rglob("*.json")).read_text("utf-8"), encoding="utf-8")
    with disable_run_logger():
        summary = collect_source.fn("files", "local", params, str(db))  # the retry: mended, stored
    assert summary["new"] > 0 and summary["failed"] == []


def test_expected_skips_are_one_info_line_not_warnings(caplog, tmp_path):
    """Stubs in the bundled snapshots repeat on every hourly run: one summary line at INFO; only
    reasons worth acting on are warnings."""
    import logging

    from flows.collect import log_report
    from sentiment.collect import run_source
    from sentiment.store import connect

    with connect(tmp_path / "x.duckdb") as con:
        (spec,) = load_sources(ROOT / "sentiment.toml")
        report = run_source(con, spec.kind, spec.params, settings=Settings())
    assert any("stub" in reason for reason in report.skipped)
    report.skipped["page not fetched: HTTP 404"] = 1
    caplog.set_level(logging.INFO, logger="test-collect")
    log_report(logging.getLogger("test-collect"), "bundled", "files", report)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert warnings == ["bundled: skipped 1: page not fetched: HTTP 404"]
    assert len(infos) == 2 and "expected skips:" in infos[1] and "stub not expanded" in infos[1]


@pytest.mark.parametrize("flow_name, params, field", [
    ("brief", {"week": "2026-13"}, "week"),
    ("brief", {"week": "2026-W54"}, "week"),
    ("classify", {"model": "gpt"}, "model"),
    ("classify", {"batch_size": 0}, "batch_size"),
    ("pipeline", {"model": "fastest"}, "model"),
    ("pipeline", {"week": "W10"}, "week"),
    ("collect", {"db": ""}, "db"),
])
def test_bad_flow_parameters_fail_before_the_run(flow_name, params, field):
    import importlib

    from prefect.exceptions import ParameterTypeError

    flow_ = getattr(importlib.import_module(f"flows.{flow_name}"), flow_name)
    with pytest.raises(ParameterTypeError, match=field):
        flow_.validate_parameters(params)


def test_every_flow_parameter_is_typed_and_described():
    """The deployments' parameter schemas (what the UI shows and the API enforces) describe and
    constrain every parameter."""
    from prefect.utilities.callables import parameter_schema

    from flows.brief import brief
    from flows.classify import classify
    from flows.collect import collect
    from flows.pipeline import pipeline
    from flows.trends import trends

    for flow_ in (collect, classify, trends, brief, pipeline):
        schema = parameter_schema(flow_.fn).model_dump()
        for name, prop in schema["properties"].items():
            assert prop.get("description"), f"{flow_.name}.{name} has no description"
    props = parameter_schema(pipeline.fn).model_dump()["properties"]
    assert "2026-W10" in props["week"]["description"] and "pattern" in json.dumps(props["week"])
    assert {"ensemble", "accurate", "fast", "baseline"} <= set(json.dumps(props["model"]).replace('"', " ").split())


def test_an_untrained_preset_fails_the_flow_at_once_with_the_command_that_trains_it(tmp_path, monkeypatch):
    from flows.classify import classify
    from flows.common import PresetNotTrained
    from flows.pipeline import pipeline
    from sentiment.settings import get_settings

    monkeypatch.setenv("SENTIMENT_MODELS_DIR", str(tmp_path / "no-models"))
    get_settings.cache_clear()
    db = tmp_path / "x.duckdb"
    for run in (lambda: classify.fn(db=str(db), model="fast"), lambda: pipeline.fn(db=str(db), model="ensemble")):
        with pytest.raises(PresetNotTrained, match="sentiment train --preset fast"):
            run()
    with pytest.raises(PresetNotTrained, match="sentiment train --preset accurate && sentiment train --preset fast"):
        pipeline.fn(db=str(db), model="ensemble")
    assert not db.exists() and not (tmp_path / "no-models").exists()  # nothing trained, nothing written
    assert retry_network_errors(None, None, prefect.states.Failed(data=PresetNotTrained("x"))) is False
