"""praw against a Reddit-compatible server: whole forests, faults, watermarks, edits, failures."""

from __future__ import annotations

import json

import pytest

from sentiment.collect import run_source
from sentiment.sources.reddit_live import RedditConfigError
from sentiment.settings import Settings
from tests.conftest import run_counts
from tests.fakes.reddit import FakeComment as C
from tests.fakes.reddit import FakeThread, walk

BASE = 1772535600.0


def _forest(prefix: str) -> list[C]:
    """12 comments: deleted and removed ones with live replies, a chain deep enough for a
    'continue this thread' stub (depth >= 3), and top-level comments past the third behind 'more'."""
    return [
        C(f"{prefix}a", "Worried the open weights stop here.", "alice", BASE + 1, [
            C(f"{prefix}a1", "Same &amp; I think the API-only rumour is real", "bob", BASE + 2),
            C(f"{prefix}a2", "[deleted]", "carol", BASE + 3, [
                C(f"{prefix}a2x", "Replying to a deleted comment", "dave", BASE + 4, [
                    C(f"{prefix}a2xy", "Deep reply behind 'continue this thread'", "erin", BASE + 5, [
                        C(f"{prefix}a2xyz", "Even deeper, still stored", "frank", BASE + 6)]),
                ]),
            ]),
        ]),
        C(f"{prefix}b", "[removed]", "mallory", BASE + 7),
        C(f"{prefix}c", "Thanks to the team for years of releases", "alice", BASE + 8),
        C(f"{prefix}d", "Hidden behind a more stub", "grace", BASE + 9, [
            C(f"{prefix}d1", "A reply inside the more batch", "heidi", BASE + 10)]),
        C(f"{prefix}e", "Another hidden top-level comment", "ivan", BASE + 11),
        C(f"{prefix}f", "Third hidden one, with ’curly’ quotes", "judy", BASE + 12),
    ]


def _thread(pid: str, created: float, title: str = "Qwen tech lead steps down", sub: str = "LocalLLaMA"):
    return FakeThread(pid, sub, title, created, selftext="What now for open weights?", comments=_forest(pid))


def _expected(*threads: FakeThread) -> dict[str, str | None]:
    """doc_id -> parent doc_id for every post and comment of the fake threads."""
    out: dict[str, str | None] = {}
    for t in threads:
        out[f"reddit:t3_{t.id}"] = None
        for c, parent in walk(t.comments):
            out[f"reddit:t1_{c.id}"] = f"reddit:t1_{parent.id}" if parent else f"reddit:t3_{t.id}"
    return out


def _stored(con) -> dict[str, str | None]:
    return dict(con.execute("SELECT doc_id, parent_id FROM documents WHERE source = 'reddit'").fetchall())


def test_listing_collects_whole_forests_once_and_rerun_fetches_only_new(con, reddit):
    t1, t2 = _thread("abc", BASE), _thread("def", BASE + 100)
    reddit.add(t1)
    reddit.add(t2)
    reddit.add(_thread("zzz", BASE + 50, title="Unrelated GPU prices"))
    report = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "qwen"}, settings=Settings())
    expected = _expected(t1, t2)
    assert len(expected) == 26  # 2 posts + 2 x 12 comments
    assert report.failed == [] and report.new == 26 and report.fetched == 26
    assert _stored(con) == expected  # every comment once, parent links intact, nothing from zzz
    # 'more' and 'continue this thread' were expanded through the real endpoints
    assert reddit.requests_to("/api/morechildren/", "POST") == 2
    assert reddit.requests_to("/comments/abc/_/abca2x") == 1
    deleted = con.execute("SELECT doc_id, text, author_hash FROM documents WHERE deleted ORDER BY doc_id").fetchall()
    assert deleted == [("reddit:t1_abca2", "[deleted]", None), ("reddit:t1_abcb", "[removed]", None),
                       ("reddit:t1_defa2", "[deleted]", None), ("reddit:t1_defb", "[removed]", None)]
    authors = [r[0] for r in con.execute(
        "SELECT DISTINCT author_hash FROM documents WHERE author_hash IS NOT NULL").fetchall()]
    assert len(authors) == 10 and all(len(a) == 20 and a not in ("alice", "bob") for a in authors)
    text = con.execute("SELECT text FROM documents WHERE doc_id = 'reddit:t1_abca1'").fetchone()[0]
    assert text == "Same & I think the API-only rumour is real"

    from sentiment.classify import load_classifier
    from sentiment.classify.run import classify_pending

    classify_pending(con, load_classifier("baseline"), batch_size=64)
    unclassified = con.execute(
        "SELECT count(*) FROM documents d ANTI JOIN stances s USING (doc_id) WHERE d.source = 'reddit'").fetchone()[0]
    assert unclassified == 4  # only the deleted/removed placeholders

    reddit.log.clear()
    again = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "qwen"}, settings=Settings())
    assert (again.fetched, again.new, again.failed) == (0, 0, [])
    assert reddit.requests_to("/comments/") == 0  # the watermark stopped the listing
    t3 = _thread("ghi", BASE + 200)
    reddit.add(t3)
    third = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "qwen"}, settings=Settings())
    assert (third.new, third.fetched) == (13, 13)
    assert _stored(con) == _expected(t1, t2, t3)
    runs = con.execute("SELECT step, status, n_new FROM runs WHERE step LIKE 'collect:%' ORDER BY started_at").fetchall()
    assert runs == [("collect:reddit", "ok", 26), ("collect:reddit", "ok", 0), ("collect:reddit", "ok", 13)]


def test_refetching_a_thread_updates_edited_comments(con, reddit):
    t = _thread("abc", BASE)
    reddit.add(t)
    url = "https://www.reddit.com/r/LocalLLaMA/comments/abc/qwen_tech_lead_steps_down/"
    assert run_source(con, "reddit", {"threads": [url]}, settings=Settings()).new == 13
    t.comments[2].body = "Edited: thanks, but I am worried now"
    t.comments[2].edited = BASE + 500
    t.comments[0].replies[0].body = "[deleted]"
    report = run_source(con, "reddit", {"threads": ["abc"]}, settings=Settings())
    assert (report.new, report.updated, report.unchanged) == (0, 2, 11)
    assert _stored(con) == _expected(t)
    rows = dict(con.execute("SELECT doc_id, text FROM documents WHERE doc_id IN "
                            "('reddit:t1_abcc', 'reddit:t1_abca1')").fetchall())
    assert rows == {"reddit:t1_abcc": "Edited: thanks, but I am worried now", "reddit:t1_abca1": "[deleted]"}


def test_rate_limits_server_errors_and_broken_bodies_lose_nothing(con, reddit):
    t1, t2 = _thread("abc", BASE), _thread("def", BASE + 100)
    reddit.add(t1)
    reddit.add(t2)
    reddit.fail("/r/LocalLLaMA/search", "429")            # listing: 429 without Retry-After
    reddit.fail("/comments/def", "truncated")              # a cut-off JSON body
    reddit.fail("/api/morechildren/", "429")               # in the middle of replace_more
    reddit.fail("/comments/abc/_/", "429-retry-after")     # continue-this-thread, with Retry-After: 0
    reddit.fail("/comments/abc", "503")                    # prawcore retries 5xx itself
    report = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "qwen"}, settings=Settings())
    assert report.failed == [] and report.new == 26
    assert _stored(con) == _expected(t1, t2)
    status, notes = con.execute("SELECT status, notes FROM runs").fetchone()
    assert status == "ok" and json.loads(notes)["skipped"] == {}


def test_a_slow_response_past_the_timeout_is_retried(con, reddit, monkeypatch):
    monkeypatch.setenv("SENTIMENT_REDDIT_SITE", "sentiment-test-short-timeout")
    t = _thread("abc", BASE)
    reddit.add(t)
    reddit.fail("/comments/abc/", "slow")
    report = run_source(con, "reddit", {"threads": ["abc"]}, settings=Settings())
    assert report.failed == [] and report.new == 13
    assert reddit.requests_to("/comments/abc/") >= 2


def test_a_thread_that_keeps_failing_is_reported_and_retried_next_run(con, reddit):
    t1, t2 = _thread("abc", BASE), _thread("def", BASE + 100)
    reddit.add(t1)
    reddit.add(t2)
    reddit.fail("/comments/def", "429", times=100)
    report = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "qwen"}, settings=Settings())
    assert report.failed == ["def"] and report.new == 13
    assert any(r.startswith("thread not fetched: rate limited (429)") for r in report.skipped)
    assert con.execute("SELECT item, attempts FROM collect_failures").fetchall() == [("def", 1)]
    notes = json.loads(con.execute("SELECT notes FROM runs").fetchone()[0])
    assert notes["failed"] == ["def"]
    reddit.clear_faults()
    again = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "qwen"}, settings=Settings())
    assert again.failed == [] and again.new == 13
    assert _stored(con) == _expected(t1, t2)
    assert con.execute("SELECT count(*) FROM collect_failures").fetchone()[0] == 0


def test_an_unknown_praw_site_is_a_clear_error_and_a_failed_run(con, reddit, monkeypatch):
    monkeypatch.setenv("SENTIMENT_REDDIT_SITE", "no-such-site")
    with pytest.raises(RedditConfigError, match="no-such-site"):
        run_source(con, "reddit", {"subreddit": "LocalLLaMA"}, settings=Settings())
    assert con.execute("SELECT step, status FROM runs").fetchall() == [("collect:reddit", "failed")]


def test_a_dump_backfill_and_the_live_client_share_doc_ids(con, reddit, tmp_path):
    t = _thread("abc", BASE)
    reddit.add(t)
    lines = [json.dumps({"id": c.id, "link_id": "t3_abc", "parent_id": f"t1_{p.id}" if p else "t3_abc",
                         "author": c.author, "body": c.body, "created_utc": c.created, "subreddit": "LocalLLaMA",
                         "permalink": f"/r/LocalLLaMA/comments/abc/slug/{c.id}/"})
             for c, p in walk(t.comments) if c.body not in ("[deleted]", "[removed]")]
    dump = tmp_path / "RC.ndjson"
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_source(con, "dump", {"paths": [str(dump)]}, settings=Settings()).new == 10
    live = run_source(con, "reddit", {"threads": ["abc"]}, settings=Settings())
    assert (live.new, live.updated, live.unchanged) == (3, 0, 10)  # the post and the two placeholders
    assert _stored(con) == _expected(t)


def test_new_listing_with_since_and_limit(con, reddit):
    day = 86400
    threads = [_thread(pid, BASE + i * day, title=f"Thread {pid}") for i, pid in enumerate(("aaa", "bbb", "ccc"))]
    for t in threads:
        reddit.add(t)
    report = run_source(con, "reddit", {"subreddit": "localllama", "limit": 1}, settings=Settings())
    assert report.new == 13 and reddit.requests_to("/r/localllama/new") == 1  # only the newest, ccc
    assert _stored(con) == _expected(threads[2])
    # the watermark is per (subreddit, query): a search scope starts from scratch, bounded by --since
    from datetime import datetime, timezone

    since = datetime.fromtimestamp(BASE + day, tz=timezone.utc).date().isoformat()
    report = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "thread", "since": since}, settings=Settings())
    assert (report.new, report.unchanged) == (13, 13)  # bbb new, ccc re-read; aaa is before --since
    assert _stored(con) == _expected(*threads[1:])
    watermarks = con.execute("SELECT scope FROM collect_watermarks ORDER BY scope").fetchall()
    assert watermarks == [("r/localllama?q=",), ("r/localllama?q=thread",)]


def test_run_counts_add_up_with_a_failed_thread_and_a_watermark(con, reddit):
    """A thread that cannot be fetched and the listing item the watermark stops at are read and
    skipped; the documents are new, then unchanged: every item lands in one count."""
    reddit.add(_thread("abc", BASE))
    reddit.add(_thread("def", BASE + 100))
    reddit.fail("/comments/def", "429", times=100)
    run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "qwen"}, settings=Settings())
    reddit.clear_faults()
    run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "qwen"}, settings=Settings())  # def from the failures
    run_source(con, "reddit", {"threads": ["abc", "def"]}, settings=Settings())
    assert run_counts(con, "collect:reddit") == [
        (14, 13, 0, 0, 1),   # abc's 13 documents new, def not fetched
        (14, 13, 0, 0, 1),   # def's 13 new; the listing stopped at the watermark
        (26, 0, 0, 26, 0),   # both threads again, nothing changed
    ]
