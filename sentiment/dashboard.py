"""Data for the Streamlit dashboard (dashboards/app.py), kept here so it is testable without it.

The dashboard must never block a running flow: DuckDB allows one writing process per file and no
reader beside a writer. So it reads the read-only copy every writer publishes when it finishes
(``<db>.read.duckdb``, see ``sentiment.store.snapshot``; or the file named by ``dashboard_db``),
which is always a whole committed state. Only when no copy has been published yet and a writer
is busy does it fall back to copying the database file to a temporary folder.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from sentiment.insight.trends import AFTER, BEFORE, overlapping_events, thread_mix
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
        return Snapshot(connect(path, read_only=True, timeout=settings.reader_wait), path, path, copied=False)
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
    return Snapshot(connect(target, read_only=True, timeout=settings.reader_wait), target, live, copied=True)


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
    """Per day with comments and per label, over the chosen sources: the day's share (``share``),
    the 7-day rolling share the chart draws as its line (``share_7d``, from ``n_7d`` of
    ``n_day_7d`` comments) and that share's Wilson 95% interval (``ci_low``/``ci_high``), its band.

    ``segment`` numbers the runs of consecutive days that have comments: the chart draws one line
    per run, so a day without comments breaks the line instead of a straight segment implying
    data nobody wrote. The rolling window still reaches back across a gap (7 calendar days)."""
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
               SELECT *, n / n_day AS share, sum(n) OVER w AS n_7d, sum(n_day) OVER w AS n_day_7d
               FROM filled
               WINDOW w AS (PARTITION BY label ORDER BY day
                            RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW)),
           shown AS (
               SELECT *, day - CAST(dense_rank() OVER (ORDER BY day) AS INTEGER) AS island
               FROM rolled WHERE day BETWEEN ? AND ? AND list_contains(?, label))
           SELECT day, label, n, n_day, share, n_7d / n_day_7d AS share_7d,
                  wilson_low(n_7d, n_day_7d) AS ci_low, wilson_high(n_7d, n_day_7d) AS ci_high,
                  n_7d, n_day_7d, dense_rank() OVER (ORDER BY island) AS segment
           FROM shown
           ORDER BY day, label_order""",
        [sources, start, end, labels]).df()


def event_markers(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pd.DataFrame:
    """The events in the date range, drawn as named dashed lines on the chart."""
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
    from sentiment.classify.registry import model_share_caveat
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
    """Drill-down when no event is chosen: the comments in the date range, most confident first,
    with label, confidence and link.

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


WINDOW_NAMES: dict[str, str] = {BEFORE: f"before ({BEFORE})", AFTER: f"after ({AFTER})"}
"""The two windows the before/after table compares, as the comment table names them."""


@dataclass(frozen=True)
class EventWindow:
    """One of the chosen event's windows: its name, its days and how many comments it holds."""

    name: str
    first: date
    last: date
    n: int


def event_windows(con: duckdb.DuckDBPyConnection, event_id: str, sources: list[str],
                  labels: list[str]) -> list[EventWindow]:
    """The event's before and after windows with their dates and comment counts over the chosen
    sources and stances, so the comment table can say how much of each window it shows."""
    rows = con.execute(
        """SELECT w."window", e.occurred_at + w.day_from, e.occurred_at + w.day_to, count(c.doc_id)
           FROM events e
           JOIN event_window_bounds w ON w."window" IN (?, ?)
           LEFT JOIN classified_documents c
                  ON c.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to
                 AND list_contains(?, c.source) AND list_contains(?, c.label)
           WHERE e.event_id = ?
           GROUP BY ALL ORDER BY any_value(w.window_order)""",
        [BEFORE, AFTER, sources, labels, event_id]).fetchall()
    return [EventWindow(WINDOW_NAMES[w], first, last, int(n)) for w, first, last, n in rows]


def event_comments(con: duckdb.DuckDBPyConnection, event_id: str, sources: list[str], labels: list[str],
                   per_window: int = 250) -> pd.DataFrame:
    """Drill-down that follows the chosen event: the comments behind its before/after table (same
    windows, sources and stances), with ``window`` saying which side each is on; the most
    confident ``per_window`` of each window, so a busy "after" cannot crowd out "before".

    Only http(s) links are returned, as in :func:`comments`.
    """
    rows = con.execute(
        """SELECT w."window", c.created_at, c.source, c.label, round(c.confidence, 3) AS confidence,
                  c.text, c.thread_title,
                  CASE WHEN regexp_matches(c.url, '^https?://', 'i') THEN c.url END AS url
           FROM events e
           JOIN event_window_bounds w ON w."window" IN (?, ?)
           JOIN classified_documents c ON c.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to
           WHERE e.event_id = ? AND list_contains(?, c.source) AND list_contains(?, c.label)
           QUALIFY row_number() OVER (PARTITION BY w."window"
                                      ORDER BY c.confidence DESC, c.created_at DESC, c.doc_id) <= ?
           ORDER BY w.window_order, c.confidence DESC, c.created_at DESC, c.doc_id""",
        [BEFORE, AFTER, event_id, sources, labels, per_window]).df()
    rows["window"] = rows["window"].map(WINDOW_NAMES)
    return rows


@dataclass(frozen=True)
class EventThreads:
    """Where the chosen event's before and after comments come from (over all sources and stances)."""

    top: pd.DataFrame
    """``window``, ``thread``, ``comments``, ``share_pct``: each window's largest threads."""
    summary: str
    """One line of figures only (no thread or event names), safe to show as Markdown."""
    within: pd.DataFrame
    """The before → after change per stance within the threads present on both sides (empty when
    there are none, or too few comments in them to compare)."""
    overlaps: list[str]
    """Names of the other events whose windows overlap this one's."""


def event_threads(con: duckdb.DuckDBPyConnection, event_id: str, *, min_n: int, top: int = 3) -> EventThreads:
    """The event's thread mix and overlapping events, from ``thread_mix`` and
    ``overlapping_events`` (the brief's own), shaped for tables: a before/after shift between
    windows dominated by different threads compares different crowds, and events whose windows
    overlap share their comments."""
    mix = thread_mix(con, event_id, min_n=min_n, top=top)
    rows = [{"window": WINDOW_NAMES[w], "thread": r["thread_title"], "comments": r["n"],
             "share_pct": round(100 * r["share"], 1)} for w in (BEFORE, AFTER) for r in mix.top.get(w, [])]
    top_table = pd.DataFrame(rows, columns=["window", "thread", "comments", "share_pct"])
    both = (f"{mix.shared_before:.0%} of the comments before and {mix.shared_after:.0%} after come from the "
            f"{mix.n_shared_threads} thread{'s' if mix.n_shared_threads != 1 else ''} present on both sides")
    if not mix.n_shared_threads:
        summary = "No thread has comments on both sides: the shift compares different threads and topics."
    elif mix.different_crowds:
        summary = (f"**Different crowds:** only {both}, so the shift compares different threads and topics "
                   "as much as a change of mind.")
    else:
        summary = f"{both[0].upper()}{both[1:]}."
    within = pd.DataFrame(columns=["label", "n_before", "n_after", "before_pct", "after_pct", "change_pp",
                                   "low_pp", "high_pp", "p_value"])
    if mix.within and mix.within[0].too_small:
        summary += (f" Those threads hold too few comments to compare ({mix.within[0].n_before} before, "
                    f"{mix.within[0].n_after} after; under {min_n} on a side).")
    elif mix.within:
        summary += (f" Within them ({mix.within[0].n_before} comments before, {mix.within[0].n_after} after), "
                    "the change per stance is in the table below.")
        within = pd.DataFrame([{
            "label": w.label, "n_before": w.n_before, "n_after": w.n_after,
            "before_pct": round(100 * w.share_before, 1), "after_pct": round(100 * w.share_after, 1),
            "change_pp": round(100 * w.diff, 1), "low_pp": round(100 * w.diff_low, 1),
            "high_pp": round(100 * w.diff_high, 1), "p_value": w.p_value} for w in mix.within])
    return EventThreads(top_table, summary, within, overlapping_events(con).get(event_id, []))


_MARKDOWN_ACTIVE = re.compile(r"([!-/:-@\[-`{-~])")


def markdown_literal(text: object) -> str:
    """``text`` as Markdown that renders as itself: every ASCII punctuation character
    backslash-escaped (CommonMark treats an escaped one as a plain character) and line breaks
    folded, so an event name like ``[x](javascript:…)`` or ``<b>`` stays text in ``st.warning``."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", re.sub(r"\s+", " ", str(text)).strip())


def all_labels() -> list[str]:
    """The four stances in the project's order, for the stance filter."""
    return list(LABELS)
