"""Upgrades: a database written by an older schema opens, migrates to the current one and keeps
every row unchanged; the views work on it; a second open applies nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from sentiment.store import connect, schema_version
from sentiment.store import db as store_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OLD_TABLES = {"schema_v1.duckdb": ["documents", "stances", "events", "runs", "meta", "event_shift"],
              "schema_v3.duckdb": ["documents", "stances", "events", "runs", "meta", "event_shift",
                                   "collect_watermarks", "collect_failures", "stance_day_counts"]}


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]


def _rows(con, table: str, columns: list[str] | None = None) -> list[tuple]:
    """Every row of ``table`` in ``columns`` (default: all), so an old table is compared in the
    columns it had: a migration may add columns, never change what was there."""
    cols = ", ".join(f'"{c}"' for c in (columns or _columns(con, table)))
    return con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()


@pytest.mark.parametrize("fixture", sorted(OLD_TABLES))
def test_an_old_database_migrates_without_losing_a_row(fixture, tmp_path):
    db = tmp_path / fixture
    shutil.copy(FIXTURES / fixture, db)
    with duckdb.connect(str(db), read_only=True) as old:
        old_columns = {t: _columns(old, t) for t in OLD_TABLES[fixture]}
        before = {t: _rows(old, t) for t in OLD_TABLES[fixture]}
        old_version = schema_version(old)
    assert before["documents"] and old_version < store_db.latest_version()

    with connect(db) as con:
        assert schema_version(con) == store_db.latest_version()
        applied = {r[0] for r in con.execute("SELECT version FROM schema_version").fetchall()}
        assert applied == {v for v, _, _ in store_db.migrations()}
        for table, rows in before.items():
            now = _rows(con, table, old_columns[table])
            assert all(row in now for row in rows), table  # every old row, unchanged
            # nothing else changed but the views' digest the store keeps in meta
            assert table == "meta" or now == rows, table
        # columns added later are empty on old rows: an old article's date source is unknown
        assert con.execute("SELECT count(*) FROM documents WHERE date_source IS NOT NULL "
                           "OR language IS NOT NULL").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM document_aliases").fetchone()[0] == 0
        texts = dict(con.execute("SELECT doc_id, text FROM documents").fetchall())
        assert texts["reddit:t1_c3"] == "Alibaba’s reply — «нет» 😬 çà et là"
        # the views work on the migrated file and report the active model only
        classified = dict(con.execute("SELECT doc_id, label FROM classified_documents").fetchall())
        assert classified == {"reddit:t1_c1": "concern", "reddit:t1_c3": "skepticism",
                              "hn:47123456": "support", "file:qwen-exit#q1": "concern"}
        assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 0  # a new table, empty
        from sentiment.insight.trends import refresh_trends

        refresh_trends(con, min_n=1)
        assert con.execute("SELECT sum(n) FROM stance_daily").fetchone()[0] == 4
        assert con.execute("SELECT count(*) FROM event_windows WHERE event_id = 'qwen-lead-exit'").fetchone()[0] > 0

    with duckdb.connect(str(db)) as raw:  # a second open applies nothing
        assert store_db.migrate(raw) == []
    from sentiment.maintenance.doctor import check_database

    schema = [f for f in check_database(db).findings if f.check == "schema"]
    assert [f.status for f in schema] == ["ok"]


def test_the_fixtures_are_small_and_regenerable():
    for name in OLD_TABLES:
        assert (FIXTURES / name).stat().st_size < 1_000_000
    assert (FIXTURES / "make_old_db.py").exists() and (FIXTURES / "views_v1.sql").exists()
