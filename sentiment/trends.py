"""Trend statistics around events: Wilson intervals and the before/after shift test.

The per-window shares are the ``event_windows`` view (plain SQL, always current); the shift test
needs a chi-square distribution, so the trends step computes it here and stores ``event_shift``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
from scipy.stats import chi2_contingency

from sentiment.settings import LABELS
from sentiment.store import track_run
from sentiment.store.db import utcnow
from sentiment.store.writes import ACTIVE_MODEL_KEY, get_meta, transaction

Z95 = 1.959963984540054
BEFORE, AFTER = "-7..-1", "0..+6"


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (the ``wilson_low``/``wilson_high`` SQL macros)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, center - half), min(1.0, center + half))


@dataclass(frozen=True)
class ShiftTest:
    """Chi-square test of the label mix before vs after; ``small_sample`` marks unreliable ones."""

    statistic: float | None
    dof: int | None
    p_value: float | None
    small_sample: bool


def shift_test(before: list[int], after: list[int], *, min_n: int) -> ShiftTest:
    """Test whether the stance mix differs between two windows (counts in ``LABELS`` order)."""
    n_before, n_after = sum(before), sum(after)
    present = [i for i in range(len(before)) if before[i] + after[i] > 0]
    if n_before == 0 or n_after == 0 or len(present) < 2:
        return ShiftTest(None, None, None, True)
    table = [[before[i] for i in present], [after[i] for i in present]]
    statistic, p_value, dof, expected = chi2_contingency(table, correction=False)
    small = n_before < min_n or n_after < min_n or bool((expected < 5).any())
    return ShiftTest(float(statistic), int(dof), float(p_value), small)


def _window_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """SELECT event_id, source, "window", label, n FROM event_windows_by_source
           WHERE "window" IN (?, ?)""",
        [BEFORE, AFTER],
    ).df()


def refresh_trends(con: duckdb.DuckDBPyConnection, *, min_n: int) -> int:
    """Recompute ``event_shift`` for every event and source; returns the rows written."""
    with track_run(con, "trends") as stats:
        counts = _window_counts(con)
        model_version = get_meta(con, ACTIVE_MODEL_KEY)
        now = utcnow()
        rows: list[dict] = []
        for (event_id, source), group in counts.groupby(["event_id", "source"], sort=True):
            by = {(w, lab): int(n) for w, lab, n in group[["window", "label", "n"]].itertuples(index=False)}
            before = [by.get((BEFORE, lab), 0) for lab in LABELS]
            after = [by.get((AFTER, lab), 0) for lab in LABELS]
            test = shift_test(before, after, min_n=min_n)
            nb, na = sum(before), sum(after)
            row = {
                "event_id": event_id, "source": source, "n_before": nb, "n_after": na,
                "test": "chi-square" if test.p_value is not None else None,
                "statistic": test.statistic, "dof": test.dof, "p_value": test.p_value,
                "small_sample": test.small_sample,
            }
            changes = {}
            for i, lab in enumerate(LABELS):
                sb = before[i] / nb if nb else None
                sa = after[i] / na if na else None
                row[f"{lab}_before"], row[f"{lab}_after"] = sb, sa
                if sb is not None and sa is not None:
                    changes[lab] = sa - sb
            top = max(changes, key=lambda lab: abs(changes[lab])) if changes else None
            row["largest_change_label"] = top
            row["largest_change_pp"] = 100 * changes[top] if top else None
            row["model_version"] = model_version
            row["refreshed_at"] = now
            rows.append(row)
        with transaction(con):
            con.execute("DELETE FROM event_shift")
            if rows:
                con.register("_shift", pa.Table.from_pylist(rows))
                try:
                    con.execute("INSERT INTO event_shift BY NAME SELECT * FROM _shift")
                finally:
                    con.unregister("_shift")
        stats.n_in = len(counts)
        stats.n_new = len(rows)
    return len(rows)


def event_window_table(con: duckdb.DuckDBPyConnection, event_id: str | None = None) -> pd.DataFrame:
    """The event-window table as printed and briefed: one row per event, window and label."""
    return con.execute(
        """SELECT w.event_id, e.name AS event, e.occurred_at, w."window", w.date_from, w.date_to,
                  w.label, w.n, w.n_window, w.share, w.ci_low, w.ci_high
           FROM event_windows w JOIN events e USING (event_id)
           WHERE ? IS NULL OR w.event_id = ?
           ORDER BY e.occurred_at, w.event_id, w.window_order, w.label_order""",
        [event_id, event_id],
    ).df()


def event_shift_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The stored shift tests, events in date order, 'all' sources first."""
    return con.execute(
        """SELECT s.*, e.name AS event FROM event_shift s JOIN events e USING (event_id)
           ORDER BY e.occurred_at, s.event_id, s.source <> 'all', s.source"""
    ).df()
