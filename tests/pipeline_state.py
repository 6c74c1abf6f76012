"""The deterministic content of a pipeline database, for comparing two runs of the pipeline.

Wall-clock columns (when a row was fetched, classified or refreshed) differ between any two runs
and are left out; floating-point values are rounded to 9 decimals, because DuckDB's parallel
sums may add in a different order from one run to the next.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sentiment.store import connect

CLOCK_COLUMNS = {"fetched_at", "classified_at", "refreshed_at"}
TABLES = ("documents", "stances", "events", "event_shift", "stance_day_counts", "thread_stance_counts",
          "event_effects", "adjusted_shares", "spikes", "event_quotes")
KEYS = {"documents": ["doc_id"], "stances": ["doc_id", "model_version"], "events": ["event_id"]}


def _rounded(value):
    return round(value, 9) if isinstance(value, float) else value


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """Every row of ``table`` without its wall-clock columns, in a stable order."""
    columns = [name for name, in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall() if name not in CLOCK_COLUMNS]
    listed = ", ".join(f'"{c}"' for c in columns)
    rows = con.execute(f"SELECT {listed} FROM {table} ORDER BY ALL").fetchall()
    return [tuple(_rounded(v) for v in row) for row in rows]


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
