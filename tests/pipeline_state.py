"""The deterministic content of a pipeline database, for comparing two runs of the pipeline.

Wall-clock columns (when a row was fetched, classified or refreshed) differ between any two runs
and are left out. Floating-point values are compared to within 1e-7 relative or 1e-9 absolute:
DuckDB's parallel sums add in an order that depends on the file's physical layout, which
moves the trend figures in their ninth or tenth digit.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

from sentiment.store import connect

CLOCK_COLUMNS = {"fetched_at", "classified_at", "refreshed_at"}
TABLES = ("documents", "stances", "events", "event_shift", "stance_day_counts", "thread_stance_counts",
          "event_effects", "adjusted_shares", "spikes", "event_quotes")


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """Every row of ``table`` without its wall-clock columns, in a stable order."""
    columns = [name for name, in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall() if name not in CLOCK_COLUMNS]
    listed = ", ".join(f'"{c}"' for c in columns)
    return con.execute(f"SELECT {listed} FROM {table} ORDER BY ALL").fetchall()


def duplicate_keys(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many keys occur more than once: doc_id, (source, external_id), stance key, event_id."""
    checks = {
        "documents.doc_id": "SELECT doc_id FROM documents GROUP BY ALL HAVING count(*) > 1",
        "documents.(source, external_id)":
            "SELECT source, external_id FROM documents GROUP BY ALL HAVING count(*) > 1",
        "stances.(doc_id, model_version)":
            "SELECT doc_id, model_version FROM stances GROUP BY ALL HAVING count(*) > 1",
        "events.event_id": "SELECT event_id FROM events GROUP BY ALL HAVING count(*) > 1",
    }
    return {name: con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0] for name, sql in checks.items()}


def pipeline_state(db: Path, tables: tuple[str, ...] = TABLES) -> dict[str, list[tuple]]:
    """The deterministic rows of ``tables`` (plus the active model) in database ``db``."""
    with connect(db, publish=False) as con:
        state = {table: table_rows(con, table) for table in tables}
        state["active_model"] = con.execute(
            "SELECT value FROM meta WHERE key = 'active_model_version'").fetchall()
        duplicates = duplicate_keys(con)
    assert not any(duplicates.values()), f"duplicate keys in {db}: {duplicates}"
    return state


def _same(x, y) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-7, abs_tol=1e-9) or (math.isnan(x) and math.isnan(y))
    return x == y


def differences(actual: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> list[str]:
    """Where two ``pipeline_state`` results differ (empty when they are the same), per table."""
    found = []
    for table, rows in expected.items():
        got = actual.get(table, [])
        if len(got) != len(rows):
            found.append(f"{table}: {len(got)} rows, expected {len(rows)}")
            continue
        for a, e in zip(got, rows):
            if len(a) != len(e) or not all(map(_same, a, e)):
                found.append(f"{table}: first difference {a} != {e}")
                break
    return found
