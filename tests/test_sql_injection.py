"""Every user value that reaches SQL is a bound parameter: injection strings, quotes and LIKE's
``%``/``_`` pass through the dashboard filters, ``brief --week``, ``label --import``/``--export``,
``eval``, ``forget --author`` and events files as literals, and the tables stay intact. A static
check keeps SQL f-strings to compile-time constants and whitelisted identifiers."""

from __future__ import annotations

import ast
import json
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sentiment import dashboard
from sentiment.cli import app
from sentiment.settings import LABELS
from tests.conftest import ROOT

INJECTIONS = ["'; drop table documents; --", '" OR 1=1 --', "%", "_", "' OR '1'='1", "x'); DELETE FROM stances; --"]
TABLES = ("documents", "stances", "events", "labels", "event_shift", "stance_day_counts")


def _counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_dashboard_filters_treat_input_as_values(demo_db):
    before = _counts(demo_db)
    with duckdb.connect(str(demo_db), read_only=True) as con:
        opts = dashboard.options(con)
        first, last = opts.first_day, opts.last_day
        assert len(dashboard.comments(con, opts.sources, first, last, list(LABELS))) > 0  # the filters do select
        for bad in INJECTIONS:
            assert dashboard.comments(con, [bad], first, last, list(LABELS)).empty
            assert dashboard.comments(con, opts.sources, first, last, [bad]).empty
            assert dashboard.stance_over_time(con, [bad], first, last, list(LABELS)).empty
            assert dashboard.stance_over_time(con, opts.sources, first, last, [bad]).empty
            assert dashboard.before_after(con, bad, opts.sources, list(LABELS)).empty
            assert dashboard.before_after(con, "qwen-lead-exit", [bad], [bad]).empty
            assert dashboard.event_markers(con, date(2026, 3, 1), date(2026, 3, 31)).shape[0] >= 2
    assert _counts(demo_db) == before


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    db = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, db)
    return db


def _cli(db: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(db), *args], catch_exceptions=False, env={"COLUMNS": "200"})


def test_cli_inputs_are_literals(demo_copy, tmp_path, monkeypatch):
    from sentiment.settings import get_settings

    monkeypatch.setenv("SENTIMENT_BOOTSTRAP_DRAWS", "20")  # the trends step below: intervals are not the point
    get_settings.cache_clear()
    db = demo_copy
    before = _counts(db)
    for bad in INJECTIONS:
        result = _cli(db, "brief", "--week", bad)
        assert result.exit_code == 2 and "2026-W10" in result.output  # validated before any SQL

    for bad in INJECTIONS:
        result = _cli(db, "forget", "--author", bad, "--yes")
        assert result.exit_code == 0, result.output
        assert "0 documents emptied" in result.output

    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps({"id": bad, "text": f"I fear the worst {bad}", "thread_title": bad,
                                            "label": "concern"}) for bad in INJECTIONS) + "\n", encoding="utf-8")
    result = _cli(db, "label", "--import", str(labels))
    assert result.exit_code == 0 and f"imported {len(INJECTIONS)} new" in result.output
    exported = tmp_path / "out.jsonl"
    assert _cli(db, "label", "--export", str(exported)).exit_code == 0
    rows = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["purpose"] == "train"]  # the demo's audit labels are exported too
    assert sorted(r["id"] for r in rows) == sorted(INJECTIONS) and all(r["thread_title"] == r["id"] for r in rows)
    result = _cli(db, "eval", str(labels), "--model", "baseline")
    assert result.exit_code == 0 and f"n {len(INJECTIONS)}" in result.output

    events = tmp_path / "events.yaml"
    events.write_text("events:\n" + "".join(
        f"  - id: {json.dumps(bad)}\n    name: {json.dumps(bad)}\n    date: 2026-03-0{i + 1}\n"
        f"    description: {json.dumps(bad)}\n    keywords: [{json.dumps(bad)}]\n"
        for i, bad in enumerate(INJECTIONS)), encoding="utf-8")
    result = _cli(db, "ingest", str(events))
    assert result.exit_code == 0 and f"{len(INJECTIONS)} new events" in result.output, result.output
    assert _cli(db, "trends").exit_code == 0
    assert _cli(db, "brief", "--week", "2026-W10", "--out", str(tmp_path / "b")).exit_code == 0

    after = _counts(db)
    assert after["documents"] == before["documents"] and after["stances"] == before["stances"]
    assert after["events"] == before["events"] + len(INJECTIONS)
    assert after["labels"] == before["labels"] + len(INJECTIONS)
    with duckdb.connect(str(db), read_only=True) as con:
        stored = {r[0]: (r[1], r[2], r[3]) for r in con.execute(
            "SELECT event_id, name, description, keywords FROM events").fetchall()}
        assert all(stored[bad] == (bad, bad, [bad]) for bad in INJECTIONS)
        assert con.execute("SELECT count(*) FROM forgotten_authors").fetchone()[0] == len(INJECTIONS)
        assert con.execute("SELECT count(*) FROM event_shift WHERE event_id = ?", [INJECTIONS[0]]).fetchone()[0] > 0
        runs = repr(con.execute("SELECT * FROM runs WHERE step = 'forget'").fetchall())
    assert not [bad for bad in INJECTIONS[:2] if bad in runs]  # names are never recorded, only hashes


# --- static: SQL built with f-strings interpolates only constants and whitelisted identifiers -------
_SQL = re.compile(r"\b(SELECT|INSERT|DELETE|UPDATE|CREATE|DROP|ATTACH|COPY|WHERE|FROM|JOIN)\b")
ALLOWED = {
    # module constants built from code, never from input
    "MOMENT_COLUMNS": "trend moment column names", "COMMUNITY_KINDS": "document kinds", "LABELS": "stance labels",
    "_PAIRS": "label pairs", "_PENDING": "classify query text", "_DOC_COLUMNS": "documents columns",
    "_DOC_UPDATE": "documents upsert clause", "cols": "stances columns (a literal list)",
    "fields": "dump JSON field names (_FIELDS)", "sub": "bulk filter SQL, values bound via _filter",
    "date": "bulk filter SQL, values bound via _filter", "kw": "bulk filter SQL, values bound via _filter",
    "tidy": "_TIDY template", "strip": "_STRIP template", "chash": "_HASH template",
    "where": "classify.count_pending: one of two literal clauses", "MAX_EPOCH": "bulk: a numeric constant",
    "MAX_EXAMPLES": "skips: how many skipped ids a report names", "incoming": "'_incoming' or _INCOMING_TOMBSTONED",
    "tombstone": "built from TOMBSTONE", "table": "trends._replace: table names from a literal tuple",
    "given_up": "doctor: one of two literal clauses (a file with or without migration 009)",
    "next_at": "doctor: one of two literal expressions (a file with or without migration 009)",
    "_FRAME": "audit: the draw frame's query text", "AUDIT_ROWS": "audit: the audit labels' query text",
    # identifiers and literals quoted by helpers made for it
    "quoted_literal": "compact: SQL string literal quoting", "quoted_identifier": "compact: identifier quoting",
    "fresh": "compact: a path the code builds", "name": "compact: current_database(), quoted", "str": "builtin",
}


def _sql_fstrings():
    for root in ("sentiment", "flows", "dashboards"):
        for path in sorted((ROOT / root).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.JoinedStr):
                    literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                    if _SQL.search(literal):
                        yield path.relative_to(ROOT), node


def test_sql_fstrings_interpolate_only_whitelisted_names():
    found = 0
    for path, node in _sql_fstrings():
        for value in (v.value for v in node.values if isinstance(v, ast.FormattedValue)):
            bound = {n.id for c in ast.walk(value) if isinstance(c, ast.comprehension)
                     for n in ast.walk(c.target) if isinstance(n, ast.Name)}
            used = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} - bound
            assert used <= set(ALLOWED), f"{path}:{node.lineno} builds SQL from {used - set(ALLOWED)}: bind it"
            found += 1
    assert found > 10  # the scan sees the project's SQL
