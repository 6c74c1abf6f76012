"""The dashboard: its data layer, Streamlit's AppTest (filters change the tables; the chart carries
bands and breaks at empty days; the comment table follows the chosen event), and one real headless
Chromium screenshot kept as a test artifact.

Tests that only read need no trained model: ``rules_db`` is the demo's data classified by the rule
baseline (ingest, classify, the demo's audit, trends; no training), while ``demo_db`` is the demo
itself with the trained ensemble."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sentiment import dashboard
from sentiment.settings import LABELS, Settings
from sentiment.store import connect, snapshot_path
from tests.conftest import AUTHOR_KEY, ROOT, SEEDS, free_port

APP = ROOT / "dashboards" / "app.py"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_published_copy_is_read_while_a_writer_holds_the_database(demo_db, tmp_path):
    live = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, live)
    connect(live).close()  # a finished run publishes the read copy
    with connect(live) as writer:  # a flow writing now: it holds the lock and the file
        writer.execute("INSERT INTO meta VALUES ('writer-was-here', 'yes')")
        snap = dashboard.open_snapshot(Settings(db=live))
        assert not snap.copied and snap.path == snapshot_path(live)
        assert dashboard.options(snap.con).sources  # reads, without waiting for the writer
        assert snap.con.execute("SELECT count(*) FROM meta WHERE key = 'writer-was-here'").fetchone()[0] == 0
        with pytest.raises(duckdb.Error):
            snap.con.execute("DELETE FROM documents")  # and only reads
        snap.con.close()


def test_without_a_published_copy_a_busy_file_is_copied(demo_db, tmp_path):
    from tests.store.test_single_writer import _hold_writer

    live = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, live)
    holder = _hold_writer(live, 30)  # another process writing; nothing published yet
    try:
        snap = dashboard.open_snapshot(Settings(db=live), folder=tmp_path / "snap")
        assert snap.copied and snap.path != live
        assert dashboard.options(snap.con).sources
    finally:
        holder.kill()
        holder.wait()


def test_a_published_copy_is_opened_in_place(demo_db):
    snap = dashboard.open_snapshot(Settings(db=Path("/nonexistent.duckdb"), dashboard_db=demo_db))
    assert not snap.copied and snap.path == demo_db


def test_data_layer_filters(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    opts = dashboard.options(con)
    every = dashboard.comments(con, opts.sources, opts.first_day, opts.last_day, list(LABELS))
    only_hn = dashboard.comments(con, ["hn"], opts.first_day, opts.last_day, ["concern"])
    assert 0 < len(only_hn) < len(every)
    assert set(only_hn.source) == {"hn"} and set(only_hn.label) == {"concern"}
    assert all(u.startswith("http") for u in every.url.dropna())
    series = dashboard.stance_over_time(con, opts.sources, date(2026, 3, 1), date(2026, 3, 10), list(LABELS))
    assert series.day.min().date() >= date(2026, 3, 1) and series.groupby("day").share.sum().round(6).eq(1).all()
    table = dashboard.before_after(con, "qwen-lead-exit", opts.sources, list(LABELS))
    assert "all" in set(table.source) and set(table.method) == {name for name, _ in dashboard.METHOD_LEGEND.values()}
    reddit = dashboard.before_after(con, "qwen-lead-exit", ["reddit"], ["concern"])
    assert set(reddit.source) == {"reddit"} and set(reddit.label) == {"concern"}


@pytest.fixture(scope="module")
def rules_db(tmp_path_factory) -> Path:
    """The demo's threads and events classified by the rule baseline, with the demo's seeded audit
    and a trends refresh: the demo's shape in seconds, without a trained model. Read-only."""
    import json

    from sentiment.classify import load_classifier
    from sentiment.classify.audit import audit_from_known_labels
    from sentiment.classify.run import classify_pending
    from sentiment.collect.files import ingest_paths
    from sentiment.insight.trends import refresh_trends
    from sentiment.records import make_doc_id

    db = tmp_path_factory.mktemp("rules") / "rules.duckdb"
    with connect(db) as con:
        ingest_paths(con, [SEEDS], author_key=AUTHOR_KEY)
        classify_pending(con, load_classifier("baseline"), batch_size=256)
        gold = [json.loads(line) for line in
                (SEEDS / "threads" / "intended_labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
        audit_from_known_labels(con, 100, {make_doc_id(r["source"], r["external_id"]): r["label"]
                                           for r in gold}, seed=0)
        refresh_trends(con, min_n=20, n_boot=50)  # the intervals' bootstrap is not what is tested here
    return db


@pytest.fixture
def rules(rules_db):
    with duckdb.connect(str(rules_db), read_only=True) as con:
        yield con


def test_chart_series_carries_the_interval_of_the_line_it_draws(rules):
    from sentiment.insight.trends import wilson

    opts = dashboard.options(rules)
    series = dashboard.stance_over_time(rules, opts.sources, opts.first_day, opts.last_day, list(LABELS))
    assert (series.ci_low <= series.share_7d + 1e-12).all() and (series.share_7d <= series.ci_high + 1e-12).all()
    assert (series.ci_high - series.ci_low > 0).all()
    for row in series.sample(20, random_state=0).itertuples():
        assert row.share_7d == pytest.approx(row.n_7d / row.n_day_7d)
        assert (row.ci_low, row.ci_high) == pytest.approx(wilson(int(row.n_7d), int(row.n_day_7d)), abs=1e-9)
    # the 7-day window is 7 calendar days, over every chosen source: the view's 'all' row agrees
    # the 7-day window is 7 calendar days over the chosen sources: the trend view agrees, per source too
    for sources, name in ((opts.sources, "all"), (["hn"], "hn")):
        mine = dashboard.stance_over_time(rules, sources, opts.first_day, opts.last_day, list(LABELS))
        view = rules.execute("""SELECT day, label, share_7d, ci_low, n_day_7d FROM stance_trend_daily
                                WHERE source = ?""", [name]).df().set_index(["day", "label"])
        mine = mine.set_index(["day", "label"])
        assert len(mine) == len(view) and mine.n_day_7d.to_numpy() == pytest.approx(
            view.loc[mine.index].n_day_7d.to_numpy())
        assert mine.share_7d.to_numpy() == pytest.approx(view.loc[mine.index].share_7d.to_numpy())


def _runs(series) -> list[list[date]]:
    days = sorted({d.date() for d in series.day})
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def test_chart_series_breaks_at_days_without_comments(rules):
    opts = dashboard.options(rules)
    for sources in (opts.sources, ["hn"], ["reddit"]):
        series = dashboard.stance_over_time(rules, sources, opts.first_day, opts.last_day, ["concern", "support"])
        assert (series.n_day > 0).all()  # an empty day is no point on the line
        runs = _runs(series)
        assert len(runs) > 1  # the demo's data has empty days, in every source
        by_day = series.groupby(series.day.dt.date).segment.agg(set)
        assert [by_day[run[0]] for run in runs] == [{i} for i in range(1, len(runs) + 1)]
        assert all(by_day[d] == by_day[run[0]] for run in runs for d in run)  # one segment per run
    gap = dashboard.stance_over_time(rules, opts.sources, date(2026, 2, 20), date(2026, 2, 23), ["concern"])
    assert [d.date() for d in gap.day] == [date(2026, 2, 20), date(2026, 2, 23)] and list(gap.segment) == [1, 2]


def test_comment_table_holds_the_event_windows_behind_the_before_after_table(rules):
    opts = dashboard.options(rules)
    spans = dashboard.event_windows(rules, "qwen-lead-exit", opts.sources, list(LABELS))
    assert [(w.name, w.first, w.last) for w in spans] == [
        ("before (-7..-1)", date(2026, 2, 24), date(2026, 3, 2)), ("after (0..+6)", date(2026, 3, 3), date(2026, 3, 9))]
    n_before, n_after = rules.execute("""SELECT n_before, n_after FROM event_effects WHERE event_id = 'qwen-lead-exit'
                                         AND source = 'all' AND method = 'raw' LIMIT 1""").fetchone()
    assert [w.n for w in spans] == [n_before, n_after] == [70, 340]  # 340: five readers' comments under the seed blog post
    rows = dashboard.event_comments(rules, "qwen-lead-exit", opts.sources, list(LABELS))
    assert rows.window.value_counts().to_dict() == {"before (-7..-1)": 70, "after (0..+6)": 250}
    assert list(rows.window) == sorted(rows.window, key=["before (-7..-1)", "after (0..+6)"].index)
    for span in spans:
        side = rows[rows.window == span.name]
        assert side.created_at.dt.date.between(span.first, span.last).all()
        assert side.confidence.is_monotonic_decreasing
    assert all(u.startswith("http") for u in rows.url.dropna())
    hn = dashboard.event_comments(rules, "qwen-lead-exit", ["hn"], ["concern"])
    assert set(hn.source) == {"hn"} and set(hn.label) == {"concern"}
    assert [w.n for w in dashboard.event_windows(rules, "qwen-lead-exit", ["hn"], ["concern"])] == [
        (hn.window == name).sum() for name in dashboard.WINDOW_NAMES.values()]
    other = dashboard.event_comments(rules, "qwen35-small-release", opts.sources, list(LABELS))
    assert other.created_at.min().date() == date(2026, 2, 23)  # its own windows: 2026-02-23 to 03-08


def test_event_threads_come_from_thread_mix_and_overlapping_events(rules):
    from sentiment.insight.trends import thread_mix

    context = dashboard.event_threads(rules, "qwen-lead-exit", min_n=20)
    mix = thread_mix(rules, "qwen-lead-exit", min_n=20)
    before = context.top[context.top.window == "before (-7..-1)"]
    assert list(before.thread) == [r["thread_title"] for r in mix.top["-7..-1"]]
    assert list(before.comments) == [41, 29]  # the unrelated code-review thread, then the release thread
    assert context.summary.startswith("**Different crowds:** only 41% of the comments before and 9% after")
    assert list(context.within.label) == list(LABELS) and set(context.within.n_before) == {29}
    assert context.overlaps == ["Qwen3.5 small models released"]


def test_new_queries_treat_input_as_values(rules):
    from tests.test_sql_injection import INJECTIONS

    opts = dashboard.options(rules)
    counts = rules.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM events)").fetchone()
    for bad in INJECTIONS:
        assert dashboard.event_comments(rules, bad, opts.sources, list(LABELS)).empty
        assert dashboard.event_comments(rules, "qwen-lead-exit", [bad], [bad]).empty
        assert dashboard.event_windows(rules, bad, opts.sources, list(LABELS)) == []
        assert [w.n for w in dashboard.event_windows(rules, "qwen-lead-exit", [bad], list(LABELS))] == [0, 0]
        empty = dashboard.event_threads(rules, bad, min_n=20)
        assert empty.top.empty and empty.within.empty and empty.overlaps == []
    assert rules.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM events)").fetchone() == counts


def test_markdown_literal_renders_as_its_own_text():
    from markdown_it import MarkdownIt

    nasty = "[x](javascript:alert(1)) **b** <img src=x onerror=alert(2)> :red[hi] `c` _i_ # h\n- l $x$ ![i](y)"
    html = MarkdownIt("commonmark").renderInline(dashboard.markdown_literal(nasty))
    assert "<a" not in html and "<img" not in html and "<strong" not in html and "<em" not in html
    assert "<code" not in html
    assert html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') == " ".join(nasty.split())


@pytest.fixture
def app_env(rules_db, monkeypatch, tmp_path):
    from sentiment.settings import get_settings

    monkeypatch.setenv("SENTIMENT_DB", str(rules_db))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _frame(at, column: str):
    """The one table on the page with ``column`` (tables are told apart by what they hold)."""
    found = [el.value for el in at.dataframe if column in el.value.columns]
    assert len(found) == 1, [list(el.value.columns) for el in at.dataframe]
    return found[0]


def _comments(at):
    return _frame(at, "text")


def _before_after(at):
    return _frame(at, "method")


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_app_filters_change_the_tables(app_env):
    at = _app()
    assert {"reddit", "hn", "all"} <= set(_before_after(at).source)
    comments = _comments(at)
    assert len(comments) > 0 and set(comments.label) == set(LABELS)

    at.sidebar.multiselect[0].set_value(["hn"]).run()  # source
    hn_comments = _comments(at)
    assert set(_before_after(at).source) == {"hn"} and set(hn_comments.source) == {"hn"}
    assert len(hn_comments) < len(comments)

    at.sidebar.multiselect[1].set_value(["concern"]).run()  # stance
    concern = _comments(at)
    assert set(_before_after(at).label) == {"concern"} and set(concern.label) == {"concern"}

    at.sidebar.selectbox[0].set_value("qwen35-small-release").run()  # event
    assert _before_after(at).n_before.iloc[0] != 70  # the lead-exit event had 70 documents before
    assert set(_comments(at).window) <= set(dashboard.WINDOW_NAMES.values())

    at.sidebar.selectbox[0].set_value("").run()  # no event: the comments of the date range
    at.sidebar.date_input[0].set_value((date(2026, 3, 3), date(2026, 3, 4))).run()  # date range
    narrow = _comments(at)
    assert "window" not in narrow.columns and 0 < len(narrow)
    assert narrow.created_at.dt.date.between(date(2026, 3, 3), date(2026, 3, 4)).all()
    assert not [el for el in at.dataframe if "method" in el.value.columns]  # no event, no before/after table
    assert not at.exception


def test_app_comment_table_follows_the_chosen_event(app_env):
    at = _app()
    assert at.sidebar.selectbox[0].value == "qwen-lead-exit"  # the latest event is chosen first
    comments = _comments(at)
    assert list(comments.columns[:1]) == ["window"]
    assert comments.window.value_counts().to_dict() == {"before (-7..-1)": 70, "after (0..+6)": 250}
    caption = next(c.value for c in at.caption if "comments shown" in c.value)
    assert "before (-7..-1), 2026-02-24 to 2026-03-02: 70 of 70" in caption and "250 of 340" in caption
    at.sidebar.date_input[0].set_value((date(2026, 3, 20), date(2026, 3, 24))).run()
    assert _comments(at).equals(comments)  # the event's windows, not the date range
    at.sidebar.selectbox[0].set_value("qwen35-small-release").run()
    other = _comments(at)
    assert other.created_at.min().date() == date(2026, 2, 23) and other.created_at.max().date() <= date(2026, 3, 8)


def test_app_shows_the_thread_mix_and_overlaps_beside_the_before_after_table(app_env):
    at = _app()
    threads = _frame(at, "thread")
    assert list(threads.comments[threads.window == "before (-7..-1)"]) == [41, 29]
    assert any(c.value.startswith("**Different crowds:**") for c in at.caption)
    within = next(el.value for el in at.dataframe
                  if "change_pp" in el.value.columns and "method" not in el.value.columns)
    assert list(within.label) == list(LABELS) and set(within.n_before) == {29}  # the shift within shared threads
    assert [w.value for w in at.warning] == [
        "Its windows overlap those of “Qwen3\\.5 small models released”: these events' shifts share comments; "
        "read them together, not as separate moves."]
    page = [(type(el).__name__, getattr(el, "value", None)) for el in at.main]
    kinds = [kind for kind, _ in page]
    section, comments = page.index(("Subheader", "Before and after the event")), page.index(("Subheader", "Comments"))
    assert section < kinds.index("Warning") < comments  # in the event's section, beside its tables
    assert section < [i for i, el in enumerate(at.main) if type(el).__name__ == "Dataframe"
                      and "thread" in el.value.columns][0] < comments


def test_app_event_names_in_the_overlap_warning_stay_text(rules_db, tmp_path, monkeypatch):
    from sentiment.records import Event
    from sentiment.settings import get_settings
    from sentiment.store import upsert_events

    db = tmp_path / "copy.duckdb"
    shutil.copyfile(rules_db, db)
    name = "[click](javascript:alert(1)) <b>bold</b>"
    with connect(db) as con:
        upsert_events(con, [Event("odd", name, date(2026, 3, 5))])
    monkeypatch.setenv("SENTIMENT_DB", str(db))
    get_settings.cache_clear()
    at = _app()
    at.sidebar.selectbox[0].set_value("qwen-lead-exit").run()
    warning = at.warning[0].value
    assert "“Qwen3\\.5 small models released”" in warning  # the other overlapping event is still named
    assert dashboard.markdown_literal(name) in warning and "[click](" not in warning and "<b>" not in warning


def _vega(at) -> tuple[dict, dict]:
    """The stance chart's Vega-Lite spec and its data rows per dataset name."""
    import json

    import pyarrow as pa

    chart = at.get("vega_lite_chart")[0].proto
    data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.datasets}
    return json.loads(chart.spec), data


def test_app_chart_draws_bands_and_one_line_per_run_of_days(app_env):
    at = _app()
    spec, data = _vega(at)
    marks = {layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]: layer
             for layer in spec["layer"]}
    band, line = marks["area"], marks["line"]
    assert (band["encoding"]["y"]["field"], band["encoding"]["y2"]["field"]) == ("ci_low", "ci_high")
    assert line["encoding"]["y"]["field"] == "share_7d"
    for layer in (band, line):
        assert layer["encoding"]["detail"]["field"] == "segment"  # a path per run: no line across a gap
    rows = data[line["data"]["name"]]
    assert rows.segment.nunique() > 1 and rows.ci_low.notna().all()
    assert "band" in line["encoding"]["y"]["title"] and "95%" in line["encoding"]["y"]["title"]
    caption = next(c.value for c in at.caption if c.value.startswith("**Line**"))
    assert "Wilson 95% interval" in caption and "7-day" in caption and "breaks the line" in caption
    assert {"rule", "text"} <= set(marks)  # events still drawn, with their names


def _chromium_screenshot(url: str, profile: Path, wait_for: tuple[str, ...], timeout: float = 90) -> tuple[str, bytes]:
    """Open ``url`` in a real headless Chromium, wait until the page shows every ``wait_for`` text
    (Streamlit renders over a websocket, after load), and return its text and a full-page PNG.

    Driven through the DevTools protocol over a websocket (the ``websockets`` package).
    """
    import base64
    import json

    from websockets.sync.client import connect

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1400,1800"]
    browser = subprocess.Popen([CHROMIUM, *flags, "about:blank"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or browser.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")

        with connect(page["webSocketDebuggerUrl"], max_size=64 * 2**20) as ws:
            counter = 0

            def call(method: str, **params):
                nonlocal counter
                counter += 1
                ws.send(json.dumps({"id": counter, "method": method, "params": params}))
                while True:
                    message = json.loads(ws.recv(timeout=60))
                    if message.get("id") == counter:
                        return message.get("result", {})

            call("Page.enable")
            call("Page.navigate", url=url)
            text, end = "", time.monotonic() + timeout
            while time.monotonic() < end:
                result = call("Runtime.evaluate", expression="document.body.innerText", returnByValue=True)
                text = result.get("result", {}).get("value") or ""
                if all(w in text for w in wait_for):
                    break
                time.sleep(0.5)
            else:
                raise AssertionError(f"page never showed {wait_for}; it showed: {text[:500]!r}")
            time.sleep(3)  # charts and tables finish drawing
            shot = call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            return text, base64.b64decode(shot["data"])
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`; "
                                              ".ci/run installs it with apt-get when it can)")
def test_dashboard_renders_in_headless_chromium(demo_db, tmp_path):
    port = free_port()
    env = {**os.environ, "SENTIMENT_DB": str(demo_db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--global.developmentMode", "false",
         "--client.toolbarMode", "minimal"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("streamlit did not start: " + server.stdout.read1(4000).decode(errors="replace")
                            if server.poll() is not None else "streamlit did not start within 60 s")
            time.sleep(0.5)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "dashboard.png"
        shot.unlink(missing_ok=True)
        text, png = _chromium_screenshot(f"http://127.0.0.1:{port}/", tmp_path / "chromium-profile",
                                         wait_for=("Stance over time", "Before and after the event",
                                                   "Where the comments come from", "comments shown"))
        shot.write_bytes(png)
        assert "Community stance" in text and "Filters" in text
        assert "320 comments shown from the event's windows" in text  # 70 before, the top 250 of 340 after
        assert png.startswith(b"\x89PNG") and len(png) > 30_000  # a rendered page, not a blank one
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_streamlit_usage_statistics_are_off_for_the_readme_command():
    """`streamlit run dashboards/app.py` from the repository root reads .streamlit/config.toml."""
    import subprocess
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    shown = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120).stdout
    assert "gatherUsageStats = false" in shown
