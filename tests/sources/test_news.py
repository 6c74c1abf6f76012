"""Feeds and pages against a loopback news site: wrong charsets, broken HTML, canonical URLs,
content-hash dedupe, quotes, failures retried next run."""

from __future__ import annotations

import pytest

from sentiment.collect import run_source
from sentiment.sources.news import canonical_url, decode_page
from sentiment.settings import Settings
from tests.conftest import run_counts
from tests.fakes.web import FakeNewsSite


@pytest.fixture
def site(monkeypatch, fast_backoff):
    monkeypatch.setenv("SENTIMENT_HTTP_TIMEOUT", "0.5")
    with FakeNewsSite() as server:
        server.build()
        yield server


def test_canonical_url_and_charset_decoding():
    assert canonical_url("HTTPS://Example.COM:443/a/b/?utm_source=x&b=2&a=1#frag") == "https://example.com/a/b?a=1&b=2"
    assert canonical_url("http://example.com") == "http://example.com/"
    text = "Alibaba\u2019s reply"
    assert decode_page(text.encode("utf-8"), "iso-8859-1") == text          # label wrong, bytes UTF-8
    assert decode_page(text.encode("cp1252"), None) == text                 # no label, cp1252 bytes
    assert decode_page('<meta charset="koi8-r">Привет'.encode("koi8-r"), None).endswith("Привет")


def test_feeds_collect_articles_quotes_and_dedupe(con, site):
    site.fail("/news/alibaba-reply", "503")
    report = run_source(con, "feeds", {"urls": [f"{site.url}/feed.xml", f"{site.url}/atom.xml",
                                                f"{site.url}/not-a-feed"]}, settings=Settings())
    assert report.failed == [f"{site.url}/not-a-feed", f"{site.url}/news/missing"]
    assert report.skipped["page not fetched: HTTP 404"] == 1
    assert report.skipped["feed not read: not an RSS/Atom feed"] == 1
    assert report.skipped["same article text already stored at another URL"] == 1  # the syndicated copy
    rows = con.execute("SELECT kind, url, title, text, created_at FROM documents ORDER BY kind, url").fetchall()
    articles = [r for r in rows if r[0] == "article"]
    quotes = [r for r in rows if r[0] == "quote"]
    assert [a[1] for a in articles] == [f"{site.url}/news/alibaba-reply", f"{site.url}/news/qwen-lead"]
    assert report.new == 4 and len(quotes) == 2
    assert {q[3] for q in quotes} == {"If the next release is API-only, a lot of local projects are finished.",
                                      "I will believe it when the weights are on the hub."}
    reply = next(a for a in articles if a[1].endswith("alibaba-reply"))
    assert "Alibaba's cloud unit replied" in reply[3] and "Ã" not in reply[3] and "Home" not in reply[3]
    lead = next(a for a in articles if a[1].endswith("qwen-lead"))
    assert lead[2] == "Qwen tech lead steps down" and "â€" not in lead[3]
    assert lead[4].date().isoformat() == "2026-03-03"

    site.log.clear()
    again = run_source(con, "feeds", {"urls": [f"{site.url}/feed.xml"]}, settings=Settings())
    assert again.new == 0 and again.skipped["article already stored"] == 2
    assert site.requests_to("/news/qwen-lead") == 0 and site.requests_to("/news/missing") == 1  # retried
    assert site.requests_to("/not-a-feed") == 1  # the feed that failed is read again too
    assert again.failed == [f"{site.url}/not-a-feed", f"{site.url}/news/missing"]


def test_pages_by_url_use_the_canonical_address(con, site):
    urls = [f"{site.url}/news/qwen-lead?utm_campaign=x", f"{site.url}/news/qwen-lead/#comments"]
    report = run_source(con, "pages", {"urls": urls}, settings=Settings())
    assert (report.new, report.failed) == (2, [])  # the article and its quote, once
    assert report.skipped["same canonical URL already collected in this run"] == 1
    assert con.execute("SELECT DISTINCT url FROM documents").fetchall() == [(f"{site.url}/news/qwen-lead",)]
    assert run_source(con, "pages", {"urls": urls[:1]}, settings=Settings()).unchanged == 2


def test_run_counts_add_up_for_feeds_and_pages(con, site):
    """Feed entries and pages that fail, repeat or were stored before are read and skipped beside
    the documents: every item lands in one count, first run and re-run."""
    site.fail("/news/alibaba-reply", "503")
    feeds = [f"{site.url}/feed.xml", f"{site.url}/atom.xml", f"{site.url}/not-a-feed"]
    run_source(con, "feeds", {"urls": feeds}, settings=Settings())
    run_source(con, "feeds", {"urls": feeds}, settings=Settings())
    urls = [f"{site.url}/news/qwen-lead?utm_campaign=x", f"{site.url}/news/qwen-lead/#comments", f"{site.url}/nope"]
    run_source(con, "pages", {"urls": urls}, settings=Settings())
    run_source(con, "pages", {"urls": urls}, settings=Settings())
    # feeds: 2 articles and their 2 quotes new; the non-feed, the 404 and the syndicated copy
    # skipped; then the 2 stored articles skipped unfetched beside the same three
    assert run_counts(con, "collect:feeds") == [(7, 4, 0, 0, 3), (5, 0, 0, 0, 5)]
    # pages: the article and its quote stored by the feeds run are updated once (the same date, now
    # read from the page's own metadata: date_source 'feed' -> 'meta'), then unchanged; the repeated
    # canonical URL skipped and /nope failing, both runs alike; the 404 the feeds run left is the
    # feeds' to retry, never fetched by collect pages
    assert run_counts(con, "collect:pages") == [(4, 0, 2, 0, 2), (4, 0, 0, 2, 2)]
