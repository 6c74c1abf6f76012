"""Data for the Streamlit dashboard (dashboards/app.py), kept here so it is testable without it.

The dashboard must never block a running flow: DuckDB allows one writing process per file and no
reader beside a writer. So it reads the read-only copy every writer publishes when it finishes
(``<db>.read.duckdb``, see ``sentiment.store.snapshot``; or the file named by ``dashboard_db``),
which is always a whole committed state. Only when no copy has been published yet and a writer
is busy does it fall back to copying the database file to a temporary folder.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from sentiment.settings import LABELS, Settings
from sentiment.store.db import connect
from sentiment.store.lock import DatabaseBusy
from sentiment.store.snapshot import snapshot_path


@dataclass(frozen=True)
class Snapshot:
    """An open read-only connection and where it points."""

    con: duckdb.DuckDBPyConnection
    path: Path
    source: Path  # the database it was copied from (or the published copy itself)
    copied: bool


def open_snapshot(settings: Settings, folder: Path | None = None) -> Snapshot:
    """Open the database for reading without touching the live file's locks."""
    if settings.dashboard_db is not None:
        path = Path(settings.dashboard_db)
        return Snapshot(connect(path, read_only=True), path, path, copied=False)
    live = Path(settings.db)
    if not live.exists():
        raise FileNotFoundError(f"no database at {live}: run `sentiment demo` or set SENTIMENT_DB")
    try:
        return Snapshot(connect(live, read_only=True, timeout=0), snapshot_path(live), live, copied=False)
    except DatabaseBusy:
        pass  # nothing published yet and a writer is busy: copy the file as it is now
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="sentiment-dashboard-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)  # the copy is ours to remove
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / live.name
    shutil.copyfile(live, target)
    wal = live.with_name(live.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return Snapshot(connect(target, read_only=True), target, live, copied=True)


@dataclass(frozen=True)
class Options:
    sources: list[str]
    events: pd.DataFrame  # event_id, name, occurred_at
    first_day: date | None
    last_day: date | None
    refreshed_at: object


def options(con: duckdb.DuckDBPyConnection) -> Options:
    """What the filters can offer."""
    sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM stance_day_counts ORDER BY 1").fetchall()]
    events = con.execute("SELECT event_id, name, occurred_at FROM events ORDER BY occurred_at, event_id").df()
    first, last, refreshed = con.execute(
        "SELECT min(day), max(day), max(refreshed_at) FROM stance_day_counts").fetchone()
    return Options(sources, events, first, last, refreshed)


def stance_over_time(con: duckdb.DuckDBPyConnection, sources: list[str], start: date, end: date,
                     labels: list[str]) -> pd.DataFrame:
    """Daily share and 7-day rolling share per label over the chosen sources."""
    return con.execute(
        """WITH days AS (
               SELECT day, label, sum(n) AS n FROM stance_day_counts
               WHERE list_contains(?, source) GROUP BY day, label),
           totals AS (SELECT day, sum(n) AS n_day FROM days GROUP BY day),
           grid AS (SELECT t.day, t.n_day, l.label, l.label_order FROM totals t CROSS JOIN stance_labels l),
           filled AS (
               SELECT g.day, g.label, g.label_order, coalesce(d.n, 0) AS n, g.n_day
               FROM grid g LEFT JOIN days d USING (day, label)),
           rolled AS (
               SELECT *, n / n_day AS share,
                      sum(n) OVER w / sum(n_day) OVER w AS share_7d
               FROM filled
               WINDOW w AS (PARTITION BY label ORDER BY day
                            RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW))
           SELECT day, label, n, n_day, share, share_7d FROM rolled
           WHERE day BETWEEN ? AND ? AND list_contains(?, label)
           ORDER BY day, label_order""",
        [sources, start, end, labels]).df()


def event_markers(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pd.DataFrame:
    return con.execute("SELECT name, occurred_at FROM events WHERE occurred_at BETWEEN ? AND ? "
                       "ORDER BY occurred_at", [start, end]).df()


METHOD_LEGEND: dict[str, tuple[str, str]] = {
    "raw": ("label counts", "share of comments given each label, Newcombe interval"),
    "prob": ("mean probability", "average of the model's probabilities, bootstrap interval"),
    "ppi": ("corrected by the audit (PPI++)",
            "mean probability plus the random audit's correction, interval from both"),
}
"""Each ``event_effects.method`` as an analyst reads it: a name and what it is."""


def audit_summary(con: duckdb.DuckDBPyConnection) -> str:
    """The audit state in one line: how many random labels, when, against which model; or how to
    make one when there is none."""
    from sentiment.classify.audit import audit_state
    from sentiment.classify.model import model_share_caveat
    from sentiment.insight.ppi import MIN_AUDIT
    from sentiment.store.writes import ACTIVE_MODEL_KEY, get_meta

    state = audit_state(con)
    if state.n_classified < MIN_AUDIT:
        have = f" ({state.n_labelled} audit labels so far; {MIN_AUDIT} are needed)" if state.n_labelled else ""
        return model_share_caveat(get_meta(con, ACTIVE_MODEL_KEY)) + have
    when = f"{state.first:%Y-%m-%d}" + (f" to {state.last:%Y-%m-%d}" if state.last.date() != state.first.date() else "")
    models = ", ".join(state.model_versions) or "an unrecorded model"
    return (f"Audit: {state.n_labelled} comments labelled at random ({when}), drawn while {models} was active; "
            "the PPI++ rows are corrected by them.")


def before_after(con: duckdb.DuckDBPyConnection, event_id: str | None, sources: list[str],
                 labels: list[str]) -> pd.DataFrame:
    """The event's before (-7..-1) → after (0..+6) table: per chosen source, and over all sources
    when every source is chosen; raw (Newcombe) and corrected methods side by side."""
    if event_id is None:
        return pd.DataFrame()
    all_sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM event_effects WHERE source <> 'all'"
                                             ).fetchall()]
    chosen = list(sources) + (["all"] if set(all_sources) <= set(sources) else [])
    table = con.execute(
        """SELECT source, label, method, n_before, n_after,
                  round(100 * share_before, 1) AS before_pct, round(100 * share_after, 1) AS after_pct,
                  round(100 * diff, 1) AS change_pp, round(100 * diff_low, 1) AS low_pp,
                  round(100 * diff_high, 1) AS high_pp, p_value, too_small
           FROM event_effects e JOIN stance_labels l USING (label)
           WHERE event_id = ? AND list_contains(?, source) AND list_contains(?, label)
           ORDER BY source = 'all' DESC, source, l.label_order,
                    list_position(['raw', 'prob', 'ppi'], method)""",
        [event_id, chosen, labels]).df()
    table["method"] = table["method"].map(lambda m: METHOD_LEGEND.get(m, (m,))[0])
    return table


def comments(con: duckdb.DuckDBPyConnection, sources: list[str], start: date, end: date,
             labels: list[str], limit: int = 500) -> pd.DataFrame:
    """Drill-down: the chosen comments, most confident first, with label, confidence and link.

    Only http(s) links are returned (others become empty), so no ``javascript:`` reaches a page.
    """
    return con.execute(
        """SELECT created_at, source, label, round(confidence, 3) AS confidence, text, thread_title,
                  CASE WHEN regexp_matches(url, '^https?://', 'i') THEN url END AS url
           FROM classified_documents
           WHERE list_contains(?, source) AND day BETWEEN ? AND ? AND list_contains(?, label)
           ORDER BY confidence DESC, created_at DESC, doc_id
           LIMIT ?""",
        [sources, start, end, labels, limit]).df()


def all_labels() -> list[str]:
    return list(LABELS)
