"""Hostile bodies from the live sources' fake servers, end to end through ``run_source`` into a
DuckDB file: no exception escapes a run; every item is stored or reported by id with a reason."""

from __future__ import annotations

import json

import pytest

from sentiment.collect import run_source
from sentiment.settings import Settings
from tests.fakes.reddit import FakeComment as C
from tests.fakes.reddit import FakeThread
from tests.fakes.server import FakeServer, Request, Response
from tests.properties.strategies import HUGE

T = 1772535600


class RawSite(FakeServer):
    """Serves fixed bodies by path (the hostile ones under test)."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: dict[str, Response] = {}

    def handle(self, request: Request) -> Response:
        return self.bodies.get(request.path) or Response(404, b"not found", {"Content-Type": "text/plain"})


@pytest.fixture
def raw_site(monkeypatch, fast_backoff):
    monkeypatch.setenv("SENTIMENT_HTTP_TIMEOUT", "2")
    with RawSite() as server:
        monkeypatch.setenv("SENTIMENT_HN_API_URL", f"{server.url}/api/v1")
        yield server


def _json(payload) -> Response:
    return Response(200, json.dumps(payload).encode("utf-8"), {"Content-Type": "application/json"})


def test_hn_hostile_items_are_stored_or_reported_by_id(con, raw_site):
    good = {"id": 1, "type": "story", "title": "Qwen lead exits", "created_at_i": T, "children": [
        {"id": 11, "text": HUGE, "author": "a", "created_at_i": T + 1, "children": [
            {"id": 111, "text": "reply to the long one", "author": "b", "created_at_i": T + 2, "children": []}]},
        {"id": 12, "text": 5, "author": "c", "created_at_i": T + 3, "children": []},            # text not text
        {"id": 13, "text": "time past 9999", "author": "d", "created_at_i": 10**20, "children": []},
        {"id": 14, "text": "bad iso", "author": "e", "created_at": "yesterday", "children": 7},
        {"text": "no id", "children": []},
        "not an object"]}
    raw_site.bodies["/api/v1/search_by_date"] = _json({"hits": [
        {"objectID": "1", "created_at_i": T}, {"objectID": "2", "created_at_i": "soon"}, {"objectID": "3"},
        {"objectID": {"x": 1}}, "junk"], "nbPages": 1})
    raw_site.bodies["/api/v1/items/1"] = _json(good)
    raw_site.bodies["/api/v1/items/2"] = Response(200, json.dumps(good).encode()[:200], {"Content-Type": "application/json"})
    raw_site.bodies["/api/v1/items/3"] = _json({"id": 3, "type": "comment", "children": []})
    report = run_source(con, "hn", {"query": "qwen"}, settings=Settings())
    stored = dict(con.execute("SELECT doc_id, length(text) FROM documents").fetchall())
    assert set(stored) == {"hn:1", "hn:11", "hn:111"} and stored["hn:11"] == len(HUGE.strip())
    assert report.failed == ["2", "3"]  # cut-off body (after its retries) and a non-story root
    assert report.examples["malformed item: text is int, not text"] == ["hn:12"]
    assert report.examples["malformed item: created_at_i is outside 1970..9999"] == ["hn:13"]
    assert report.examples["malformed item: created_at is not an ISO 8601 time"] == ["hn:14"]
    assert report.skipped["malformed item (no id)"] == 2
    run = con.execute("SELECT status, notes FROM runs").fetchone()
    assert run[0] == "partial" and json.loads(run[1])["skipped_ids"]["malformed item: text is int, not text"] == ["hn:12"]


def test_hostile_pages_and_feeds_are_reported_not_raised(con, raw_site):
    base = raw_site.url
    raw_site.bodies["/feed.xml"] = Response(200, (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>ok</title><link>{base}/a</link></item>"
        "<item><title>js</title><link>javascript:alert(1)</link></item>"
        "<item><title>bad port</title><link>https://example.com:99999/x</link></item>"
        "<item><title>no link</title></item>"
        f"<item><title>empty page</title><link>{base}/empty</link></item>"
        f"<item><title>binary</title><link>{base}/bin</link></item>"
        "</channel></rss>").encode(), {"Content-Type": "application/rss+xml"})
    raw_site.bodies["/cut.xml"] = Response(200, b'<?xml version="1.0"?><rss><chan', {"Content-Type": "text/xml"})
    paragraph = "Caf\xe9 owners said the Qwen team lead's exit worried them, a long paragraph of article text. "
    raw_site.bodies["/a"] = Response(200, f"<html><body><article><p>{paragraph * 5}</p></article></body></html>"
                                     .encode("latin-1"), {"Content-Type": "text/html; charset=utf-8"})
    raw_site.bodies["/empty"] = Response(200, b"", {"Content-Type": "text/html"})
    raw_site.bodies["/bin"] = Response(200, bytes(range(256)) * 4, {"Content-Type": "text/html; charset=bogus"})
    report = run_source(con, "feeds", {"urls": [f"{base}/feed.xml", f"{base}/cut.xml"]}, settings=Settings())
    assert report.new == 1 and report.failed == [f"{base}/cut.xml", f"{base}/empty", f"{base}/bin"]
    assert report.skipped["feed entry link is not an http(s) URL"] == 2
    assert report.skipped["feed entry without a link"] == 1
    text = con.execute("SELECT text FROM documents").fetchone()[0]
    assert text.startswith("Café owners")  # latin-1 bytes under a wrong utf-8 label


def test_reddit_live_hostile_comments(con, reddit):
    thread = FakeThread("abc", "LocalLLaMA", "Qwen tech lead steps down", T, comments=[
        C("a", HUGE, "alice", T + 1, [C("a1", "reply \ud800 with a broken escape", "bob", T + 2)]),
        C("b", "from the year 5e12", "carol", 1e20),
        C("c", "\x00\x01 control characters \u202e RTL", "dave", T + 3),
    ])
    reddit.add(thread)
    report = run_source(con, "reddit", {"threads": ["abc"]}, settings=Settings())
    rows = dict(con.execute("SELECT doc_id, text FROM documents").fetchall())
    assert set(rows) == {"reddit:t3_abc", "reddit:t1_a", "reddit:t1_a1", "reddit:t1_c"}
    assert rows["reddit:t1_a1"] == "reply \ufffd with a broken escape" and len(rows["reddit:t1_a"]) > 1_000_000 - 5
    assert report.examples == {"malformed comment: created_utc is outside 1970..9999": ["reddit:t1_b"]}
    assert report.failed == []
