"""Hostile text stays text: comment bodies, thread titles, event names and links written to break
out of HTML or Markdown are escaped in the weekly brief (HTML and Markdown, parsed and rendered
here) and shown as plain text, with http(s) links only, by the dashboard."""

from __future__ import annotations

import re

from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from sentiment import dashboard
from sentiment.brief import build_brief, write_brief
from sentiment.classify import load_classifier
from sentiment.classify.run import classify_pending
from sentiment.records import Document, Event
from sentiment.settings import LABELS
from sentiment.store import connect, upsert_documents, upsert_events
from sentiment.insight.trends import refresh_trends
from tests.conftest import AUTHOR_KEY, ROOT

TAGS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
        "' onmouseover='x"]
MARKDOWN = ["[x](javascript:alert(1))", "![p](https://evil.example/p.png)", "<https://evil.example/auto>"]
HOSTILE = " ".join(TAGS + MARKDOWN)
ESCAPED_HTML = ["&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
                "&#34;&gt;&lt;svg onload=alert(1)&gt;", "&#39; onmouseover=&#39;x"]
BAD_URLS = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)", 'https://example.org/a"><script>alert(3)</script>', "//evil.example/x"]
CUES = ["I fear the worst for open weights", "I doubt it, this is just PR", "Thanks team, great models, legends",
        "Which quant should I use?"]
WEEK = "2026-W10"


def _hostile_db(db: Path) -> None:
    """Threads in the brief's week and the week before, every text and title carrying every payload."""
    docs = []
    for i in range(24):
        when = datetime(2026, 2, 25, 9) + timedelta(hours=11 * i)  # Feb 25 .. Mar 8
        thread = f"reddit:t3_h{i}"
        docs.append(Document("reddit", "post", f"t3_h{i}", "", when, thread_id=thread, author=f"op{i}",
                             title=f"Thread {i} {HOSTILE}", url=BAD_URLS[i % len(BAD_URLS)]))
        docs.append(Document("reddit", "comment", f"t1_h{i}", f"{CUES[i % 4]} {HOSTILE}", when, thread_id=thread,
                             parent_id=thread, author=f"u{i}", url=BAD_URLS[(i + 1) % len(BAD_URLS)]))
    with connect(db) as con:
        upsert_documents(con, docs, author_key=AUTHOR_KEY)
        upsert_events(con, [Event("hostile", f"$\\notacommand$ Lead exits {HOSTILE}", date(2026, 3, 3),
                                  description=HOSTILE, keywords=["<script>"])])
        classify_pending(con, load_classifier("baseline"), batch_size=64)
        refresh_trends(con, min_n=1)


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _tags(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    return parser.tags


def _assert_inert(markup: str, img_src_ok) -> None:
    tags = _tags(markup)
    names = {t for t, _ in tags}
    assert not names & {"script", "svg", "iframe", "object", "embed", "form"}, names
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if "href" in attrs:
            assert attrs["href"].startswith(("https://", "http://")), (tag, attrs)
        if tag == "img":
            assert img_src_ok(attrs["src"]), attrs


@pytest.fixture(scope="module")
def brief_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    _hostile_db(folder / "hostile.duckdb")
    with connect(folder / "hostile.duckdb") as con:
        brief = build_brief(con, WEEK)
    assert sum(len(q) for q in brief.quotes.values()) >= 4 and brief.events  # hostile text is on the page
    md, html = write_brief(brief, folder / "briefs")
    return md.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")


def test_the_html_brief_escapes_every_payload(brief_files):
    _, html = brief_files
    for raw in TAGS:
        assert raw not in html
    for escaped in ESCAPED_HTML:
        assert escaped in html
    assert "Lead exits &lt;script&gt;" in html  # the event name, as text
    assert 'href="javascript:' not in html.lower() and "data:text/html" not in html
    assert 'href="https://example.org/a&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;"' in html
    _assert_inert(html, lambda src: src.startswith("data:image/png;base64,"))
    assert [a.get("href") for t, a in _tags(html) if t == "a"]  # some (http) links survived


def test_the_markdown_brief_makes_no_html_and_no_links_from_text(brief_files):
    md, _ = brief_files
    for raw in TAGS[:3] + MARKDOWN:  # (a quote character outside any tag is just text)
        assert raw not in md
    assert "\\[x\\](javascript:alert(1))" in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert not re.search(r"(?<!\\)\]\(\s*<?javascript:", md, re.IGNORECASE)  # no live link syntax
    # Rendered by the most permissive CommonMark renderer: raw HTML on, every link scheme allowed.
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": True})
    renderer.validateLink = lambda url: True
    rendered = renderer.render(md)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    _assert_inert(rendered, lambda src: src.startswith(f"{WEEK}-") and src.endswith(".png"))
    links = [a["href"] for t, a in _tags(rendered) if t == "a"]
    assert links and all(not h.startswith("https://evil.example") for h in links)


def test_the_dashboard_shows_hostile_text_as_text_and_only_http_links(db_path, monkeypatch):
    _hostile_db(db_path)
    with duckdb.connect(str(db_path), read_only=True) as con:
        opts = dashboard.options(con)
        rows = dashboard.comments(con, opts.sources, opts.first_day, opts.last_day, list(LABELS))
    comments_only = rows[rows.text != ""]  # posts are classified by their title
    assert len(rows) == 48 and len(comments_only) == 24
    assert comments_only.text.str.contains("<script>alert(1)</script>", regex=False).all()  # verbatim: plain text
    assert set(rows.url.dropna()) == {'https://example.org/a"><script>alert(3)</script>'}  # http(s) only
    assert rows.url.notna().sum() == 8  # 40 javascript:, data:, vbscript: and scheme-less links dropped

    from streamlit.testing.v1 import AppTest

    from sentiment.settings import get_settings

    monkeypatch.setenv("SENTIMENT_DB", str(db_path))
    get_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    # Streamlit renders Markdown in these elements: none may carry data
    shown = [e.value for kind in ("markdown", "caption", "title", "subheader", "info", "warning", "error")
             for e in getattr(at, kind)]
    assert shown and not [s for s in shown if any(p in str(s) for p in ("alert(", "javascript:", "onerror"))]
    event_box = at.sidebar.selectbox[0]
    assert event_box.options[-1] == f"$\\notacommand$ Lead exits {HOSTILE} (2026-03-03)"  # a plain option label
    assert event_box.options[:-1] == ["No event: comments in the date range"]
    frames = [e.value for e in at.dataframe]
    comments = frames[-1]
    assert len(comments) == 48 and all(u.startswith("https://") for u in comments.url.dropna())
