"""News: RSS/Atom feeds (feedparser) and article pages (httpx + trafilatura).

A page becomes an ``article`` document (source ``web``) keyed by its canonical URL, so the same
article reached through tracking links or its ``rel=canonical`` address is one row; the same
text at two addresses is an exact duplicate (the store's content-hash dedupe). Forum users
quoted in an article become ``quote`` documents through :func:`sentiment.sources.web.parse_article`,
the parser local article files use, after the one page extraction every path shares
(:mod:`sentiment.sources.page`). Pages with a wrong or missing charset are decoded by what their
bytes are, not by what they claim. Only articles are stored: a body that is not HTML (JSON, PDF,
images) is skipped with its type, a page over ``page_max_bytes`` with its size, and a page from
one host claiming another host's canonical URL never replaces the text stored there.
This module only parses: fetching and storing pages and feeds is :mod:`sentiment.collect.news`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sentiment.records import Parsed
from sentiment.redact import is_secret_param
from sentiment.sources import ParseError
from sentiment.sources.page import decode_html, extract_page
from sentiment.sources.web import ArticleMeta, article_from_page

SOURCE = "web"
FEED_SOURCE = "feeds"
"""The ``collect_failures`` source of ``collect feeds``: feeds that could not be read and entry
pages that could not be fetched (a page ``collect pages`` failed on is under ``web``)."""
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|dclid|mc_cid|mc_eid|ref|ref_src|cmpid|ocid|spm)$", re.I)


def is_web_url(url: object) -> bool:
    """Whether ``url`` is an absolute http(s) address with a host and a valid port."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def canonical_url(url: str) -> str:
    """One spelling per address: lower-case scheme and host, no default port, no fragment, no
    tracking parameters, remaining parameters sorted, no trailing slash (except the root).

    Raises ValueError for a malformed address (an unclosed IPv6 bracket, a port out of range);
    :func:`is_web_url` tells first. Credentials never become part of it: the userinfo and
    secret-named parameters (``token``, ``api_key`` ... see ``sentiment.redact``) are dropped,
    since this is the stored ``url``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and not ((scheme == "http" and parts.port == 80) or (scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not _TRACKING.match(k) and not is_secret_param(k)))
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((scheme, host, path, query, ""))


def article_id(canonical: str) -> str:
    """The external id of an article: a short hash of its canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


decode_page = decode_html
"""HTML bytes as text: the one charset rule of :func:`sentiment.sources.page.decode_html`."""


def parse_page(html: str, url: str, fallback: ArticleMeta | None = None) -> tuple[Parsed, str]:
    """An article (and its quotes) from a page; returns the parsed records and the canonical URL.
    ``fallback`` is what a feed entry says: its date wins over the page's (``date_source='feed'``),
    its title is used when the page has none."""
    page = extract_page(html, url)
    declared = page.canonical
    canonical = canonical_url(declared if is_web_url(declared) else url)
    fallback = fallback or ArticleMeta()
    meta = ArticleMeta(title=None if page.title else fallback.title, published=fallback.published,
                       url=canonical, date_source=fallback.date_source, problems=fallback.problems)
    parsed = article_from_page(page, external_id=article_id(canonical), source=SOURCE, meta=meta, url=canonical)
    return parsed, canonical


def feed_entries(content: bytes, headers: dict | None = None) -> tuple[list[tuple[str, ArticleMeta]], Parsed]:
    """The ``(link, title and date)`` of each entry of an RSS/Atom feed body, and the entries
    skipped (no link, or a link that is not an http(s) address) with their reasons. Raises
    :class:`ParseError` when the body has no entries (not a feed, or an empty one)."""
    import feedparser

    feed = feedparser.parse(content, response_headers=headers or {})
    if not feed.entries:
        raise ParseError("not an RSS/Atom feed" if feed.bozo else "feed has no entries")
    found: list[tuple[str, ArticleMeta]] = []
    skipped = Parsed()
    for n, entry in enumerate(feed.entries, start=1):
        link = entry.get("link")
        if not link:
            skipped.skip("feed entry without a link", f"entry {n}")
            continue
        if not is_web_url(link):
            skipped.skip("feed entry link is not an http(s) URL", f"entry {n}")
            continue
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        try:
            when = datetime(*published[:6]) if published else None
        except (TypeError, ValueError):
            when = None
        title = entry.get("title")
        found.append((link.strip(), ArticleMeta(title=title if isinstance(title, str) else None, published=when,
                                                date_source="feed")))
    return found, skipped
