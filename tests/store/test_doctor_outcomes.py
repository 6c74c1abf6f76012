"""``sentiment doctor`` tells the truth about outcomes: failed and partial runs, items waiting for a
retry, trend tables older than new events or documents, events without effect rows, and a read
copy older than the database; each with the command that mends it (and that command works)."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sentiment.cli import app
from sentiment.collect import run_source
from sentiment.store import connect
from sentiment.maintenance.doctor import check_database
from sentiment.settings import Settings
from tests.conftest import AUTHOR_KEY, SEEDS, free_port

runner = CliRunner()


def _actions(db: Path) -> dict:
    return {f.check: f for f in check_database(db).findings if f.status == "action"}


def _mend(fix: str) -> None:
    """Run a printed ``sentiment --db X ...`` fix as the user would."""
    args = shlex.split(fix)
    assert args[0] == "sentiment"
    result = runner.invoke(app, args[1:], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output


@pytest.fixture
def healthy(tmp_path) -> Path:
    """Seeds ingested, classified with the baseline, trends refreshed: nothing to do."""
    db = tmp_path / "h.duckdb"
    for args in (["ingest", str(SEEDS)], ["classify", "--model", "baseline"], ["trends"]):
        result = runner.invoke(app, ["--db", str(db), *args], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
    assert check_database(db).healthy, [f for f in check_database(db).findings if f.status == "action"]
    return db


def test_a_failed_collect_and_its_waiting_search_are_reported_with_the_command(healthy, monkeypatch):
    monkeypatch.setenv("SENTIMENT_HN_API_URL", f"http://127.0.0.1:{free_port()}/api/v1")
    monkeypatch.setenv("SENTIMENT_COLLECT_RETRIES", "0")
    with connect(healthy) as con:
        assert run_source(con, "hn", {"query": "qwen lead"}, settings=Settings()).status == "failed"
    before = hashlib.sha256(healthy.read_bytes()).hexdigest()
    result = runner.invoke(app, ["doctor", "--db", str(healthy)], env={"COLUMNS": "250"})
    assert result.exit_code == 1 and "healthy" not in result.output
    assert hashlib.sha256(healthy.read_bytes()).hexdigest() == before  # doctor never writes
    actions = _actions(healthy)
    assert set(actions) == {"last collect:hn run failed", "hn items waiting for a retry"}
    assert "search 'qwen lead'" in actions["last collect:hn run failed"].detail
    waiting = actions["hn items waiting for a retry"]
    assert "search?query=qwen+lead" in waiting.detail and "network error" in waiting.detail
    assert waiting.fix == f"sentiment --db {healthy} collect hn --query 'qwen lead'"


def test_a_partial_ingest_is_reported(healthy, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(healthy), "ingest", str(broken), str(SEEDS / "events.yaml")])
    assert result.exit_code == 3, result.output
    actions = _actions(healthy)
    assert "last ingest run partial" in actions and "broken.json" in actions["last ingest run partial"].detail
    assert "files items waiting for a retry" in actions


def test_trends_older_than_a_new_event_and_its_missing_effects_are_found_and_mended(healthy, tmp_path):
    events = tmp_path / "events.yaml"
    events.write_text("events:\n  - id: new-event\n    name: Something happened\n    date: 2026-03-05\n"
                      "  - id: quiet-event\n    name: Nobody talked\n    date: 2020-01-01\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(healthy), "ingest", str(events)])
    assert result.exit_code == 0, result.output
    actions = _actions(healthy)
    assert set(actions) == {"trend tables", "events without effect rows"}
    assert "older than events stored since" in actions["trend tables"].detail
    assert actions["events without effect rows"].detail.startswith("new-event (")
    info = {f.check: f for f in check_database(healthy).findings if f.status == "info"}
    assert "quiet-event" in info["events without documents"].detail  # normal, not an action
    _mend(actions["trend tables"].fix)
    assert check_database(healthy).healthy


def test_a_read_copy_older_than_the_database_is_found_and_mended(healthy):
    with duckdb.connect(str(healthy)) as raw:  # another tool wrote the file: nothing published
        raw.execute("INSERT INTO meta VALUES ('touched', 'by hand')")
    actions = _actions(healthy)
    assert set(actions) == {"read copy"} and "older than the database" in actions["read copy"].detail
    _mend(actions["read copy"].fix)
    assert check_database(healthy).healthy


def test_a_read_copy_behind_a_running_writer_is_not_an_action(healthy):
    from tests.store.test_single_writer import _hold_writer

    holder = _hold_writer(healthy, 30)  # a run writing now: it publishes when it finishes
    try:
        findings = {f.check: f for f in check_database(healthy).findings}
    finally:
        holder.kill()
        holder.wait()
    assert findings["read copy"].status == "info" and "a writer is running" in findings["read copy"].detail
