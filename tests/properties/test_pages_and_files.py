"""Text, pages, feeds and local files, hostile: never an exception out of a parser or a run;
every file is stored or reported with its reason; stored text is the normaliser's output."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentiment.collect.files import ingest_paths
from sentiment.sources.files import parse_file
from sentiment.sources import ParseError
from sentiment.sources.news import decode_page, feed_entries, parse_page
from sentiment.store import connect
from sentiment.text import html_to_text, normalize
from tests.conftest import AUTHOR_KEY
from tests.properties.strategies import HUGE, any_char, encodings, odd, text

html_bits = st.sampled_from(["<p>", "</p>", "<br>", "<script>", "</script>", "<style>x{}</style>", "<div", "&amp;",
                             "&#x0;", "&#xD800;", "&nbsp;", "<![CDATA[", "<!--", "<title>T</title>", "<article>",
                             '<meta charset="koi8-r">', "<html><body>", "\x00"])
html = st.lists(st.one_of(html_bits, text), max_size=12).map("".join)


@given(st.text(any_char, max_size=200))
def test_normalize_and_html_to_text_return_storable_text(raw):
    for out in (normalize(raw), html_to_text(raw)):
        out.encode("utf-8")  # no lone surrogates left
        assert "\r" not in out and out == out.strip()


@given(content=st.binary(max_size=300) | html.map(lambda h: h.encode("utf-8", "surrogatepass")),
       declared=st.one_of(st.none(), st.sampled_from(["utf-8", "latin-1", "koi8-r", "rot13", "hex", "bogus", "", "utf-16"])))
def test_decode_page_reads_any_bytes_under_any_label(content, declared):
    assert isinstance(decode_page(content, declared), str)


@given(page=html, url=st.sampled_from(["https://example.com/a", "http://[::1/x", "https://example.com:99999/"]))
def test_parse_page_returns_an_article_or_a_parse_error(page, url):
    try:
        parsed, canonical = parse_page(page, "https://example.com/a")
    except ParseError:
        return
    article = parsed.documents[0]
    assert article.kind == "article" and article.text and canonical.startswith("https://example.com")


feed_item = st.fixed_dictionaries({"title": text, "link": st.one_of(
    st.just("https://example.com/n/1"), st.just("javascript:alert(1)"), st.just("http://[::1"),
    st.just("https://example.com:99999/"), st.just(""), st.just("/relative"), text)},
    optional={"pubDate": st.sampled_from(["Tue, 03 Mar 2026 09:00:00 GMT", "yesterday", "Mon, 31 Feb 0000 99:99:99"])})


def _rss(items: list[dict]) -> str:
    from xml.sax.saxutils import escape

    body = "".join("<item>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in item.items()) + "</item>"
                   for item in items)
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'


@given(items=st.lists(feed_item, max_size=5), cut=st.booleans(), junk=st.binary(max_size=50))
def test_feed_entries_are_links_to_fetch_or_skipped_with_a_reason(items, cut, junk):
    content = _rss(items).encode("utf-8", "replace")
    if cut:
        content = content[: len(content) // 2] + junk
    try:
        found, skipped = feed_entries(content)
    except ParseError:
        return  # no entries at all: the feed is reported as not read
    for link, meta in found:
        assert link.startswith(("http://", "https://")) and (meta.title is None or isinstance(meta.title, str))
    for reason in skipped.skipped:
        assert skipped.examples[reason]


# --- local files, end to end into DuckDB -------------------------------------------------------
reddit_file = st.builds(
    lambda pid, body, created: [
        {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": pid, "title": "T"}}]}},
        {"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {"id": "c1", "body": body,
                                                                           "created_utc": created}}]}}],
    st.sampled_from(["p1", "p2"]), st.one_of(text, odd, st.just(HUGE)),
    st.one_of(st.just(1772535600), odd, st.just(1e20)))
file_contents = st.one_of(
    reddit_file.flatmap(lambda body: encodings(json.dumps(body, ensure_ascii=False))),
    st.binary(max_size=200), st.just(b""), st.just(b"\xef\xbb\xbf"),
    text.flatmap(lambda t: encodings(t)),
    st.just("events: [{id: e, name: E, date: 2026-02-30}, {id: f, name: F, date: 2026-03-03}, 5]".encode()),
)
names = st.sampled_from(["a.json", "b.json", "c.txt", "d.html", "events.yaml", "e.yml", "articles.yaml", "f.txt"])


@pytest.fixture(scope="module")
def files_db(tmp_path_factory):
    with connect(tmp_path_factory.mktemp("files") / "files.duckdb") as con:
        yield con


@given(files=st.dictionaries(names, file_contents, min_size=1, max_size=4))
def test_ingest_stores_every_file_or_reports_it(files_db, files):
    con = files_db
    for table in ("documents", "events"):
        con.execute(f"DELETE FROM {table}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, content in files.items():
            (root / name).write_bytes(content)
        expected_docs, n_parsed = {}, 0
        for name in sorted(files):
            try:
                docs = parse_file(root / name).documents
            except Exception:  # noqa: BLE001 - the run must report it, checked below
                continue
            n_parsed += len(docs)
            for doc in docs:
                expected_docs.setdefault(doc.doc_id, doc)
        report = ingest_paths(con, [root], author_key=AUTHOR_KEY)
        read = {Path(p).name for p in report.failed_files}
    assert len(files) - len(read) + len(report.failed_files) == report.files == len(files)
    for path, reason in report.failed_files.items():
        assert reason and any(path in e for e in report.examples.get(f"unreadable file: {reason}", []))
    d = report.documents
    assert d.n_in == n_parsed and d.n_new + d.n_updated + d.n_unchanged + d.n_duplicate == d.n_in
    stored = dict(con.execute("SELECT doc_id, text FROM documents").fetchall())
    assert len(stored) == d.n_new and set(stored) <= set(expected_docs)
    for doc_id, stored_text in stored.items():
        assert stored_text == expected_docs[doc_id].text
