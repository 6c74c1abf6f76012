"""The Algolia HN client against a compatible server: search pages, whole trees, faults, watermark."""

from __future__ import annotations

import pytest

from sentiment.collect import run_source
from sentiment.settings import Settings
from tests.conftest import run_counts
from tests.fakes.hn import FakeHN, Item, Story

T0 = 1772535600


def _story(sid: int, created: int, title: str = "Qwen tech lead Junyang Lin steps down") -> Story:
    base = sid * 100
    return Story(sid, title, created, children=[
        Item(base + 1, "<p>Worried about <i>open weights</i> &amp; the API-only future</p>", "a", created + 1, [
            Item(base + 2, None, None, created + 2, [          # deleted, with a live reply
                Item(base + 3, "Replying anyway<p>second paragraph", "b", created + 3)]),
        ]),
        Item(base + 4, "Good for him, thanks for the models", "c", created + 4),
    ])


@pytest.fixture
def hn(monkeypatch, fast_backoff):
    with FakeHN() as server:
        monkeypatch.setenv("SENTIMENT_HN_API_URL", f"{server.url}/api/v1")
        monkeypatch.setenv("SENTIMENT_HN_HITS_PER_PAGE", "2")
        monkeypatch.setenv("SENTIMENT_HTTP_TIMEOUT", "0.5")
        yield server


def test_search_pages_and_item_trees_with_faults(con, hn):
    for i, sid in enumerate((11, 12, 13)):
        hn.add(_story(sid, T0 + 1000 * i))
    hn.add(_story(99, T0, title="Unrelated: GPU prices"))
    hn.fail("/api/v1/search_by_date", "503")
    hn.fail("/api/v1/items/12", "truncated")
    hn.fail("/api/v1/items/13", "slow")
    hn.fail("/api/v1/items/11", "429-retry-after")
    report = run_source(con, "hn", {"query": "qwen"}, settings=Settings())
    assert report.failed == [] and (report.new, report.fetched) == (15, 15)  # 3 x (story + 4 comments)
    rows = dict(con.execute("SELECT doc_id, parent_id FROM documents").fetchall())
    assert rows["hn:1203"] == "hn:1202" and rows["hn:1202"] == "hn:1201" and rows["hn:1201"] == "hn:12"
    text, deleted = con.execute("SELECT text, deleted FROM documents WHERE doc_id = 'hn:1101'").fetchone()
    assert text == "Worried about open weights & the API-only future" and not deleted
    assert con.execute("SELECT deleted FROM documents WHERE doc_id = 'hn:1102'").fetchone()[0] is True
    assert con.execute("SELECT text FROM documents WHERE doc_id = 'hn:1103'").fetchone()[0] == \
        "Replying anyway\n\nsecond paragraph"
    assert hn.requests_to("/api/v1/search_by_date") == 3  # one 503 retried, then two pages

    hn.log.clear()
    again = run_source(con, "hn", {"query": "Qwen"}, settings=Settings())
    assert (again.fetched, again.new) == (0, 0) and hn.requests_to("/api/v1/items/") == 0
    hn.add(_story(14, T0 + 5000))
    third = run_source(con, "hn", {"query": "qwen"}, settings=Settings())
    assert (third.new, third.fetched) == (5, 5)


def test_a_story_that_keeps_failing_is_retried_next_run(con, hn):
    hn.add(_story(11, T0))
    hn.fail("/api/v1/items/11", "503", times=50)
    report = run_source(con, "hn", {"query": "qwen"}, settings=Settings())
    assert report.failed == ["11"] and report.new == 0
    assert any("HTTP 503" in reason for reason in report.skipped)
    hn.clear_faults()
    again = run_source(con, "hn", {"query": "qwen"}, settings=Settings())
    assert again.failed == [] and again.new == 5


def test_run_counts_add_up_with_a_failed_story(con, hn):
    """A story that cannot be fetched is read and skipped, and its documents are new on the next
    run: every item lands in one count."""
    hn.add(_story(11, T0))
    hn.add(_story(12, T0 + 1000))
    hn.fail("/api/v1/items/11", "503", times=50)
    run_source(con, "hn", {"query": "qwen"}, settings=Settings())
    hn.clear_faults()
    run_source(con, "hn", {"query": "qwen"}, settings=Settings())  # 11 from the failures, the search past the watermark
    hn.add(_story(13, T0 + 2000))
    run_source(con, "hn", {"query": "qwen"}, settings=Settings())  # only the story newer than the watermark
    assert run_counts(con, "collect:hn") == [(6, 5, 0, 0, 1), (5, 5, 0, 0, 0), (5, 5, 0, 0, 0)]
