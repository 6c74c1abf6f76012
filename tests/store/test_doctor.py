"""``sentiment doctor``: healthy on the demo database, finds each kind of damage on a copy, says the
command that mends it (and that command works), never writes to the file."""

from __future__ import annotations

import hashlib
import shlex
import shutil
from datetime import timedelta

import duckdb
from typer.testing import CliRunner

from sentiment.cli import app
from sentiment.store.clock import utcnow
from sentiment.store.db import migrations, latest_version
from sentiment.maintenance.doctor import check_database


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _doctor(path):
    return CliRunner().invoke(app, ["doctor", "--db", str(path)], env={"COLUMNS": "200"})


def test_the_demo_database_is_healthy_and_left_untouched(demo_db, tmp_path):
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    before = _digest(db)
    result = _doctor(db)
    assert result.exit_code == 0, result.output
    assert "healthy: nothing to do" in result.output and f"all {len(migrations())} migrations applied" in result.output
    assert "runs per step" in result.output and "classify" in result.output
    assert _digest(db) == before and not (tmp_path / "demo.duckdb.wal").exists()
    report = check_database(db)
    assert {s.step for s in report.steps} >= {"ingest", "classify", "trends"}
    assert all(s.last_status == "ok" for s in report.steps)


def test_damage_is_found_with_the_command_that_mends_it(demo_db, tmp_path):
    db = tmp_path / "damaged.duckdb"
    shutil.copy(demo_db, db)
    with duckdb.connect(str(db)) as con:
        active = con.execute("SELECT value FROM meta WHERE key = 'active_model_version'").fetchone()[0]
        doc_id = con.execute("SELECT doc_id FROM current_stances ORDER BY doc_id LIMIT 1").fetchone()[0]
        con.execute("INSERT INTO stances SELECT 'reddit:t1_gone', model_version, label, confidence, p_concern, "
                    "p_skepticism, p_support, p_neutral, classified_at FROM stances WHERE doc_id = ?", [doc_id])
        con.execute("INSERT INTO stances SELECT doc_id, 'old-model-v0', label, confidence, p_concern, "
                    "p_skepticism, p_support, p_neutral, classified_at FROM stances WHERE doc_id = ?", [doc_id])
        con.execute("INSERT INTO runs (run_id, step, started_at, status) VALUES ('stuck1', 'classify', ?, 'running')",
                    [utcnow() - timedelta(days=2)])
        con.execute("INSERT INTO runs (run_id, step, started_at, finished_at, status, notes) VALUES "
                    "('f1', 'collect:hn', ?, ?, 'failed', '{\"error\": \"FetchFailed: HTTP 503\", "
                    "\"params\": {\"query\": \"qwen lead\"}}')", [utcnow(), utcnow()])
    before = _digest(db)
    result = _doctor(db)
    assert result.exit_code == 1, result.output
    assert _digest(db) == before  # read-only, even when it finds damage
    report = check_database(db)
    actions = {f.check: f for f in report.findings if f.status == "action"}
    assert set(actions) == {"stances without a document", "stances from outdated models",
                            "run stuck at 'running'", "last collect:hn run failed"}
    assert "old-model-v0 (1)" in actions["stances from outdated models"].detail
    assert actions["last collect:hn run failed"].fix == f"sentiment --db {db} collect hn --query 'qwen lead'"
    assert "HTTP 503" in actions["last collect:hn run failed"].detail

    # the printed SQL fixes are exact commands: run them and the database is healthy again
    with duckdb.connect(str(db)) as con:
        for name in ("stances without a document", "stances from outdated models", "run stuck at 'running'"):
            program, path, sql = shlex.split(actions[name].fix)
            assert (program, path) == ("duckdb", str(db))
            con.execute(sql)
        con.execute("INSERT INTO runs (run_id, step, started_at, finished_at, status) "
                    "VALUES ('ok1', 'collect:hn', ?, ?, 'ok')", [utcnow(), utcnow()])
        assert con.execute("SELECT count(*) FROM stances WHERE model_version = ?", [active]).fetchone()[0] > 0
    assert check_database(db).healthy


def test_missing_database_and_missing_migrations(tmp_path):
    missing = _doctor(tmp_path / "nope.duckdb")
    assert missing.exit_code == 2 and "no database at" in missing.output
    assert not (tmp_path / "nope.duckdb").exists()
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:
        con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                    "applied_at TIMESTAMP NOT NULL)")
        version, name, sql = migrations()[0]
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, name])
    result = _doctor(old)
    assert result.exit_code == 1 and f"{len(migrations()) - 1} migration(s) not applied" in result.output
    fix = next(f.fix for f in check_database(old).findings if f.check == "schema")
    assert fix == f"sentiment --db {old} doctor --migrate"
    migrated = CliRunner().invoke(app, shlex.split(fix)[1:])
    assert f"schema version {latest_version()}" in " ".join(migrated.output.split())  # rich wraps long paths
    assert all(f.check != "schema" or f.status == "ok" for f in check_database(old).findings)
