"""The trends step: statistics around events, corrected shares, spikes and quotes.

:func:`refresh_trends` first rebuilds ``stance_day_counts`` (per day, source and label: counts
and probability moments, one scan of the stances) and ``thread_stance_counts``; the trend views
(``stance_daily``, ``stance_trend_daily``, ``stance_trend_weekly``, ``event_windows``) read
them, so they show the last refresh and stay fast at millions of comments. What needs more than
SQL is computed here and stored:

- ``event_shift``: chi-square test of the four-label mix before (-7..-1) vs after (0..+6);
- ``event_effects``: per label, the difference in share with its interval (Newcombe for raw
  shares, bootstrap for probability-weighted ones, PPI++ for audit-corrected ones) and a z-test;
- ``adjusted_shares``: every event window's shares by method (raw, prob, and with audit labels
  ppi: corrected by the audit, from the window's own labels or pooled from all audits);
- ``spikes``: days that left their rolling baseline, with the reason;
- ``event_quotes``: representative quotes per event window and stance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.stats import chi2_contingency

from sentiment.classify.audit import AUDIT_ROWS
from sentiment.insight.ppi import MIN_AUDIT, Audit, PopulationMoments, ShareEstimate, ppi_shares, shift
from sentiment.insight.quantify import Moments, diff_interval, estimate_mix
from sentiment.insight.quotes import embed_texts, mmr
from sentiment.settings import COMMUNITY_KINDS, LABELS, Settings, built_in
from sentiment.insight.spikes import SpikeRule, find_spikes
from sentiment.insight.stats import share_shift, wilson  # noqa: F401  (wilson is re-exported)
from sentiment.store import track_run
from sentiment.store.clock import utcnow
from sentiment.store.writes import ACTIVE_MODEL_KEY, get_meta, transaction

BEFORE, AFTER = "-7..-1", "0..+6"
WINDOWS = ("-14..-8", BEFORE, AFTER, "+7..+13")
_PAIRS = [(a, b) for i, a in enumerate(LABELS) for b in LABELS[i:]]
MOMENT_COLUMNS = [f"s_{a}" for a in LABELS] + [f"q_{a}_{b}" for a, b in _PAIRS]

# One scan of the active model's stances: per day, source and label, counts and probability moments.
_DAY_COUNTS = f"""
    INSERT INTO stance_day_counts BY NAME
    SELECT CAST(d.created_at AS DATE) AS day, d.source, s.label, count(*) AS n,
           sum(s.confidence) AS sum_confidence,
           {", ".join(f"sum(s.p_{a}) AS s_{a}" for a in LABELS)},
           {", ".join(f"sum(s.p_{a} * s.p_{b}) AS q_{a}_{b}" for a, b in _PAIRS)},
           ? AS model_version, ? AS refreshed_at
    FROM documents d
    JOIN current_stances s ON s.doc_id = d.doc_id
    WHERE d.kind IN ({", ".join(f"'{k}'" for k in COMMUNITY_KINDS)}) AND NOT d.deleted
      AND d.created_at IS NOT NULL
    GROUP BY ALL
"""

# Per thread and label, with the thread root's title and link.
_THREAD_COUNTS = f"""
    INSERT INTO thread_stance_counts BY NAME
    WITH c AS (
        SELECT d.source, d.thread_id, s.label, count(*) AS n, min(d.created_at) AS first_seen,
               max(d.created_at) AS last_seen
        FROM documents d
        JOIN current_stances s ON s.doc_id = d.doc_id
        WHERE d.kind IN ({", ".join(f"'{k}'" for k in COMMUNITY_KINDS)}) AND NOT d.deleted
          AND d.created_at IS NOT NULL AND d.thread_id IS NOT NULL
        GROUP BY ALL
    )
    SELECT c.*, t.title AS thread_title, t.url, ? AS model_version, ? AS refreshed_at
    FROM c LEFT JOIN documents t ON t.doc_id = c.thread_id
"""

# Window sums of those moments per event, window, label and source (and 'all').
_WINDOW_MOMENTS = f"""
    WITH d AS (
        SELECT day, source, label, n, {", ".join(MOMENT_COLUMNS)} FROM stance_day_counts
        UNION ALL
        SELECT day, 'all', label, sum(n), {", ".join(f"sum({c})" for c in MOMENT_COLUMNS)}
        FROM stance_day_counts GROUP BY day, label
    )
    SELECT e.event_id, w."window", d.source, d.label, sum(d.n) AS n,
           {", ".join(f"sum(d.{c}) AS {c}" for c in MOMENT_COLUMNS)}
    FROM events e
    CROSS JOIN event_window_bounds w
    JOIN d ON d.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to
    GROUP BY ALL
"""


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


def _shift_rows(counts: pd.DataFrame, *, min_n: int, model_version: str | None, now) -> list[dict]:
    """``event_shift`` rows: the chi-square test of the mix before vs after, per event and source."""
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
    return rows


def _nan_to_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def moments_from_rows(frame: pd.DataFrame) -> Moments:
    """Moments of a set of documents from per-label rows of ``n`` and ``MOMENT_COLUMNS`` sums."""
    k = len(LABELS)
    counts = np.zeros(k)
    for label, n in zip(frame["label"], frame["n"]):
        counts[LABELS.index(label)] = n
    sums = frame[[f"s_{a}" for a in LABELS]].sum().to_numpy(dtype=float)
    outer = np.zeros((k, k))
    for a, b in _PAIRS:
        i, j = LABELS.index(a), LABELS.index(b)
        outer[i, j] = outer[j, i] = frame[f"q_{a}_{b}"].sum()
    return Moments(counts, sums, outer)


def window_audits(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, Audit]:
    """Every audit label with its event windows (one row per label and window it falls in), and
    all of them as one pooled audit."""
    audits = con.execute(AUDIT_ROWS).df()
    pooled = Audit.from_rows(audits["audit_label"].tolist(), audits[[f"p_{a}" for a in LABELS]].to_numpy())
    placed = con.execute(
        f"""SELECT e.event_id, w."window", a.* FROM ({AUDIT_ROWS}) a
            CROSS JOIN events e CROSS JOIN event_window_bounds w
            WHERE a.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to"""
    ).df()
    return placed, pooled


def audited_shares(moments: Moments, in_window: pd.DataFrame, pooled: Audit) -> tuple[ShareEstimate, str] | None:
    """The PPI++ estimate of one window and where its audit came from (``window`` or ``pooled``);
    ``None`` when there are too few audit labels anywhere."""
    pop = PopulationMoments(moments.n, moments.prob_sum, np.diag(moments.prob_outer).copy())
    if len(in_window) >= MIN_AUDIT:
        own = Audit.from_rows(in_window["audit_label"].tolist(), in_window[[f"p_{a}" for a in LABELS]].to_numpy())
        return ppi_shares(pop, own, audit_in_population=True), "window"
    if pooled.n >= MIN_AUDIT and pop.n > 0:
        return ppi_shares(pop, pooled, audit_in_population=False), "pooled"
    return None


def _effect_rows(con: duckdb.DuckDBPyConnection, *, min_n: int, n_boot: int,
                 model_version: str | None, now) -> tuple[list[dict], list[dict]]:
    """``adjusted_shares`` and ``event_effects`` rows for every event, source ('all' too) and window."""
    windows = con.execute(_WINDOW_MOMENTS).df()
    shares: list[dict] = []
    effects: list[dict] = []
    if windows.empty:
        return shares, effects
    placed, pooled = window_audits(con)
    groups = {key: frame for key, frame in windows.groupby(["event_id", "source", "window"], sort=True)}
    pairs = sorted({(e, s) for e, s, _ in groups})
    empty = windows.iloc[0:0]
    for event_id, source in pairs:
        estimates, audited = {}, {}
        for seed, window in enumerate(WINDOWS):
            moments = moments_from_rows(groups.get((event_id, source, window), empty))
            est = estimate_mix(moments, n_boot=n_boot, seed=seed)
            estimates[window] = est
            n = est["raw"].n
            mask = (placed["event_id"] == event_id) & (placed["window"] == window)
            if source != "all":
                mask &= placed["source"] == source
            found = audited_shares(moments, placed[mask], pooled) if n else None
            if found is not None:
                audited[window] = found
            rows = [(method, mix.share, mix.low, mix.high, None, None) for method, mix in est.items()]
            if found is not None:
                rows.append(("ppi", found[0].share, found[0].low, found[0].high, found[0].n_audit, found[1]))
            for method, share, low, high, n_audit, scope in rows:
                for i, label in enumerate(LABELS):
                    shares.append({
                        "event_id": event_id, "source": source, "window": window, "label": label,
                        "method": method, "n": n, "share": _nan_to_none(share[i]),
                        "ci_low": _nan_to_none(low[i]), "ci_high": _nan_to_none(high[i]),
                        "too_small": n < min_n, "n_audit": n_audit, "audit_scope": scope,
                        "model_version": model_version, "refreshed_at": now})
        before, after = estimates[BEFORE], estimates[AFTER]
        nb, na = before["raw"].n, after["raw"].n
        counts_b = np.rint(before["raw"].share * nb) if nb else np.zeros(len(LABELS))
        counts_a = np.rint(after["raw"].share * na) if na else np.zeros(len(LABELS))
        for i, label in enumerate(LABELS):
            shift_ = share_shift(label, int(counts_b[i]), nb, int(counts_a[i]), na, min_n=min_n)
            effects.append({
                "event_id": event_id, "source": source, "label": label, "method": "raw",
                "n_before": nb, "n_after": na, "share_before": _nan_to_none(shift_.share_before),
                "share_after": _nan_to_none(shift_.share_after), "diff": _nan_to_none(shift_.diff),
                "diff_low": _nan_to_none(shift_.diff_low), "diff_high": _nan_to_none(shift_.diff_high),
                "p_value": _nan_to_none(shift_.p_value), "too_small": shift_.too_small,
                "n_audit_before": None, "n_audit_after": None, "audit_scope": None,
                "model_version": model_version, "refreshed_at": now})
        if nb == 0 or na == 0:
            continue
        low, high = diff_interval(before["prob"], after["prob"])
        changes = [("prob", before["prob"].share, after["prob"].share, after["prob"].share - before["prob"].share,
                    low, high, None, None, None)]
        if BEFORE in audited and AFTER in audited:
            (eb, scope_b), (ea, scope_a) = audited[BEFORE], audited[AFTER]
            diff, low, high = shift(eb, ea)
            scope = "window" if scope_b == scope_a == "window" else "pooled"
            changes.append(("ppi", eb.share, ea.share, diff, low, high, eb.n_audit, ea.n_audit, scope))
        for method, sb, sa, diff, low, high, n_ab, n_aa, scope in changes:
            for i, label in enumerate(LABELS):
                effects.append({
                    "event_id": event_id, "source": source, "label": label, "method": method,
                    "n_before": nb, "n_after": na, "share_before": float(sb[i]), "share_after": float(sa[i]),
                    "diff": float(diff[i]), "diff_low": float(low[i]), "diff_high": float(high[i]),
                    "p_value": None, "too_small": nb < min_n or na < min_n, "n_audit_before": n_ab,
                    "n_audit_after": n_aa, "audit_scope": scope, "model_version": model_version,
                    "refreshed_at": now})
    return shares, effects


def _spike_rows(con: duckdb.DuckDBPyConnection, rule: SpikeRule, *, model_version: str | None,
                now) -> list[dict]:
    daily = con.execute(
        """SELECT day, source, label, n FROM stance_daily
           UNION ALL
           SELECT day, 'all' AS source, label, sum(n) AS n FROM stance_daily GROUP BY day, label"""
    ).df()
    spikes = find_spikes(daily, rule)
    rows = spikes.to_dict("records")
    for row in rows:
        row["model_version"], row["refreshed_at"] = model_version, now
    return rows


# Quote candidates for every event window and stance in one pass: the ``?`` most confident
# comments of each (an aggregate, not a sort), from documents inside the span of all windows.
_QUOTE_POOL = """
    WITH docs AS (
        SELECT CAST(d.created_at AS DATE) AS day, s.label, d.thread_id, d.doc_id, s.confidence
        FROM documents d
        JOIN current_stances s ON s.doc_id = d.doc_id
        WHERE d.kind IN ('comment', 'quote') AND NOT d.deleted AND length(d.text) BETWEEN ? AND ?
          AND d.created_at >= (SELECT min(occurred_at) - 14 FROM events)
          AND d.created_at < (SELECT max(occurred_at) + 14 FROM events)
    )
    SELECT event_id, "window", label,
           unnest(max_by({'doc_id': doc_id, 'thread_id': thread_id, 'confidence': confidence},
                         confidence, ?), recursive := true)
    FROM events e
    CROSS JOIN event_window_bounds w
    JOIN docs ON docs.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to
    GROUP BY event_id, "window", label
"""
_QUOTE_TEXT = """
    SELECT d.doc_id, d.text, d.source, d.created_at, coalesce(d.url, t.url) AS url,
           coalesce(d.title, t.title) AS thread_title
    FROM documents d LEFT JOIN documents t ON t.doc_id = d.thread_id
    WHERE d.doc_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
"""


def _quote_rows(con: duckdb.DuckDBPyConnection, *, k: int, pool: int = 40, per_thread: int = 3,
                min_chars: int = 20, max_chars: int = 1200, model_version: str | None, now) -> list[dict]:
    """Representative quotes per event window and stance: the ``pool`` most confident comments
    (at most ``per_thread`` from one thread), diversified by MMR. Text and link are stored with
    the quote, so ``event_quotes_text`` needs no scan of the documents."""
    candidates = con.execute(_QUOTE_POOL, [min_chars, max_chars, pool * 4]).df()
    if candidates.empty:
        return []
    candidates = candidates.sort_values(["confidence", "doc_id"], ascending=[False, True])
    candidates = candidates[candidates.groupby(["event_id", "window", "label", "thread_id"]).cumcount() < per_thread]
    candidates = candidates[candidates.groupby(["event_id", "window", "label"]).cumcount() < pool]
    texts = con.execute(_QUOTE_TEXT, [sorted(set(candidates["doc_id"]))]).df().set_index("doc_id")
    candidates = candidates.join(texts, on="doc_id")
    rows: list[dict] = []
    for (event_id, window, label), frame in candidates.groupby(["event_id", "window", "label"], sort=True):
        picked = mmr(frame["confidence"].to_numpy(dtype=float), embed_texts(frame["text"].tolist()), k)
        for rank, i in enumerate(picked, start=1):
            q = frame.iloc[i]
            rows.append({"event_id": event_id, "window": window, "label": label, "rank": rank,
                         "doc_id": q["doc_id"], "confidence": float(q["confidence"]), "source": q["source"],
                         "created_at": q["created_at"].to_pydatetime(), "text": q["text"],
                         "url": None if pd.isna(q["url"]) else q["url"],
                         "thread_title": None if pd.isna(q["thread_title"]) else q["thread_title"],
                         "model_version": model_version, "refreshed_at": now})
    return rows


def _same(a: object, b: object) -> bool:
    """Equal stored values, NaN equal to NaN (a test that could not be computed stays so)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _compare_shift(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> tuple[int, int, int, int]:
    """How the ``event_shift`` rows about to be stored differ from the stored ones, per event and
    source: (new, updated, unchanged, removed). The refresh time is left out: a re-run over the
    same stances changes nothing else."""
    cursor = con.execute("SELECT * EXCLUDE (refreshed_at) FROM event_shift")
    names = [d[0] for d in cursor.description]
    stored = {(r["event_id"], r["source"]): r for r in (dict(zip(names, row)) for row in cursor.fetchall())}
    new = updated = unchanged = 0
    for row in rows:
        prior = stored.pop((row["event_id"], row["source"]), None)
        if prior is None:
            new += 1
        elif all(_same(prior[c], row.get(c)) for c in names):
            unchanged += 1
        else:
            updated += 1
    return new, updated, unchanged, len(stored)


def _replace(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Swap a derived table's contents (inside the caller's transaction)."""
    con.execute(f"DELETE FROM {table}")
    if rows:
        con.register("_rows", pa.Table.from_pylist(rows))
        try:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
        finally:
            con.unregister("_rows")


def trend_options(settings: Settings) -> dict[str, Any]:
    """``refresh_trends``' keyword arguments as ``settings`` configure them (for the entry points)."""
    return {"min_n": settings.min_window_n,
            "spike_rule": SpikeRule(baseline_days=settings.spike_baseline_days, z_threshold=settings.spike_z,
                                    min_n=settings.spike_min_n),
            "n_boot": settings.bootstrap_draws, "quotes_per_label": settings.quotes_per_label}


def refresh_trends(con: duckdb.DuckDBPyConnection, *, min_n: int, spike_rule: SpikeRule | None = None,
                   n_boot: int = built_in("bootstrap_draws"),
                   quotes_per_label: int = built_in("quotes_per_label")) -> int:
    """Recompute every stored trend table; returns the ``event_shift`` rows written.

    First ``stance_day_counts`` is rebuilt from the active model's stances (one scan); the trend
    views and everything else read from it. The spike rule, bootstrap draws and quotes per label
    default to the settings' built-in values (``trend_options`` gives the configured ones). All
    tables are replaced in one transaction, so readers see the old set or the new, never a mix.
    """
    rule = spike_rule or SpikeRule()
    k = quotes_per_label
    with track_run(con, "trends") as stats, transaction(con):
        model_version = get_meta(con, ACTIVE_MODEL_KEY)
        now = utcnow()
        con.execute("DELETE FROM stance_day_counts")
        con.execute(_DAY_COUNTS, [model_version, now])
        con.execute("DELETE FROM thread_stance_counts")
        con.execute(_THREAD_COUNTS, [model_version, now])
        counts = _window_counts(con)
        shift = _shift_rows(counts, min_n=min_n, model_version=model_version, now=now)
        shares, effects = _effect_rows(con, min_n=min_n, n_boot=n_boot,
                                       model_version=model_version, now=now)
        spikes = _spike_rows(con, rule, model_version=model_version, now=now)
        quotes = _quote_rows(con, k=k, model_version=model_version, now=now)
        new, updated, unchanged, removed = _compare_shift(con, shift)
        for table, rows in (("event_shift", shift), ("adjusted_shares", shares),
                            ("event_effects", effects), ("spikes", spikes), ("event_quotes", quotes)):
            _replace(con, table, rows)
        # the step's items are its event/source shift tests; the stances it read are counted apart
        stats.n_in, stats.n_new, stats.n_updated = len(shift), new, updated
        stats.notes.update(unchanged=unchanged, removed=removed, stances=con.execute(
            "SELECT coalesce(sum(n), 0) FROM stance_day_counts").fetchone()[0])
        n_audit = con.execute(f"SELECT count(*) FROM ({AUDIT_ROWS})").fetchone()[0]
        stats.notes["corrected_shares"] = (
            f"ppi from {n_audit} audit labels" if n_audit >= MIN_AUDIT else
            f"{n_audit} audit labels (a correction needs {MIN_AUDIT}): model shares, not corrected")
        stats.notes["spikes"] = len(spikes)
        stats.notes["undated_left_out"] = undated_left_out(con)
    return len(shift)


def trend_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """What the last refresh found beyond the shift tests: the spikes stored, and the event windows
    whose shares the audit corrected (PPI++, all sources)."""
    return con.execute(
        "SELECT (SELECT count(*) FROM spikes), "
        "(SELECT count(DISTINCT (event_id, \"window\")) FROM adjusted_shares WHERE method = 'ppi' AND source = 'all')"
    ).fetchone()


def undated_left_out(con: duckdb.DuckDBPyConnection) -> int:
    """Classified community documents without a date, which every trend table leaves out (the
    ``undated_documents`` view has them per source and kind)."""
    return con.execute("SELECT coalesce(sum(n), 0) FROM undated_documents").fetchone()[0]


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


@dataclass(frozen=True)
class ThreadMix:
    """Where one event's before and after comments come from, and the shift within shared threads."""

    top: dict[str, list[dict]]
    """Per window (before, after): the top threads with ``thread_title``, ``n`` and ``share``."""
    shared_before: float
    """Share of the before window's comments in threads that also have comments after."""
    shared_after: float
    different_crowds: bool
    """Most comments on each side come from threads the other side lacks."""
    within: list  # ShareShift per label, over the threads present on both sides ([] when none)
    n_shared_threads: int


def thread_mix(con: duckdb.DuckDBPyConnection, event_id: str, *, min_n: int, top: int = 3) -> ThreadMix:
    """The event's thread mix before and after, and the before → after shift within threads
    present on both sides (so a change is not just a different crowd arriving)."""
    rows = con.execute(
        """SELECT "window", thread_id, thread_title, n, share, rank FROM event_window_threads
           WHERE event_id = ? AND "window" IN (?, ?) ORDER BY "window", rank""",
        [event_id, BEFORE, AFTER]).df()
    sides = {w: rows[rows["window"] == w] for w in (BEFORE, AFTER)}
    threads = {w: set(frame["thread_id"]) for w, frame in sides.items()}
    both = threads[BEFORE] & threads[AFTER]

    def shared(w: str) -> float:
        frame = sides[w]
        return float(frame[frame["thread_id"].isin(both)]["n"].sum() / frame["n"].sum()) if len(frame) else 0.0

    top_rows = {w: [{"thread_title": r.thread_title or r.thread_id, "n": int(r.n), "share": float(r.share)}
                    for r in frame.head(top).itertuples()] for w, frame in sides.items()}
    within = []
    if both:
        counts = con.execute(
            """SELECT w."window", c.label, count(*) FROM events e
               JOIN event_window_bounds w ON w."window" IN (?, ?)
               JOIN classified_documents c ON c.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to
               WHERE e.event_id = ? AND list_contains(?, c.thread_id) GROUP BY ALL""",
            [BEFORE, AFTER, event_id, sorted(both)]).fetchall()
        by = {(w, lab): int(n) for w, lab, n in counts}
        nb = sum(v for (w, _), v in by.items() if w == BEFORE)
        na = sum(v for (w, _), v in by.items() if w == AFTER)
        within = [share_shift(lab, by.get((BEFORE, lab), 0), nb, by.get((AFTER, lab), 0), na, min_n=min_n)
                  for lab in LABELS]
    sb, sa = shared(BEFORE), shared(AFTER)
    return ThreadMix(top_rows, sb, sa, bool(len(sides[BEFORE]) and len(sides[AFTER]) and sb < 0.5 and sa < 0.5),
                     within, len(both))


def overlapping_events(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Per event, the other events whose before/after windows overlap its own (within 13 days)."""
    out: dict[str, list[str]] = {}
    for a, name_b in con.execute(
            """SELECT a.event_id, b.name FROM events a JOIN events b
               ON a.event_id <> b.event_id AND abs(a.occurred_at - b.occurred_at) <= 13
               ORDER BY a.event_id, b.occurred_at, b.name""").fetchall():
        out.setdefault(a, []).append(name_b)
    return out
