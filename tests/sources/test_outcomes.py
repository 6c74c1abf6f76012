"""The outcome rule with real processes: ``sentiment collect`` against a closed port and against a
server that fails half the items exits 1 or 3, records the run as failed or partial, keeps every
failed item in ``collect_failures``, and the next run retries them (README, Guarantees)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
from sentiment.settings import Settings

from tests.conftest import AUTHOR_KEY, ROOT, free_port
from tests.fakes.hn import FakeHN
from tests.sources.test_hn_live import T0, _story


def _collect(db: Path, api: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SENTIMENT_HN_API_URL": api, "SENTIMENT_COLLECT_RETRIES": "1",
           "SENTIMENT_BACKOFF_SECONDS": "0.01", "SENTIMENT_HTTP_TIMEOUT": "2",
           "SENTIMENT_AUTHOR_KEY": AUTHOR_KEY.decode(),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "sentiment.cli", "--db", str(db), "collect", "hn", *args],
                          env=env, cwd=db.parent, capture_output=True, text=True, timeout=120)


def _state(db: Path) -> tuple[list, list, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT status, notes FROM runs ORDER BY started_at").fetchall()
        failures = con.execute("SELECT source, item, reason, attempts FROM collect_failures ORDER BY item").fetchall()
        docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    return runs, failures, docs


def test_hn_with_its_api_unreachable_fails_and_the_next_run_retries_the_search(tmp_path):
    db = tmp_path / "hn.duckdb"
    closed = f"http://127.0.0.1:{free_port()}/api/v1"  # nothing listens there
    first = _collect(db, closed, "--query", "qwen", "--since", "2026-02-15")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "collect hn: failed: nothing could be collected" in first.stdout
    assert "search 'qwen'" in first.stdout and "Traceback" not in first.stderr
    runs, failures, docs = _state(db)
    assert [r[0] for r in runs] == ["failed"] and docs == 0
    assert json.loads(runs[0][1])["failed"] == ["search 'qwen'"]
    ((source, item, reason, attempts),) = failures
    assert (source, item, attempts) == ("hn", "search?query=qwen&since=2026-02-15", 1)
    assert "network error" in reason

    again = _collect(db, closed, "--query", "qwen", "--since", "2026-02-15")  # still down: one more attempt
    assert again.returncode == 1
    assert [f[1:4:2] for f in _state(db)[1]] == [("search?query=qwen&since=2026-02-15", 2)]

    with FakeHN() as hn:
        hn.add(_story(11, T0))
        hn.add(_story(12, T0 + 100, title="GPU prices"))  # matches another query only
        # the API is back: a run for another query also repeats the failed search
        third = _collect(db, f"{hn.url}/api/v1", "--query", "gpu")
        assert third.returncode == 0, third.stdout + third.stderr
        assert hn.requests_to("/api/v1/search_by_date") == 2
    runs, failures, docs = _state(db)
    assert [r[0] for r in runs] == ["failed", "failed", "ok"] and failures == [] and docs == 10


def test_a_server_failing_half_the_stories_gives_a_partial_run_and_the_next_run_fetches_them(tmp_path):
    db = tmp_path / "hn.duckdb"
    with FakeHN() as hn:
        for i, sid in enumerate((11, 12, 13, 14)):
            hn.add(_story(sid, T0 + 100 * i))
        hn.fail("/api/v1/items/12", "503", times=20)
        hn.fail("/api/v1/items/14", "truncated", times=20)
        first = _collect(db, f"{hn.url}/api/v1", "--query", "qwen")
        assert first.returncode == 3, first.stdout + first.stderr
        assert "failed 2 (retried by the next run): 14, 12" in first.stdout  # newest first
        assert "collect hn: partial: some items stored, some failed" in first.stdout
        runs, failures, docs = _state(db)
        assert [r[0] for r in runs] == ["partial"] and docs == 10  # what was fetched is kept
        assert [(f[0], f[1]) for f in failures] == [("hn", "12"), ("hn", "14")]
        assert "HTTP 503" in failures[0][2] and "truncated" in failures[1][2]

        hn.clear_faults()
        hn.log.clear()
        second = _collect(db, f"{hn.url}/api/v1", "--query", "qwen")
        assert second.returncode == 0, second.stdout + second.stderr
        assert hn.requests_to("/api/v1/items/") == 2  # only the two that failed: the watermark moved on
    runs, failures, docs = _state(db)
    assert [r[0] for r in runs] == ["partial", "ok"] and failures == [] and docs == 20


def test_a_dump_file_that_failed_is_read_again_with_its_own_filters(con, tmp_path):
    from sentiment.collect import run_source

    dump = tmp_path / "RC.ndjson"  # not there yet (a mount that was down)
    report = run_source(con, "dump", {"paths": [str(dump)], "subreddits": ["LocalLLaMA"], "since": "2026-03-01"}, settings=Settings())
    assert (report.status, report.failed) == ("failed", [str(dump)])
    item = con.execute("SELECT item FROM collect_failures WHERE source = 'dump'").fetchone()[0]
    assert item.startswith("file?path=") and "subreddits=LocalLLaMA" in item and "since=2026-03-01" in item
    dump.write_text("\n".join(json.dumps({
        "id": f"c{i}", "link_id": "t3_p", "parent_id": "t3_p", "author": f"u{i}", "created_utc": 1772535600 + i,
        "body": f"comment number {i}", "subreddit": "LocalLLaMA" if i % 2 else "other"}) for i in range(10)),
        encoding="utf-8")
    other = tmp_path / "other.ndjson"
    other.write_text("", encoding="utf-8")
    again = run_source(con, "dump", {"paths": [str(other)]}, settings=Settings())  # another file, no filters
    assert (again.status, again.new, again.failed) == ("ok", 5, [])  # the retry kept its subreddit filter
    assert con.execute("SELECT count(*) FROM collect_failures").fetchone()[0] == 0
    assert [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()] == ["failed", "ok"]


def test_pages_and_feeds_behind_a_closed_port_fail_and_a_half_failing_site_is_partial(con, fast_backoff):
    """httpx against loopback: a closed port gives a failed run with every URL kept for the next
    run; a site failing half the pages a partial run whose failed pages the next run fetches."""
    from sentiment.collect import run_source
    from tests.fakes.web import FakeNewsSite

    closed = f"http://127.0.0.1:{free_port()}"
    pages = run_source(con, "pages", {"urls": [f"{closed}/a", f"{closed}/b"]}, settings=Settings())
    feeds = run_source(con, "feeds", {"urls": [f"{closed}/feed.xml"]}, settings=Settings())
    assert (pages.status, feeds.status) == ("failed", "failed")
    assert con.execute("SELECT source, item FROM collect_failures ORDER BY source, item").fetchall() == [
        ("feeds", f"{closed}/feed.xml"), ("web", f"{closed}/a"), ("web", f"{closed}/b")]
    con.execute("DELETE FROM collect_failures")

    with FakeNewsSite() as site:
        site.build()
        site.fail("/news/alibaba-reply", "503", times=20)
        urls = [f"{site.url}/news/qwen-lead", f"{site.url}/news/alibaba-reply"]
        half = run_source(con, "pages", {"urls": urls}, settings=Settings())
        assert (half.status, half.failed) == ("partial", [urls[1]]) and half.new == 2  # an article and its quote
        site.clear_faults()
        again = run_source(con, "pages", {"urls": []}, settings=Settings())  # nothing new asked for: the failed page is retried
        assert (again.status, again.failed, again.new) == ("ok", [], 2)  # the reply and its quote
    statuses = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
    assert statuses == ["failed", "failed", "partial", "ok"]
    assert con.execute("SELECT count(*) FROM collect_failures").fetchone()[0] == 0
