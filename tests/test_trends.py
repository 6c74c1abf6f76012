import math
from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from sentiment.records import Document, Event
from sentiment.store import upsert_documents, upsert_events, upsert_stances
from sentiment.store.writes import ACTIVE_MODEL_KEY, set_meta
from sentiment.insight.trends import event_window_table, refresh_trends, shift_test, wilson
from tests.conftest import AUTHOR_KEY, run_counts


@pytest.mark.parametrize("k, n, low, high", [
    (0, 10, 0.0, 0.2775),
    (1, 10, 0.0179, 0.4042),
    (5, 10, 0.2366, 0.7634),
    (81, 263, 0.2553, 0.3662),
    (10, 10, 0.7225, 1.0),
])
def test_wilson_interval_matches_published_values(k, n, low, high):
    got = wilson(k, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_of_nothing_is_undefined():
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_sql_macro_equals_python(con):
    for k, n in [(0, 7), (3, 7), (7, 7), (40, 333)]:
        sql = con.execute("SELECT wilson_low(?, ?), wilson_high(?, ?)", [k, n, k, n]).fetchone()
        assert sql == pytest.approx(wilson(k, n), abs=1e-12)


def test_shift_test_known_table():
    result = shift_test([10, 20, 30, 40], [40, 30, 20, 10], min_n=20)
    assert result.statistic == pytest.approx(40.0)
    assert result.dof == 3
    assert result.p_value == pytest.approx(1.0653e-8, rel=1e-3)
    assert not result.small_sample


def test_shift_test_flags_small_samples_and_empty_sides():
    assert shift_test([1, 1, 0, 0], [0, 1, 1, 0], min_n=20).small_sample
    assert shift_test([0, 0, 0, 0], [3, 1, 0, 0], min_n=20).p_value is None


def _store(con, labels_by_day: dict[int, list[str]]):
    """Comments on days relative to 2026-03-03 with given labels, classified by model 'm'."""
    docs, stances = [], []
    for offset, labels in labels_by_day.items():
        for i, label in enumerate(labels):
            ext = f"c{offset}_{i}"
            docs.append(Document(source="hn", kind="comment", external_id=ext, text=f"comment {ext} about the lead leaving",
                                 created_at=datetime(2026, 3, 3, 12) + timedelta(days=offset),
                                 thread_id="hn:1", author=f"u{ext}"))
            stances.append((f"hn:{ext}", label))
    upsert_documents(con, docs, author_key=AUTHOR_KEY)
    upsert_stances(con, pa.table({
        "doc_id": [d for d, _ in stances], "model_version": ["m"] * len(stances),
        "label": [lab for _, lab in stances], "confidence": [0.7] * len(stances),
        "p_concern": [0.1] * len(stances), "p_skepticism": [0.1] * len(stances),
        "p_support": [0.1] * len(stances), "p_neutral": [0.7] * len(stances),
        "classified_at": [datetime(2026, 4, 1)] * len(stances)}))
    set_meta(con, ACTIVE_MODEL_KEY, "m")
    upsert_events(con, [Event("exit", "Lead exits", datetime(2026, 3, 3).date())])


def test_event_windows_count_shares_and_intervals(con):
    _store(con, {-3: ["support"] * 30 + ["concern"] * 10, 0: ["concern"] * 30 + ["skepticism"] * 10,
                 -10: ["neutral"] * 5, 20: ["support"]})
    assert event_window_table(con).n.sum() == 0  # the views show the last refresh: none yet
    rows = refresh_trends(con, min_n=20)
    table = event_window_table(con)
    before = table[table.window == "-7..-1"].set_index("label")
    assert before.loc["support", "n"] == 30 and before.loc["support", "n_window"] == 40
    assert before.loc["support", "share"] == pytest.approx(0.75)
    assert (before.loc["support", "ci_low"], before.loc["support", "ci_high"]) == pytest.approx(wilson(30, 40))
    assert before.loc["skepticism", "n"] == 0  # every label appears, zero when unseen
    early = table[table.window == "-14..-8"].set_index("label")
    assert early.loc["neutral", "n"] == 5
    assert table[table.window == "+7..+13"].n.sum() == 0  # day +20 is outside every window
    assert rows == 2  # 'all' and 'hn'
    shift = con.execute("SELECT n_before, n_after, p_value, small_sample, largest_change_label, "
                        "largest_change_pp FROM event_shift WHERE source = 'all'").fetchone()
    assert shift[:2] == (40, 40)
    assert shift[2] < 1e-6 and shift[3] is False
    assert shift[4] == "support" and shift[5] == pytest.approx(-75.0)


def test_the_trends_run_counts_its_shift_tests_new_updated_unchanged_and_removed(con):
    """The step's items are its event/source shift tests; each lands in one count against the
    stored ones, and the stances it read are counted on their own."""
    import json
    from datetime import date

    _store(con, {-3: ["support"] * 30 + ["concern"] * 10, 0: ["concern"] * 30 + ["skepticism"] * 10})
    refresh_trends(con, min_n=20)
    refresh_trends(con, min_n=20)                     # the same stances: the same tests
    _store(con, {1: ["support"] * 5})                 # more after the event: both tests change
    refresh_trends(con, min_n=20)
    upsert_events(con, [Event("later", "Later news", date(2026, 3, 4))])
    refresh_trends(con, min_n=20)                     # a second event: two new tests
    set_meta(con, ACTIVE_MODEL_KEY, "another-model")
    refresh_trends(con, min_n=20)                     # nothing classified by the active model
    assert run_counts(con, "trends") == [(2, 2, 0, 0, 0), (2, 0, 0, 2, 0), (2, 0, 2, 0, 0),
                                         (4, 2, 0, 2, 0), (0, 0, 0, 0, 0)]
    notes = [json.loads(n) for n, in con.execute("SELECT notes FROM runs ORDER BY started_at").fetchall()]
    assert [n["stances"] for n in notes] == [80, 80, 85, 85, 0]
    assert [n["removed"] for n in notes] == [0, 0, 0, 0, 4]


def test_only_the_active_model_is_reported(con):
    _store(con, {0: ["concern"] * 3})
    refresh_trends(con, min_n=20)
    assert event_window_table(con).n.sum() == 3
    set_meta(con, ACTIVE_MODEL_KEY, "another-model")
    refresh_trends(con, min_n=20)
    assert event_window_table(con).n.sum() == 0


def test_stance_daily_shares_sum_to_one_per_day_and_source(con):
    _store(con, {-3: ["support"] * 3 + ["concern"], 0: ["concern"] * 2, 1: ["neutral"]})
    refresh_trends(con, min_n=20)
    rows = con.execute("SELECT day, source, sum(share), sum(n) FROM stance_daily GROUP BY ALL ORDER BY day").fetchall()
    assert [r[3] for r in rows] == [4, 2, 1]
    assert all(r[2] == pytest.approx(1.0) for r in rows)
    assert con.execute("SELECT n, share FROM stance_daily WHERE label = 'support'").fetchall() == [(3, 0.75)]


def test_refresh_stores_effect_sizes_with_newcombe_intervals(con):
    from sentiment.insight.stats import newcombe_diff

    _store(con, {-3: ["support"] * 30 + ["concern"] * 10, 0: ["concern"] * 30 + ["skepticism"] * 10})
    refresh_trends(con, min_n=20)
    row = con.execute("""SELECT n_before, n_after, share_before, share_after, diff, diff_low, diff_high,
                                p_value, too_small FROM event_effects
                         WHERE source = 'all' AND label = 'concern' AND method = 'raw'""").fetchone()
    assert row[:5] == pytest.approx((40, 40, 0.25, 0.75, 0.5))
    assert row[5:7] == pytest.approx(newcombe_diff(30, 40, 10, 40)[1:])
    assert row[7] < 1e-4 and row[8] is False
    # no model card: raw and probability-weighted only, and nothing invented
    methods = {r[0] for r in con.execute("SELECT DISTINCT method FROM adjusted_shares").fetchall()}
    assert methods == {"raw", "prob"}


def test_small_windows_are_flagged_not_reported(con):
    _store(con, {-3: ["support"] * 5, 0: ["concern"] * 6})
    refresh_trends(con, min_n=20)
    assert con.execute("SELECT bool_and(too_small) FROM event_effects").fetchone()[0] is True
    assert con.execute("SELECT bool_and(too_small) FROM adjusted_shares WHERE \"window\" IN ('-7..-1', '0..+6')"
                       ).fetchone()[0] is True


def test_an_audit_corrects_the_window_shares_the_model_gets_wrong(con):
    from sentiment.classify.audit import draw_audit, save_audit_label

    _store(con, {-3: ["support"] * 30 + ["concern"] * 10, 0: ["concern"] * 30 + ["skepticism"] * 10})
    refresh_trends(con, min_n=20, n_boot=50)
    assert con.execute("SELECT count(*) FROM adjusted_shares WHERE method = 'ppi'").fetchone()[0] == 0
    draw = draw_audit(con, 15, seed=3, event_id="exit")
    assert len(draw.items) == 30 and draw.frame_n == 80  # 15 from each week
    truth = dict(con.execute("SELECT doc_id, label FROM current_stances").fetchall())
    for item in draw.items:
        save_audit_label(con, draw.audit_id, item, truth[item.doc_id])
    refresh_trends(con, min_n=20, n_boot=50)
    rows = con.execute("""SELECT "window", label, share, ci_low, ci_high, n_audit, audit_scope FROM adjusted_shares
                          WHERE source = 'all' AND method = 'ppi' AND "window" IN ('-7..-1', '0..+6')
                          ORDER BY "window", label""").fetchall()
    assert len(rows) == 8 and {r[5] for r in rows} == {15} and {r[6] for r in rows} == {"window"}
    share = {(w, lab): (s, lo, hi) for w, lab, s, lo, hi, _, _ in rows}
    assert share[("-7..-1", "support")][1] <= 0.75 <= share[("-7..-1", "support")][2]
    assert share[("0..+6", "concern")][1] <= 0.75 <= share[("0..+6", "concern")][2]
    prob = con.execute("""SELECT share FROM adjusted_shares WHERE source = 'all' AND method = 'prob'
                          AND "window" = '0..+6' AND label = 'concern'""").fetchone()[0]
    assert prob == pytest.approx(0.1)  # the model's own share is far off; the audit's is not
    diff = con.execute("""SELECT diff, diff_low, diff_high, audit_scope FROM event_effects
                          WHERE source = 'all' AND label = 'concern' AND method = 'ppi'""").fetchone()
    assert diff[1] <= diff[0] <= diff[2] and diff[0] > 0.3 and diff[3] == "window"
    # outside the audited windows the same labels are pooled, and say so
    pooled = con.execute("""SELECT DISTINCT audit_scope, n_audit FROM adjusted_shares
                            WHERE method = 'ppi' AND "window" = '-14..-8'""").fetchall()
    assert pooled in ([], [("pooled", 30)])


def test_refresh_stores_spikes_and_quotes(con):
    days = {d: ["neutral"] * 20 for d in range(-20, 0)}
    days[0] = ["concern"] * 70 + ["neutral"] * 20
    _store(con, days)
    refresh_trends(con, min_n=20)
    spikes = con.execute("SELECT day, source, metric, reason FROM spikes WHERE source = 'all' ORDER BY metric"
                         ).fetchall()
    assert [(str(s[0]), s[2]) for s in spikes] == [("2026-03-03", "concern_share"), ("2026-03-03", "volume")]
    assert "previous 14 days" in spikes[0][3]
    quotes = con.execute("""SELECT label, rank, text FROM event_quotes_text
                            WHERE event_id = 'exit' AND "window" = '0..+6' ORDER BY label, rank""").fetchall()
    assert [(q[0], q[1]) for q in quotes] == [("concern", 1), ("concern", 2), ("concern", 3),
                                              ("neutral", 1), ("neutral", 2), ("neutral", 3)]


def test_daily_and_weekly_trend_views(con):
    _store(con, {-3: ["support"] * 3 + ["concern"], -1: ["concern"] * 4, 5: ["neutral"] * 2})
    refresh_trends(con, min_n=20)
    daily = con.execute("""SELECT day, n, n_day, share, share_7d, n_day_7d, prob_share FROM stance_trend_daily
                           WHERE source = 'all' AND label = 'concern' ORDER BY day""").fetchall()
    assert [(r[1], r[2]) for r in daily] == [(1, 4), (4, 4), (0, 2)]
    assert daily[1][4] == pytest.approx(5 / 8) and daily[1][5] == 8  # days -3 and -1 in the 7-day window
    assert daily[2][4] == pytest.approx(4 / 6)  # day +5: days -1..+5 (day -3 has left the window)
    assert daily[0][6] == pytest.approx(0.1)
    assert con.execute("SELECT count(DISTINCT source) FROM stance_trend_daily").fetchone()[0] == 2  # hn, all
    weekly = con.execute("""SELECT week, n, n_week, share FROM stance_trend_weekly
                            WHERE source = 'hn' AND label = 'concern' ORDER BY week_start""").fetchall()
    # day -3 is Sat 2026-02-28 (W09); days -1 and +5 are Mon 03-02 and Sun 03-08 (W10)
    assert weekly == [("2026-W09", 1, 4, 0.25), ("2026-W10", 4, 6, pytest.approx(4 / 6))]


def test_materialised_counts_match_the_live_view(con):
    _store(con, {-3: ["support"] * 3 + ["concern"], -1: ["concern"] * 4, 5: ["neutral"] * 2})
    refresh_trends(con, min_n=20)
    live = con.execute("SELECT label, count(*) FROM classified_documents GROUP BY ALL ORDER BY 1").fetchall()
    for table in ("stance_day_counts", "thread_stance_counts"):
        assert con.execute(f"SELECT label, sum(n) FROM {table} GROUP BY ALL ORDER BY 1").fetchall() == live
    probs = con.execute("SELECT sum(s_neutral), sum(q_neutral_neutral) FROM stance_day_counts").fetchone()
    assert probs == pytest.approx((10 * 0.7, 10 * 0.49))


def test_stored_interval_covers_a_known_generated_shift(con):
    """Labels drawn with a true concern share of 20% before and 45% after: the stored Newcombe
    interval of the change covers the true +25 pp, and the shift is reported beyond uncertainty."""
    import random

    rng = random.Random(42)
    days = {}
    for offset in range(-7, 7):
        p = 0.20 if offset < 0 else 0.45
        days[offset] = ["concern" if rng.random() < p else "neutral" for _ in range(30)]
    _store(con, days)
    refresh_trends(con, min_n=20)
    diff, low, high, too_small = con.execute(
        """SELECT diff, diff_low, diff_high, too_small FROM event_effects
           WHERE source = 'all' AND label = 'concern' AND method = 'raw'""").fetchone()
    assert low <= 0.25 <= high and low > 0 and not too_small
    assert abs(diff - 0.25) < 0.1


def test_thread_mix_says_when_before_and_after_are_different_crowds(con):
    from sentiment.insight.trends import overlapping_events, thread_mix

    _store(con, {-3: ["support"] * 30, 0: ["concern"] * 30})
    con.execute("UPDATE documents SET thread_id = 'hn:2' WHERE created_at >= '2026-03-03'")
    mix = thread_mix(con, "exit", min_n=20)
    assert mix.different_crowds and mix.n_shared_threads == 0 and mix.within == []
    assert mix.shared_before == 0 and [r["n"] for r in mix.top["-7..-1"]] == [30]
    con.execute("UPDATE documents SET thread_id = 'hn:1'")
    same = thread_mix(con, "exit", min_n=20)
    assert not same.different_crowds and same.n_shared_threads == 1
    concern = next(w for w in same.within if w.label == "concern")
    assert concern.diff == pytest.approx(1.0)
    assert overlapping_events(con) == {}
    upsert_events(con, [Event("next", "A day later", datetime(2026, 3, 4).date()),
                        Event("far", "A month later", datetime(2026, 4, 10).date())])
    assert overlapping_events(con) == {"exit": ["A day later"], "next": ["Lead exits"]}


def test_undated_documents_are_left_out_and_counted(con):
    _store(con, {0: ["concern"] * 3})
    undated = [Document(source="web", kind="comment", external_id=f"a#c{n}", text=f"reader comment {n}",
                        created_at=None, thread_id="web:a", date_source="none") for n in range(2)]
    upsert_documents(con, undated, author_key=AUTHOR_KEY)
    upsert_stances(con, pa.table({
        "doc_id": [d.doc_id for d in undated], "model_version": ["m"] * 2, "label": ["concern"] * 2,
        "confidence": [0.7] * 2, "p_concern": [0.7] * 2, "p_skepticism": [0.1] * 2, "p_support": [0.1] * 2,
        "p_neutral": [0.1] * 2, "classified_at": [datetime(2026, 4, 1)] * 2}))
    refresh_trends(con, min_n=20)
    assert event_window_table(con).n.sum() == 3  # the undated two are in no window
    assert con.execute("SELECT source, kind, n FROM undated_documents").fetchall() == [("web", "comment", 2)]
    notes = con.execute("SELECT notes FROM runs WHERE step = 'trends' ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    assert '"undated_left_out": 2' in notes
