"""Gather one ISO week's figures from the database and render them as Markdown and HTML.

Comment text is untrusted: the HTML template autoescapes everything, and the Markdown output
escapes HTML so a renderer cannot execute it either.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined

from sentiment.settings import LABELS
from sentiment.store.writes import ACTIVE_MODEL_KEY, get_meta
from sentiment.trends import BEFORE, AFTER, event_window_table, wilson

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
COLORS = {"concern": "#d95f02", "skepticism": "#7570b3", "support": "#1b9e77", "neutral": "#b0b0b0"}
QUOTES_PER_LABEL = 3
CHART_DAYS_BEFORE, CHART_DAYS_AFTER = 14, 14


def parse_week(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week written ``YYYY-Www``."""
    match = _WEEK.match(week.strip())
    if not match:
        raise ValueError(f"week must look like 2026-W10, not {week!r}")
    monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    return monday, monday + timedelta(days=6)


def week_name(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(today: date | None = None) -> str:
    """The most recent ISO week that has ended."""
    today = today or date.today()
    return week_name(today - timedelta(days=today.isoweekday()))


@dataclass
class Share:
    label: str
    n: int
    total: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    color: str


@dataclass
class Brief:
    """Everything the templates show; built by :func:`build_brief`."""

    week: str
    start: date
    end: date
    previous_week: str
    model_version: str | None
    mix: list[Share]
    previous_mix: list[Share]
    changes: dict[str, float | None]
    sources: list[dict]
    events: list[dict]
    quotes: dict[str, list[dict]]
    chart: dict
    totals: dict[str, int] = field(default_factory=dict)


def _mix(con: duckdb.DuckDBPyConnection, start: date, end: date) -> list[Share]:
    counts = dict(con.execute(
        "SELECT label, count(*) FROM classified_documents WHERE day BETWEEN ? AND ? GROUP BY label",
        [start, end],
    ).fetchall())
    total = sum(counts.values())
    out = []
    for label in LABELS:
        k = counts.get(label, 0)
        low, high = wilson(k, total) if total else (None, None)
        out.append(Share(label, k, total, k / total if total else None, low, high, COLORS[label]))
    return out


def _quotes(con: duckdb.DuckDBPyConnection, start: date, end: date) -> dict[str, list[dict]]:
    """The most confident comments per stance, one per thread, so one thread cannot fill a list."""
    rows = con.execute(
        """SELECT label, text, thread_title, url, source, confidence, created_at FROM (
               SELECT *, row_number() OVER (PARTITION BY label, thread_id
                                            ORDER BY confidence DESC, doc_id) AS per_thread
               FROM classified_documents
               WHERE day BETWEEN ? AND ? AND kind <> 'post' AND length(text) BETWEEN 20 AND 1200)
           WHERE per_thread = 1
           QUALIFY row_number() OVER (PARTITION BY label ORDER BY confidence DESC, created_at) <= ?
           ORDER BY label, confidence DESC""",
        [start, end, QUOTES_PER_LABEL],
    ).fetchall()
    quotes: dict[str, list[dict]] = {label: [] for label in LABELS}
    for label, text, title, url, source, confidence, created in rows:
        short = text if len(text) <= 320 else text[:317].rsplit(" ", 1)[0] + "…"
        quotes[label].append({"text": short, "thread_title": title, "url": url, "source": source,
                              "confidence": confidence, "created_at": created})
    return quotes


def _events(con: duckdb.DuckDBPyConnection, start: date, end: date) -> list[dict]:
    """Events within three weeks of the week, with their window table and shift test."""
    table = event_window_table(con)
    shifts = {row[0]: row for row in con.execute(
        """SELECT event_id, n_before, n_after, p_value, small_sample, largest_change_label,
                  largest_change_pp FROM event_shift WHERE source = 'all'""").fetchall()}
    events = []
    for event_id, group in table.groupby("event_id", sort=False):
        occurred = group["occurred_at"].iloc[0]
        occurred = occurred.date() if hasattr(occurred, "date") else occurred
        if not (start - timedelta(days=21) <= occurred <= end + timedelta(days=21)):
            continue
        windows = []
        for window, rows in group.groupby("window", sort=False):
            first = rows.iloc[0]
            cells = {r.label: {"n": int(r.n), "share": None if r.n_window == 0 else float(r.share),
                               "low": None if r.n_window == 0 else float(r.ci_low),
                               "high": None if r.n_window == 0 else float(r.ci_high)}
                     for r in rows.itertuples()}
            windows.append({"window": window, "date_from": first.date_from, "date_to": first.date_to,
                            "n": int(first.n_window), "cells": cells})
        shift = shifts.get(event_id)
        events.append({
            "event_id": event_id, "name": group["event"].iloc[0], "occurred_at": occurred,
            "windows": windows,
            "shift": None if shift is None else {
                "n_before": shift[1], "n_after": shift[2], "p_value": shift[3],
                "small_sample": shift[4], "label": shift[5], "pp": shift[6]},
        })
    return events


def _chart(con: duckdb.DuckDBPyConnection, start: date, end: date) -> dict:
    """Daily stance shares around the week, as stacked bars with events as vertical markers."""
    first, last = start - timedelta(days=CHART_DAYS_BEFORE), end + timedelta(days=CHART_DAYS_AFTER)
    counts = con.execute(
        "SELECT day, label, count(*) FROM classified_documents WHERE day BETWEEN ? AND ? GROUP BY ALL",
        [first, last],
    ).fetchall()
    per_day: dict[date, dict[str, int]] = {}
    for day, label, n in counts:
        per_day.setdefault(day, {})[label] = n
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    width, height, left, top = 24, 160, 40, 10
    bars = []
    for i, day in enumerate(days):
        counts_today = per_day.get(day, {})
        total = sum(counts_today.values())
        y = top + height
        segments = []
        for label in reversed(LABELS):
            share = counts_today.get(label, 0) / total if total else 0
            h = share * height
            y -= h
            if h > 0:
                segments.append({"label": label, "y": round(y, 1), "h": round(h, 1),
                                 "color": COLORS[label], "share": share, "n": counts_today.get(label, 0)})
        bars.append({"x": left + i * width, "day": day, "total": total, "segments": segments,
                     "in_week": start <= day <= end})
    markers = [
        {"x": left + (occurred - first).days * width + width / 2, "name": name, "day": occurred}
        for name, occurred in con.execute(
            "SELECT name, occurred_at FROM events WHERE occurred_at BETWEEN ? AND ? ORDER BY occurred_at",
            [first, last]).fetchall()
    ]
    return {"bars": bars, "markers": markers, "width": left + len(days) * width + 10,
            "height": height + top + 56, "bar_width": width - 3, "top": top, "plot_height": height,
            "left": left}


def build_brief(con: duckdb.DuckDBPyConnection, week: str) -> Brief:
    """Collect the week's stance mix, change, events, quotes and volumes."""
    start, end = parse_week(week)
    prev_start, prev_end = start - timedelta(days=7), end - timedelta(days=7)
    mix, previous = _mix(con, start, end), _mix(con, prev_start, prev_end)
    changes = {
        now.label: None if now.share is None or before.share is None else 100 * (now.share - before.share)
        for now, before in zip(mix, previous)
    }
    sources = [
        {"source": s, "documents": n, "threads": t}
        for s, n, t in con.execute(
            """SELECT source, count(*), count(DISTINCT thread_id) FROM classified_documents
               WHERE day BETWEEN ? AND ? GROUP BY source ORDER BY count(*) DESC""",
            [start, end]).fetchall()
    ]
    totals = dict(zip(
        ("documents", "classified", "deleted"),
        con.execute(
            """SELECT (SELECT count(*) FROM documents),
                      (SELECT count(*) FROM classified_documents),
                      (SELECT count(*) FROM documents WHERE deleted)""").fetchone(),
    ))
    return Brief(
        week=week, start=start, end=end, previous_week=week_name(prev_start),
        model_version=get_meta(con, ACTIVE_MODEL_KEY), mix=mix, previous_mix=previous,
        changes=changes, sources=sources, events=_events(con, start, end),
        quotes=_quotes(con, start, end), chart=_chart(con, start, end), totals=totals,
    )


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} pp"


def _md_escape(value: object) -> str:
    """Markdown-safe inline text: HTML escaped, line breaks and table pipes neutralised."""
    text = html.escape(str(value), quote=False)
    return re.sub(r"\s+", " ", text).replace("|", "\\|").strip()


def _safe_url(value: str | None) -> str | None:
    """Only http(s) links reach the page: ``javascript:`` and other schemes are dropped."""
    if value and re.match(r"^https?://", value.strip(), re.IGNORECASE):
        return value.strip()
    return None


def _environment(autoescape: bool) -> Environment:
    env = Environment(loader=PackageLoader("sentiment.brief", "templates"), autoescape=autoescape,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=_pct, pp=_pp, md=_md_escape, safe_url=_safe_url)
    env.globals.update(LABELS=LABELS, BEFORE=BEFORE, AFTER=AFTER, COLORS=COLORS)
    return env


def write_brief(brief: Brief, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``<week>.md`` and a self-contained ``<week>.html``; returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out / f"{brief.week}.md", out / f"{brief.week}.html"
    md_path.write_text(_environment(False).get_template("brief.md.j2").render(b=brief), encoding="utf-8")
    html_path.write_text(_environment(True).get_template("brief.html.j2").render(b=brief), encoding="utf-8")
    return md_path, html_path
