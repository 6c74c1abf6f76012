"""The dashboard: its data layer, Streamlit's AppTest (filters change the tables), and one real
headless Chromium screenshot kept as a test artifact."""

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
from tests.conftest import ROOT, free_port

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


@pytest.fixture
def app_env(demo_db, monkeypatch, tmp_path):
    from sentiment.settings import get_settings

    monkeypatch.setenv("SENTIMENT_DB", str(demo_db))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _frames(at):
    return [el.value for el in at.dataframe]


def test_app_filters_change_the_tables(app_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, at.exception
    before_after, comments = _frames(at)
    assert {"reddit", "hn", "all"} <= set(before_after.source)
    assert len(comments) > 0 and set(comments.label) == set(LABELS)

    at.sidebar.multiselect[0].set_value(["hn"]).run()  # source
    before_after, hn_comments = _frames(at)
    assert set(before_after.source) == {"hn"} and set(hn_comments.source) == {"hn"}
    assert len(hn_comments) < len(comments)

    at.sidebar.multiselect[1].set_value(["concern"]).run()  # stance
    before_after, concern = _frames(at)
    assert set(before_after.label) == {"concern"} and set(concern.label) == {"concern"}

    at.sidebar.date_input[0].set_value((date(2026, 3, 3), date(2026, 3, 4))).run()  # date range
    _, narrow = _frames(at)
    assert 0 < len(narrow) < len(concern)
    assert narrow.created_at.dt.date.between(date(2026, 3, 3), date(2026, 3, 4)).all()

    at.sidebar.selectbox[0].set_value("qwen35-small-release").run()  # event
    before_after, _ = _frames(at)
    assert before_after.n_before.iloc[0] != 70  # the lead-exit event had 70 documents before
    assert not at.exception


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
                                                   "comments shown"))
        shot.write_bytes(png)
        assert "Community stance" in text and "Filters" in text and "500 comments shown" in text
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
