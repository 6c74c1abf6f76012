"""Articles as their pages say: stated dates with their time and zone, the feed's date first,
undated left undated, one extraction for ingest and collect, only articles stored, no refetch."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from sentiment.collect import run_source
from sentiment.collect.files import ingest_paths
from sentiment.sources.page import decode_html, extract_page, guessed_date, parse_stated
from sentiment.settings import Settings
from tests.conftest import AUTHOR_KEY
from tests.fakes.server import FakeServer, Request, Response

BODY = ("<p>The maintainers of the parser library said on Monday that the next major version will drop "
        "support for the old configuration format, after a long discussion with downstream users.</p>"
        "<p>Several distributions said they would keep shipping the old version for a while, and asked "
        "for a longer transition period before the old format stops working.</p>"
        "<p>The project's lead wrote that the change removes thousands of lines of compatibility code "
        "and that a conversion tool will be published together with the release candidate.</p>")


def page(title: str, head: str = "", body: str = BODY, lang: str = "en") -> str:
    return (f'<!DOCTYPE html><html lang="{lang}"><head><title>{title} | Example News</title>{head}</head><body>'
            "<nav><a href='/'>Home</a> | <a href='/tech'>Tech</a> | Impressum</nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>Impressum · Datenschutz</footer></body></html>")


@pytest.mark.parametrize("head, expected", [
    ('<meta property="article:published_time" content="2020-01-19T12:25:36Z">', datetime(2020, 1, 19, 12, 25, 36)),
    ('<meta property="article:published_time" content="2020-01-20T10:00:08+08:00">', datetime(2020, 1, 20, 2, 0, 8)),
    ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"},'
     ' {"@type": "NewsArticle", "datePublished": "2019-06-17T18:28:00+0200"}]}</script>', datetime(2019, 6, 17, 16, 28)),
    ('<meta name="dc.date.issued" content="2019-09-24">', datetime(2019, 9, 24, 12, 0)),
    ('<meta name="parsely-pub-date" content="2012-08-09T17:00:00Z">', datetime(2012, 8, 9, 17, 0)),
    ('<meta name="date" content="2019-06-20T07:30:00">', datetime(2019, 6, 20, 7, 30)),  # no zone: UTC
])
def test_the_date_a_page_states_is_stored_with_its_time_in_utc(head, expected):
    assert extract_page(page("Parser drops old format", head)).published == expected


def test_the_article_meta_wins_over_a_time_element_and_a_later_date_meta():
    head = ('<meta property="article:published_time" content="2020-01-03T09:48:24Z">'
            '<meta name="date" content="2020-01-06T09:22:36Z">')
    body = BODY + '<p>Updated <time datetime="2020-01-07T10:00:00Z">Jan 7</time></p>'
    found = extract_page(page("Goats", head, body))
    assert (found.published, found.date_source) == (datetime(2020, 1, 3, 9, 48, 24), "meta")


def test_time_elements_and_loose_formats():
    body = BODY + '<p>By A. Writer, <time datetime="2014-11-05T14:25:40+00:00">5. November 2014</time></p>'
    assert extract_page(page("Oil", body=body)).published == datetime(2014, 11, 5, 14, 25, 40)
    assert parse_stated("Tue Jan 28 15:28:56 CET 2020") == datetime(2020, 1, 28, 14, 28, 56)
    assert parse_stated("19.03.2019 11:45") == datetime(2019, 3, 19, 11, 45)
    assert parse_stated("1558442573000") == datetime(2019, 5, 21, 12, 42, 53)
    assert parse_stated("January 16, 2020") == datetime(2020, 1, 16, 12, 0)
    for vague in ("2019-06", "June 2019", "yesterday", "", "0000-00-00", "2999-01-01T00:00:00Z"):
        assert parse_stated(vague) is None, vague


def test_a_page_stating_no_date_is_undated_or_guessed_and_marked():
    found = extract_page(page("No date here"))
    assert (found.published, found.date_source) == (None, "none")
    guessed = extract_page(page("Byline", body="<p>Posted on 2016-10-08 by admin</p>" + BODY))
    assert (guessed.published, guessed.date_source) == (datetime(2016, 10, 8, 12, 0), "text")
    assert guessed_date("nothing", "https://example.com/blog/2012/05/31/post/") == datetime(2012, 5, 31, 12, 0)
    assert guessed_date("Copyright 2018. All rights reserved.") is None  # a year is not a day


def test_title_without_site_suffix_language_and_clean_text():
    found = extract_page(page("Parser drops old format", lang="de-DE"))
    assert found.title == "Parser drops old format" and found.language == "de"
    assert "Impressum" not in found.text and "drop support for the old configuration" in found.text


def test_one_charset_rule_for_every_path():
    text = "Die Trägerrakete hat es wegen unbekannter Probleme nicht geschafft, sagte Müller. Größer!"
    assert decode_html(text.encode("iso-8859-1")) == text                       # no label: sniffed
    assert decode_html(b"\xef\xbb\xbf" + text.encode("utf-8"), "iso-8859-1") == text  # BOM wins
    assert decode_html(text.encode("utf-8"), "iso-8859-1") == text              # label wrong, bytes UTF-8
    russian = "Привет, как дела? Это тест кодировки для страницы новостей, без метки."
    assert decode_html(russian.encode("cp1251")) == russian
    assert decode_html(russian.encode("koi8-r"), "koi8-r") == russian


# --- end to end: a loopback site, collect and ingest ------------------------------------------
class Site(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, Response] = {}

    def html(self, path: str, body: bytes, content_type: str = "text/html") -> None:
        self.pages[path] = Response(200, body, {"Content-Type": content_type})

    def handle(self, request: Request) -> Response:
        return self.pages.get(request.path) or Response(404, b"not found", {"Content-Type": "text/plain"})


@pytest.fixture
def site(monkeypatch, fast_backoff):
    monkeypatch.setenv("SENTIMENT_HTTP_TIMEOUT", "2")
    with Site() as server:
        yield server


DATED = '<meta property="article:published_time" content="2018-10-28T13:48:00+01:00">'


def _rss(site: Site, items: list[tuple[str, str | None]]) -> bytes:
    body = "".join(f"<item><title>t{n}</title><link>{site.url}{path}</link>"
                   + (f"<pubDate>{date}</pubDate>" if date else "") + "</item>"
                   for n, (path, date) in enumerate(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f</title>'
            f"{body}</channel></rss>").encode("utf-8")


def test_the_feed_date_wins_undated_entries_stay_undated_and_no_link_is_fetched_twice(con, site):
    site.html("/a", page("First", body="<p>Posted 2020-01-01.</p>" + BODY).encode())
    site.html("/b", page("Second", head=DATED, body=BODY.replace("Monday", "Tuesday")).encode())
    site.html("/c", page("Third", body=BODY.replace("Monday", "Friday")).encode())
    # the page declares another address: the feed link must still not be fetched again
    site.html("/d", page("Fourth", head=f'<link rel="canonical" href="{site.url}/story/4">',
                         body=BODY.replace("Monday", "Sunday")).encode())
    site.html("/feed", _rss(site, [("/a?utm_source=rss", "Sun, 28 Oct 2018 11:10:00 +0100"),
                                   ("/b", "Sun, 28 Oct 2018 11:10:00 +0100"), ("/c", None), ("/d", None)]),
              "application/rss+xml")
    report = run_source(con, "feeds", {"urls": [f"{site.url}/feed"]}, settings=Settings())
    assert report.failed == []
    rows = dict((r[0].rsplit("/", 1)[1], r[1:]) for r in con.execute(
        "SELECT url, created_at, date_source FROM documents WHERE kind = 'article'").fetchall())
    assert rows["a"] == (datetime(2018, 10, 28, 10, 10), "feed")   # not the text's 2020-01-01
    assert rows["b"] == (datetime(2018, 10, 28, 10, 10), "feed")   # the feed's own date, to the second
    assert rows["c"] == (None, "none")
    assert rows["4"] == (None, "none")
    site.log.clear()
    again = run_source(con, "feeds", {"urls": [f"{site.url}/feed"]}, settings=Settings())
    assert again.skipped["article already stored"] == 4
    assert [p for _, p in site.log] == ["/feed"]  # /d is known as an alias of /story/4
    assert con.execute("SELECT url FROM document_aliases").fetchall() == [(f"{site.url}/d",)]


def test_only_articles_are_stored(con, site, monkeypatch):
    monkeypatch.setenv("SENTIMENT_PAGE_MAX_BYTES", "20000")
    site.html("/json", json.dumps({"error": "not html"}).encode(), "application/json")
    site.html("/paper.pdf", b"%PDF-1.4 ...", "application/pdf")
    site.html("/big", page("Big", body=BODY * 40).encode(), "text/html; charset=utf-8")
    report = run_source(con, "pages", {"urls": [f"{site.url}/json", f"{site.url}/paper.pdf", f"{site.url}/big"]}, settings=Settings())
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert report.skipped["not an HTML page (application/json)"] == 1
    assert report.skipped["not an HTML page (application/pdf)"] == 1
    size = len(site.pages["/big"].body)
    assert report.skipped[f"page too large ({size:,} bytes; the limit is 20,000)"] == 1
    assert report.failed == [] and con.execute("SELECT count(*) FROM collect_failures").fetchone()[0] == 0


def test_another_hosts_page_does_not_replace_the_article_at_its_canonical_url(con, site):
    home = f"{site.url}/news/original"
    site.html("/news/original", page("Original", head=f'<link rel="canonical" href="{home}">').encode())
    run_source(con, "pages", {"urls": [home]}, settings=Settings())
    stored = con.execute("SELECT doc_id, text FROM documents WHERE kind = 'article'").fetchall()
    # the same server reached by another host name, serving other text under the same canonical URL
    other = site.url.replace("127.0.0.1", "localhost")
    site.html("/mirror", page("Mirror", head=f'<link rel="canonical" href="{home}">',
                              body="<p>Entirely different text " + "padding words " * 40 + "</p>").encode())
    report = run_source(con, "pages", {"urls": [f"{other}/mirror"]}, settings=Settings())
    assert report.skipped["page claims another host's canonical URL, stored there with other text"] == 1
    assert con.execute("SELECT doc_id, text FROM documents WHERE kind = 'article'").fetchall() == stored
    # the original host changing its own text is an update
    site.html("/news/original", page("Original", head=f'<link rel="canonical" href="{home}">',
                                     body=BODY.replace("Monday", "Thursday")).encode())
    assert run_source(con, "pages", {"urls": [home]}, settings=Settings()).updated == 1


def test_ingest_and_collect_store_the_same_article_from_the_same_bytes(con, site, tmp_path, db_path):
    from sentiment.store import connect

    raw = page("Zeitung", head=DATED, body=BODY.replace("Monday", "Montag äöü"), lang="de").encode("iso-8859-1")
    site.html("/zeitung", raw)  # no charset anywhere: header, meta and BOM all absent
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "zeitung.html").write_bytes(raw)
    run_source(con, "pages", {"urls": [f"{site.url}/zeitung"]}, settings=Settings())
    query = ("SELECT title, text, created_at, date_source, language FROM documents "
             "WHERE kind = 'article'")
    collected = con.execute(query).fetchall()
    with connect(tmp_path / "ingest.duckdb") as other:
        ingest_paths(other, [tmp_path / "files"], author_key=AUTHOR_KEY)
        ingested = other.execute(query).fetchall()
    assert ingested == collected and len(collected) == 1
    title, text, created, source, language = collected[0]
    assert (title, created, source, language) == ("Zeitung", datetime(2018, 10, 28, 12, 48), "meta", "de")
    assert "Montag äöü" in text and "\ufffd" not in text and "Impressum" not in text


def test_a_bad_field_in_articles_yaml_skips_that_field_only(con, tmp_path):
    folder = tmp_path / "arts"
    folder.mkdir()
    (folder / "one.txt").write_text("Headline one\n\nThe body of the first article, long enough.", encoding="utf-8")
    (folder / "two.txt").write_text("Headline two\n\nThe body of the second article, long enough.", encoding="utf-8")
    (folder / "articles.yaml").write_text(
        "articles:\n  one.txt:\n    title: Given title\n    published: last tuesday\n"
        "  two.txt:\n    title: Second\n    published: 2026-03-04T10:30:00+01:00\n", encoding="utf-8")
    report = ingest_paths(con, [folder], author_key=AUTHOR_KEY)
    assert report.failed_files == {}
    rows = dict((r[0], r[1:]) for r in con.execute(
        "SELECT external_id, title, created_at, date_source FROM documents").fetchall())
    assert rows["one"] == ("Given title", None, "none")
    assert rows["two"] == ("Second", datetime(2026, 3, 4, 9, 30), "meta")
    reason = "articles.yaml: field 'published' skipped (publication date 'last tuesday' is not ISO 8601 (YYYY-MM-DD))"
    assert report.skipped[reason] == 1 and report.examples[reason] == ["one"]


def test_extraction_in_worker_processes_stores_what_one_process_stores(site, tmp_path, monkeypatch):
    from sentiment.store import connect

    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "today", "again")
    urls = []
    for n, day in enumerate(days):
        site.html(f"/p{n}", page(f"Story {n}", head=DATED if n % 2 else "", body=BODY.replace("Monday", day)).encode())
        urls.append(f"{site.url}/p{n}")
    site.html("/copy", site.pages["/p1"].body)  # a syndicated copy of /p1 at another address
    site.html("/empty", b"<html><body></body></html>")
    site.html("/doc.pdf", b"%PDF-1.4", "application/pdf")
    urls += [f"{site.url}/copy", f"{site.url}/missing", f"{site.url}/empty", f"{site.url}/doc.pdf", "ftp://x/y"]
    stored = {}
    for workers in ("0", "2"):
        monkeypatch.setenv("SENTIMENT_PAGE_WORKERS", workers)
        with connect(tmp_path / f"w{workers}.duckdb") as con:
            report = run_source(con, "pages", {"urls": urls}, settings=Settings())
            stored[workers] = (
                con.execute("SELECT doc_id, title, text, created_at, date_source FROM documents ORDER BY doc_id").fetchall(),
                con.execute("SELECT item, reason, permanent FROM collect_failures ORDER BY item").fetchall(),
                con.execute("SELECT url, doc_id FROM document_aliases ORDER BY url").fetchall(),
                sorted(report.skipped.items()), report.new, report.failed)
    assert stored["0"] == stored["2"]
    documents, failures, aliases, skipped, new, failed = stored["2"]
    assert new == len(days) and len(documents) == len(days)
    assert sorted((item.rsplit("/", 1)[-1], permanent) for item, _, permanent in failures) == [
        ("empty", True), ("missing", True), ("y", True)]
    assert ("same article text already stored at another URL", 1) in skipped
    assert ("not an HTML page (application/pdf)", 1) in skipped
