"""The trends step and every trend query on generated comments (default 1M).

Generates comments over 90 days from three sources with a stance mix that shifts at an event,
classified by a fake model with a model card, then times:
- the whole ``refresh_trends`` (event shift, effects, corrected shares with bootstrap, spikes, quotes);
- each public trend view/table and each saved query in ``dashboards/queries``, against the
  baseline of one plain scan of ``classified_documents`` (the cost of touching every row once).
Targets: every trend query < 200 ms, the whole refresh < 10 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from sentiment.insight.quantify import MODEL_CARD_KEY
from sentiment.store import connect
from sentiment.store.writes import ACTIVE_MODEL_KEY, set_meta
from sentiment.insight.trends import refresh_trends

ROOT = Path(__file__).resolve().parent.parent
QUERIES = {
    "stance_daily": "SELECT * FROM stance_daily",
    "thread_stance_counts": "SELECT * FROM thread_stance_counts",
    "stance_trend_daily": "SELECT * FROM stance_trend_daily",
    "stance_trend_weekly": "SELECT * FROM stance_trend_weekly",
    "event_windows": "SELECT * FROM event_windows",
    "event_windows_by_source": "SELECT * FROM event_windows_by_source",
    "event_shift": "SELECT * FROM event_shift",
    "event_effects": "SELECT * FROM event_effects",
    "adjusted_shares": "SELECT * FROM adjusted_shares",
    "spikes": "SELECT * FROM spikes",
    "event_quotes_text": "SELECT * FROM event_quotes_text",
}
CARD = {"model_version": "bench-model", "labels": ["concern", "skepticism", "support", "neutral"],
        "dev": {"n": 800, "macro_f1": 0.62, "per_label_f1": {},
                "confusion": [[130, 40, 10, 20], [30, 120, 15, 35], [5, 10, 160, 25], [20, 25, 15, 140]],
                "mean_probs": [[0.55, 0.2, 0.08, 0.17], [0.18, 0.52, 0.1, 0.2],
                               [0.04, 0.07, 0.74, 0.15], [0.1, 0.12, 0.09, 0.69]]},
        "ece": 0.06}


def generate(con, n: int) -> None:
    """n comments over 2026-01-15 .. 2026-04-14, 200 per thread; concern rises after 2026-03-03."""
    con.execute(f"""
        INSERT INTO documents (doc_id, source, kind, external_id, thread_id, parent_id, created_at,
                               text, url, fetched_at)
        SELECT src || ':c' || i, src, 'comment', 'c' || i, src || ':t' || (i // 200), src || ':t' || (i // 200),
               TIMESTAMP '2026-01-15' + to_seconds(CAST(floor(r1 * 90 * 86400) AS BIGINT)),
               'comment ' || i || ' on ' || ['weights', 'license', 'team', 'api', 'release', 'quant'][1 + i % 6]
                   || ' and ' || ['open', 'closed', 'local', 'future', 'lead', 'benchmark'][1 + (i // 7) % 6],
               'https://example.org/' || src || '/' || i, TIMESTAMP '2026-04-15'
        FROM (SELECT i, random() AS r1, ['reddit', 'hn', 'web'][1 + i % 3] AS src FROM range({n}) t(i))
    """)
    con.execute("""
        INSERT INTO stances
        SELECT doc_id, 'bench-model', label, 0.4 + 0.5 * r, p_c, p_s, p_u, 1 - p_c - p_s - p_u,
               TIMESTAMP '2026-04-15'
        FROM (
            SELECT d.doc_id, random() AS r, u,
                   CASE WHEN u < (CASE WHEN d.created_at >= DATE '2026-03-03' THEN 0.40 ELSE 0.20 END) THEN 'concern'
                        WHEN u < 0.55 THEN 'skepticism' WHEN u < 0.75 THEN 'support' ELSE 'neutral' END AS label
            FROM (SELECT doc_id, created_at, random() AS u FROM documents) d
        ) s,
        LATERAL (SELECT CASE label WHEN 'concern' THEN 0.6 ELSE 0.13 END AS p_c,
                        CASE label WHEN 'skepticism' THEN 0.6 ELSE 0.13 END AS p_s,
                        CASE label WHEN 'support' THEN 0.6 ELSE 0.13 END AS p_u)
    """)
    con.execute("""INSERT INTO events VALUES
        ('release', 'Release', DATE '2026-03-02', NULL, []),
        ('lead-exit', 'Lead exits', DATE '2026-03-03', NULL, [])""")
    set_meta(con, ACTIVE_MODEL_KEY, "bench-model")
    set_meta(con, MODEL_CARD_KEY, json.dumps(CARD))


def timed(con, sql: str, repeat: int) -> float:
    """Median wall time in ms of running the query and fetching the whole result as Arrow (as the
    dashboard and pandas do; building Python tuples would time the client, not the query)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        con.sql(sql).to_arrow_table()
        times.append(1000 * (time.perf_counter() - t))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "trends.duckdb"
        with connect(db) as con:
            t = time.perf_counter()
            generate(con, args.comments)
            print(f"generated {args.comments:,} classified comments in {time.perf_counter() - t:.1f}s")
            t = time.perf_counter()
            refresh_trends(con, min_n=20)
            refresh = time.perf_counter() - t
            counts = {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                      for name in ("stance_day_counts", "thread_stance_counts", "event_shift", "event_effects",
                                   "adjusted_shares", "spikes", "event_quotes")}
        print(f"refresh_trends: {refresh:.2f} s (target < 10 s) -> "
              + ", ".join(f"{k} {v}" for k, v in counts.items()))
        with connect(db, read_only=True) as con:
            baseline = timed(con, "SELECT count(*), sum(confidence) FROM classified_documents", args.repeat)
            print(f"\n{'query (median of ' + str(args.repeat) + ')':<44}{'ms':>9}{'x baseline':>12}{'< 200 ms':>10}")
            print(f"{'baseline: one scan of classified_documents':<44}{baseline:>9.1f}{1.0:>12.2f}{'':>10}")
            worst = 0.0
            named = [(name, sql) for name, sql in QUERIES.items()]
            named += [(f"dashboards/queries/{p.name}", p.read_text(encoding="utf-8"))
                      for p in sorted((ROOT / "dashboards" / "queries").glob("*.sql"))]
            for name, sql in named:
                ms = timed(con, sql, args.repeat)
                worst = max(worst, ms)
                print(f"{name:<44}{ms:>9.1f}{ms / baseline:>12.2f}{'yes' if ms < 200 else 'NO':>10}")
        print(f"\nslowest trend query {worst:.0f} ms; refresh {refresh:.1f} s")


if __name__ == "__main__":
    main()
