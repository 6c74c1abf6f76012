"""How much the database holds, in the few numbers the commands report after a step."""

from __future__ import annotations

from datetime import date

import duckdb


def stored_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """Stored documents, stances and events."""
    return con.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM stances), "
        "(SELECT count(*) FROM events)").fetchone()


def latest_event_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The day of the latest stored event, or None when there is none."""
    return con.execute("SELECT max(occurred_at) FROM events").fetchone()[0]


def label_count(con: duckdb.DuckDBPyConnection, purpose: str) -> int:
    """Stored labels of one purpose: ``train`` (yours, for training) or ``audit`` (a random audit's)."""
    return con.execute("SELECT count(*) FROM labels WHERE purpose = ?", [purpose]).fetchone()[0]


def audit_count(con: duckdb.DuckDBPyConnection) -> int:
    """Audits drawn so far (each a uniform random sample to label)."""
    return con.execute("SELECT count(*) FROM audits").fetchone()[0]
