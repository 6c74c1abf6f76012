"""One ISO week's figures gathered from the database (its SQL and statistics) into a
:class:`Brief`, the object the templates show; rendering lives in :mod:`sentiment.brief.render`."""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from typing import Any
from datetime import date, timedelta

import duckdb

from sentiment.brief import charts
from sentiment.brief.weeks import parse_week, week_name
from sentiment.classify.audit import AuditState, audit_state
from sentiment.classify.registry import model_share_caveat
from sentiment.insight.event_table import window_rows
from sentiment.insight.ppi import MIN_AUDIT
from sentiment.insight.quantify import ModelCard, Moments, estimate_mix, load_model_card
from sentiment.insight.quotes import representative_quotes
from sentiment.settings import LABELS, Settings, built_in
from sentiment.sources.news import SOURCE as WEB_SOURCE
from sentiment.sources.web import FILE_SOURCE
from sentiment.insight.stats import newcombe_diff
from sentiment.store.writes import ACTIVE_MODEL_KEY, get_meta
from sentiment.insight.trends import (AFTER, BEFORE, MOMENT_COLUMNS, audited_shares, event_window_table,
                                      moments_from_rows, overlapping_events, thread_mix, wilson,
                                      window_audits)

ARTICLE_SOURCES = (FILE_SOURCE, WEB_SOURCE)
"""Sources whose threads are articles: their comments are readers' comments under an article."""
READERS, FORUM = "readers' comments", "forum comments"
_VOICE_NAMES = {(True, "comment"): READERS, (False, "comment"): FORUM, (True, "quote"): "quotes in articles",
                (False, "post"): "posts", (False, "quote"): "quotes"}
"""What the brief's Sources table calls a kind of document, by whether its source holds articles."""
COLORS = charts.COLORS
CHART_DAYS_BEFORE, CHART_DAYS_AFTER = 21, 14


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
    charts: dict[str, bytes]  # file stem suffix -> PNG
    change_intervals: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    corrected: dict[str, dict] = field(default_factory=dict)  # method -> label -> share/low/high
    audit: dict = field(default_factory=dict)  # the audit state (see _audit_info)
    card: dict | None = None
    spikes: list[dict] = field(default_factory=list)
    min_n: int = 20
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def readers(self) -> dict[str, int]:
        """Readers' comments under articles this week beside forum comments and posts: ``readers``,
        ``articles`` (the articles they are under) and ``forum``."""
        readers = [s for s in self.sources if s["kind"] == READERS]
        return {"readers": sum(s["documents"] for s in readers), "articles": sum(s["threads"] for s in readers),
                "forum": sum(s["documents"] for s in self.sources if s["kind"] in (FORUM, "posts"))}

    def chart_src(self, key: str) -> str:
        """A chart as a ``data:`` URI for the self-contained HTML page."""
        return "data:image/png;base64," + base64.b64encode(self.charts[key]).decode("ascii")

    def chart_file(self, key: str) -> str:
        """The chart's file name beside the Markdown."""
        return f"{self.week}-{key}.png"


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


def _quotes(con: duckdb.DuckDBPyConnection, start: date, end: date, k: int) -> dict[str, list[dict]]:
    """Representative quotes per stance: confident and diverse (MMR), shortened for the page."""
    quotes = representative_quotes(con, start, end, k=k)
    for items in quotes.values():
        for q in items:
            text = q["text"]
            q["text"] = text if len(text) <= 320 else text[:317].rsplit(" ", 1)[0] + "…"
    return quotes


def _fmt_pp(d: float) -> str:
    return f"{100 * d:+.1f} pp"


def _headline(effects: dict[str, dict[str, dict]], min_n: int) -> dict:
    """What the before/after comparison supports, in words; small windows say so instead."""
    raw = effects.get("raw", {})
    if not raw:
        return {"too_small": True, "text": "No classified documents on one side of the event."}
    any_row = next(iter(raw.values()))
    nb, na = any_row["n_before"], any_row["n_after"]
    if any_row["too_small"]:
        return {"too_small": True,
                "text": f"Too small to read: n = {nb} before and {na} after (under {min_n} on a side); "
                        f"no shift is reported."}
    corrected = effects.get("ppi") or {}
    moved, phrases = [], []
    for label in LABELS:
        r = raw.get(label)
        if r is None or r["diff_low"] is None:
            continue
        if r["diff_low"] > 0 or r["diff_high"] < 0:
            moved.append((abs(r["diff"]), label, r))
    for _, label, r in sorted(moved, reverse=True):
        verb = "rose" if r["diff"] > 0 else "fell"
        phrase = (f"{label} {verb} from {r['share_before']:.0%} to {r['share_after']:.0%} "
                  f"({_fmt_pp(r['diff'])}, 95% CI {_fmt_pp(r['diff_low'])} to {_fmt_pp(r['diff_high'])}, "
                  f"p = {r['p_value']:.2g})")
        c = corrected.get(label)
        if c is not None:
            phrase += (f"; corrected by the audit (PPI++): {_fmt_pp(c['diff'])} "
                       f"({_fmt_pp(c['diff_low'])} to {_fmt_pp(c['diff_high'])})")
        phrases.append(phrase)
    if not phrases:
        biggest = max((r for r in raw.values() if r["diff"] is not None), key=lambda r: abs(r["diff"]))
        return {"too_small": False,
                "text": f"No stance's share moved beyond its uncertainty ({nb} documents before, {na} after; "
                        f"largest move {biggest['label']} {_fmt_pp(biggest['diff'])}, 95% CI "
                        f"{_fmt_pp(biggest['diff_low'])} to {_fmt_pp(biggest['diff_high'])})."}
    return {"too_small": False,
            "text": f"From the week before ({nb} documents) to the week after ({na}): " + "; ".join(phrases) + "."}


def _events(con: duckdb.DuckDBPyConnection, start: date, end: date, min_n: int) -> tuple[list[dict], dict]:
    """Events within three weeks of the week: window table, shift test, effect sizes, chart."""
    table = event_window_table(con)
    shifts = {row[0]: row for row in con.execute(
        """SELECT event_id, n_before, n_after, p_value, small_sample, largest_change_label,
                  largest_change_pp FROM event_shift WHERE source = 'all'""").fetchall()}
    events, pngs = [], {}
    overlaps = overlapping_events(con)
    for event_id, group in table.groupby("event_id", sort=False):
        occurred = group["occurred_at"].iloc[0]
        occurred = occurred.date() if hasattr(occurred, "date") else occurred
        if not (start - timedelta(days=21) <= occurred <= end + timedelta(days=21)):
            continue
        windows = window_rows(group, min_n)
        effects: dict[str, dict[str, dict]] = {}
        for row in con.execute(
                """SELECT method, label, n_before, n_after, share_before, share_after, diff, diff_low,
                          diff_high, p_value, too_small, n_audit_before, n_audit_after, audit_scope
                   FROM event_effects
                   WHERE event_id = ? AND source = 'all'""", [event_id]).df().to_dict("records"):
            clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            effects.setdefault(row["method"], {})[row["label"]] = clean
        adjusted = con.execute(
            """SELECT method, "window", label, share, ci_low, ci_high FROM adjusted_shares
               WHERE event_id = ? AND source = 'all' AND "window" IN (?, ?) AND share IS NOT NULL""",
            [event_id, BEFORE, AFTER]).df().to_dict("records")
        key = "event-" + re.sub(r"[^a-z0-9]+", "-", str(event_id).lower()).strip("-")[:40]
        if adjusted:
            pngs[key] = charts.before_after(adjusted, str(group["event"].iloc[0]))
        shift = shifts.get(event_id)
        mix = thread_mix(con, event_id, min_n=min_n)
        events.append({
            "threads": {"top": mix.top, "shared_before": mix.shared_before, "shared_after": mix.shared_after,
                        "different_crowds": mix.different_crowds, "n_shared": mix.n_shared_threads,
                        "within": [w for w in mix.within if not w.too_small]
                                  if mix.within and not mix.within[0].too_small else [],
                        "within_n": (mix.within[0].n_before, mix.within[0].n_after) if mix.within else (0, 0)},
            "overlaps": overlaps.get(event_id, []),
            "event_id": event_id, "name": group["event"].iloc[0], "occurred_at": occurred,
            "windows": windows, "effects": effects, "headline": _headline(effects, min_n),
            "chart": key if adjusted else None,
            "shift": None if shift is None else {
                "n_before": shift[1], "n_after": shift[2], "p_value": shift[3],
                "small_sample": shift[4], "label": shift[5], "pp": shift[6]},
        })
    return events, pngs


def _share_chart(con: duckdb.DuckDBPyConnection, start: date, end: date) -> bytes:
    first, last = start - timedelta(days=CHART_DAYS_BEFORE), end + timedelta(days=CHART_DAYS_AFTER)
    daily = con.execute(
        """SELECT day, label, n, n_day, share, share_7d FROM stance_trend_daily
           WHERE source = 'all' AND day BETWEEN ? AND ? ORDER BY day, label_order""", [first, last]).df()
    events = con.execute("SELECT name, occurred_at FROM events WHERE occurred_at BETWEEN ? AND ? "
                         "ORDER BY occurred_at", [first, last]).fetchall()
    return charts.share_over_time(daily, events, (start, end))


def _week_moments(con: duckdb.DuckDBPyConnection, start: date, end: date) -> Moments:
    frame = con.execute(
        f"""SELECT label, sum(n) AS n, {", ".join(f"sum({c}) AS {c}" for c in MOMENT_COLUMNS)}
            FROM stance_day_counts WHERE day BETWEEN ? AND ? GROUP BY label""", [start, end]).df()
    return moments_from_rows(frame)


def _corrected(con: duckdb.DuckDBPyConnection, start: date, end: date, n_boot: int) -> dict[str, dict]:
    """The week's probability-weighted shares and, with enough audit labels, PPI++-corrected ones
    (from the week's own audit labels, else pooled from every audit)."""
    moments = _week_moments(con, start, end)
    if moments.n == 0:
        return {}
    out: dict[str, dict] = {}
    prob = estimate_mix(moments, n_boot=n_boot)["prob"]
    out["prob"] = {label: {"share": float(prob.share[i]), "low": float(prob.low[i]),
                           "high": float(prob.high[i])} for i, label in enumerate(LABELS)}
    _, pooled = window_audits(con)
    audits = con.execute("SELECT DISTINCT l.id, l.label, c.p_concern, c.p_skepticism, c.p_support, c.p_neutral "
                         "FROM labels l JOIN classified_documents c ON c.doc_id = l.id "
                         "WHERE l.purpose = 'audit' AND c.day BETWEEN ? AND ?", [start, end]).df()
    found = audited_shares(moments, audits.rename(columns={"label": "audit_label"}), pooled)
    if found is not None:
        est, scope = found
        out["ppi"] = {label: {"share": float(est.share[i]), "low": float(est.low[i]), "high": float(est.high[i])}
                      for i, label in enumerate(LABELS)}
        out["ppi_info"] = {"n_audit": est.n_audit, "scope": scope, "notes": list(est.notes)}
    return out


def _card_info(card: ModelCard | None) -> dict | None:
    if card is None:
        return None
    return {"model_version": card.model_version, "dev_n": card.dev_n, "macro_f1": card.macro_f1,
            "per_label_f1": card.per_label_f1, "ece": card.ece}


def _audit_info(con: duckdb.DuckDBPyConnection, model_version: str | None) -> dict:
    """The audit state in words: how many labels, when, against which model, from whom."""
    state: AuditState = audit_state(con)
    sources = dict(con.execute(
        "SELECT source, count(*) FROM labels WHERE purpose = 'audit' GROUP BY source").fetchall())
    return {"n": state.n_labelled, "n_classified": state.n_classified, "first": state.first,
            "last": state.last, "models": list(state.model_versions), "sources": sources,
            "enough": state.n_classified >= MIN_AUDIT, "min": MIN_AUDIT,
            "caveat": model_share_caveat(model_version)}


def brief_options(settings: Settings) -> dict[str, Any]:
    """``build_brief``'s keyword arguments as ``settings`` configure them (for the entry points)."""
    return {"min_n": settings.min_window_n, "quotes_per_label": settings.quotes_per_label,
            "n_boot": settings.bootstrap_draws}


def build_brief(con: duckdb.DuckDBPyConnection, week: str, *, min_n: int = built_in("min_window_n"),
                quotes_per_label: int = built_in("quotes_per_label"),
                n_boot: int = built_in("bootstrap_draws")) -> Brief:
    """Collect the week's stance mix, change, events, spikes, quotes and volumes.

    Reads the trend tables as the last trends refresh left them (run ``refresh_trends`` first).
    ``min_n`` (smallest readable window), ``quotes_per_label`` and ``n_boot`` (bootstrap draws)
    default to the settings' built-in values; entry points pass the configured ones.
    """
    start, end = parse_week(week)
    prev_start, prev_end = start - timedelta(days=7), end - timedelta(days=7)
    mix, previous = _mix(con, start, end), _mix(con, prev_start, prev_end)
    changes, intervals = {}, {}
    for now, before in zip(mix, previous):
        if now.share is None or before.share is None:
            changes[now.label], intervals[now.label] = None, None
            continue
        d, low, high = newcombe_diff(now.n, now.total, before.n, before.total)
        changes[now.label], intervals[now.label] = 100 * d, (100 * low, 100 * high)
    sources = [
        {"source": s, "kind": _VOICE_NAMES.get((s in ARTICLE_SOURCES, kind), kind), "documents": n, "threads": t}
        for s, kind, n, t in con.execute(
            """SELECT source, kind, count(*), count(DISTINCT thread_id) FROM classified_documents
               WHERE day BETWEEN ? AND ? GROUP BY source, kind ORDER BY count(*) DESC, source, kind""",
            [start, end]).fetchall()
    ]
    totals = dict(zip(
        ("documents", "classified", "deleted"),
        con.execute(
            """SELECT (SELECT count(*) FROM documents),
                      (SELECT count(*) FROM classified_documents),
                      (SELECT count(*) FROM documents WHERE deleted)""").fetchone(),
    ))
    spikes = [dict(zip(("day", "source", "metric", "reason"), row)) for row in con.execute(
        """SELECT day, source, metric, reason FROM spikes WHERE day BETWEEN ? AND ?
           ORDER BY day, source = 'all' DESC, source, metric""", [start, end]).fetchall()]
    card = load_model_card(con)
    model_version = get_meta(con, ACTIVE_MODEL_KEY)
    events, pngs = _events(con, start, end, min_n)
    pngs["share"] = _share_chart(con, start, end)
    return Brief(
        week=week, start=start, end=end, previous_week=week_name(prev_start),
        model_version=model_version, mix=mix, previous_mix=previous,
        changes=changes, change_intervals=intervals, sources=sources, events=events,
        quotes=_quotes(con, start, end, quotes_per_label), charts=pngs,
        corrected=_corrected(con, start, end, n_boot), card=_card_info(card),
        audit=_audit_info(con, model_version),
        spikes=spikes, min_n=min_n, totals=totals,
    )
