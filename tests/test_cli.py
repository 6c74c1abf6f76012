"""The commands end to end on the bundled data, the way a newcomer runs them."""

import re
import shutil
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from sentiment.cli import app
from tests.conftest import ROOT

runner = CliRunner()


def _run(*args):
    result = runner.invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return result.output


def _counts(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("documents", "stances", "events", "event_shift")}


@pytest.mark.slow
def test_demo_runs_everything_and_is_idempotent(tmp_path):
    db = tmp_path / "demo.duckdb"
    out = _run("--db", str(db), "demo")
    assert "Qwen tech lead Junyang Lin steps down" in out and "0..+6" in out
    briefs = tmp_path / "briefs"
    assert (briefs / "2026-W10.md").exists() and (briefs / "2026-W10.html").exists()
    first = _counts(db)
    assert first["documents"] > 0 and first["stances"] > 0 and first["events"] >= 2
    out = _run("--db", str(db), "demo")
    assert "0 new" in out
    assert _counts(db) == first
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT * FROM event_windows WHERE event_id = 'qwen-lead-exit'").fetchall()
        assert len(rows) == 16  # 4 windows x 4 labels
        runs = con.execute("SELECT step, status FROM runs ORDER BY started_at").fetchall()
        assert [s for s, _ in runs].count("ingest") == 2 and {st for _, st in runs} == {"ok"}


def test_steps_work_alone_on_a_new_database(tmp_path):
    db = str(tmp_path / "steps.duckdb")
    out = _run("--db", db, "ingest", str(ROOT / "seeds" / "events.yaml"), str(ROOT / "seeds" / "000_df123552c6684693.txt"))
    assert re.search(r"6 new", out)  # the article and its five quotes
    assert "labelled" in _run("--db", db, "classify")
    out = _run("--db", db, "trends")
    assert "Qwen3.5 small models released" in out
    # classify recorded the model's dev-split quality, so shares can be corrected
    assert "no model card for the active model" not in out
    out = _run("--db", db, "brief", "--week", "2026-W10", "--out", str(tmp_path / "b"))
    assert (tmp_path / "b" / "2026-W10.html").exists()


def test_bad_inputs_are_reported_and_the_run_is_partial(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "broken.json").write_text('[{"kind": "Listing", "data": {"children": [', encoding="utf-8")
    (inputs / "other.json").write_text('{"hello": "world"}', encoding="utf-8")
    (inputs / "ok.txt").write_text('A user wrote: "this is the end of open weights" on a forum.', encoding="utf-8")
    db = str(tmp_path / "bad.duckdb")
    result = runner.invoke(app, ["--db", db, "ingest", str(inputs)], env={"COLUMNS": "160"})
    out = result.output
    assert result.exit_code == 3, out  # partial: stored some, failed some
    assert "broken.json" in out and "other.json" in out and "ingest: partial" in out
    assert "2 new" in out  # the good file and its quote still land
    with duckdb.connect(db, read_only=True) as con:
        status, skipped, notes = con.execute("SELECT status, n_skipped, notes FROM runs").fetchone()
        failures = con.execute("SELECT source, item, attempts FROM collect_failures ORDER BY item").fetchall()
    assert status == "partial" and skipped == 2 and "broken.json" in notes
    assert failures == [("files", str(inputs / "broken.json"), 1), ("files", str(inputs / "other.json"), 1)]

    # the next ingest of anything reads them again; mended, they are stored and forgotten
    (inputs / "other.json").unlink()
    (inputs / "broken.json").write_text(next((ROOT / "seeds" / "threads").rglob("*.json")).read_text("utf-8"),
                                        encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text("An article with nothing quoted.", encoding="utf-8")
    again = runner.invoke(app, ["--db", db, "ingest", str(other)], env={"COLUMNS": "160"})
    assert again.exit_code == 0, again.output
    assert "earlier failure no longer exists" in again.output
    with duckdb.connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM collect_failures").fetchone()[0] == 0
        assert con.execute("SELECT status FROM runs ORDER BY started_at").fetchall() == [("partial",), ("ok",)]


@pytest.mark.parametrize("command", [["ingest"], ["collect", "files"], ["collect", "dump"]])
def test_a_missing_path_is_one_line_and_creates_nothing(tmp_path, command):
    result = runner.invoke(app, ["--db", str(tmp_path / "db" / "x.duckdb"), *command, str(tmp_path / "nope")],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 2 and result.output.strip() == f"no such file or folder: {tmp_path / 'nope'}"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no database, lock, read copy or key


@pytest.mark.parametrize("command", [["ingest"], ["collect", "files"]])
def test_only_unreadable_files_create_no_database(tmp_path, command):
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": "world"}', encoding="utf-8")
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), *command, str(bad)], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "nothing readable" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


@pytest.mark.parametrize("args", [["classify", "--model", "baseline"], ["trends"], ["brief", "--week", "2026-W10"],
                                  ["label", "--export", "x.jsonl"], ["doctor"], ["forget", "--author", "a", "--yes"]])
def test_commands_that_need_a_database_refuse_a_missing_one(tmp_path, args):
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), *args], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert f"no database at {tmp_path / 'x.duckdb'}" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["classify-file", "{missing}", "{out}"], ["shares", "{missing}"],
                                  ["eval", "{missing}"]])
def test_a_missing_input_file_is_one_line(tmp_path, args):
    args = [a.format(missing=tmp_path / "missing.jsonl", out=tmp_path / "out.jsonl") for a in args]
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), *args], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "missing.jsonl" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, hint", [
    (["brief", "--week", "March"], "2026-W10"),
    (["demo", "--week", "W10"], "2026-W10"),
    (["classify", "--model", "gpt"], "baseline"),
])
def test_bad_options_are_clear_errors(tmp_path, args, hint):
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), *args], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and hint in result.output


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert commands and all(f"`sentiment {name}" in readme for name in commands)


def test_console_script_is_installed():
    exe = shutil.which("sentiment") or str(ROOT / ".venv" / "bin" / "sentiment")
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    assert "demo" in result.stdout and "--db" in result.stdout
    assert sys.executable
