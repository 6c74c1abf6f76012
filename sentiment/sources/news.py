"""News: RSS/Atom feeds (feedparser) and article pages (httpx + trafilatura).

A page becomes an ``article`` document (source ``web``) keyed by its canonical URL, so the same
article reached through tracking links or its ``rel=canonical`` address is one row; the same
text at two addresses is an exact duplicate (the store's content-hash dedupe). Forum users
quoted in an article become ``quote`` documents through :func:`sentiment.sources.web.parse_article`,
the parser local article files use, after the one page extraction every path shares
(:mod:`sentiment.sources.page`). Pages with a wrong or missing charset are decoded by what their
bytes are, not by what they claim. Only articles are stored: a body that is not HTML (JSON, PDF,
images) is skipped with its type, a page over ``page_max_bytes`` with its size, and a page from
one host claiming another host's canonical URL never replaces the text stored there. Every
address that led to a stored article is remembered (``document_aliases``), so feeds do not fetch
it again. Failed pages, feeds and entries are retried by later runs as
:mod:`sentiment.sources.page_retries` says (spaced, within a time budget, permanent ones given up).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sentiment.records import Parsed, merge_examples, note_example
from sentiment.redact import is_secret_param, redact_url
from sentiment.sources import ParseError
from sentiment.sources.page import decode_html, extract_page
from sentiment.sources.web import ArticleMeta, article_from_page
from sentiment.store.db import utcnow
from sentiment.text import content_hash

SOURCE = "web"
FEED_SOURCE = "feeds"
"""The ``collect_failures`` source of ``collect feeds``: feeds that could not be read and entry
pages that could not be fetched (a page ``collect pages`` failed on is under ``web``)."""
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|dclid|mc_cid|mc_eid|ref|ref_src|cmpid|ocid|spm)$", re.I)
_HTML_TYPES = ("text/html", "application/xhtml+xml", "")
"""Content types read as a page; an absent type is sniffed by the extraction (it needs text)."""


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


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def remember_alias(con, url: str, doc_id: str) -> None:
    """Remember that ``url`` (any spelling) led to the stored document ``doc_id``."""
    con.execute("INSERT INTO document_aliases VALUES (?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
                "doc_id = excluded.doc_id", [canonical_url(url), doc_id, utcnow()])


def _not_an_article(ctx, response) -> str | None:
    """Why a fetched body is not an article page (its type, its size), or None."""
    content_type = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in _HTML_TYPES:
        return f"not an HTML page ({content_type})"
    size = len(response.content)
    if size > ctx.settings.page_max_bytes:
        return f"page too large ({size:,} bytes; the limit is {ctx.settings.page_max_bytes:,})"
    return None


def _fetch_page(ctx, client, backoff, url: str, meta: ArticleMeta | None, seen: set[str], *,
                source: str = SOURCE, policy=None, timeout: float | None = None,
                context: dict | None = None) -> None:
    """Fetch one page and store its article; a failure is recorded under ``source`` with the retry
    ``policy`` (and the ``context`` a retry needs, e.g. a feed entry's date)."""
    from sentiment.sources.http import get
    from sentiment.sources.retry import FetchFailed
    from sentiment.store.collect_state import clear_failure

    def fail(reason: str, permanent: bool) -> None:
        ctx.fail(source, url, reason, "page", permanent=permanent, policy=policy, context=context)

    if not is_web_url(url):
        fail("not an http(s) URL", True)
        return
    try:
        response = get(client, url, backoff, timeout=timeout)
        skip = _not_an_article(ctx, response)
        if skip is None:
            html = decode_page(response.content, response.charset_encoding)
            parsed, canonical = parse_page(html, str(response.url), meta)
    except FetchFailed as exc:
        fail(exc.reason, exc.permanent)
        return
    except ParseError as exc:  # an empty page, or nothing that reads as text: asking again will not help
        fail(str(exc), True)
        return
    if skip is not None:
        ctx.report.skipped[skip] += 1
        note_example(ctx.report.examples, skip, redact_url(url))
        clear_failure(ctx.con, source, url)
        return
    article = parsed.documents[0]
    copy_of = ctx.con.execute(
        "SELECT doc_id FROM documents WHERE dedupe_key = ? AND doc_id <> ?",
        [f"article|{content_hash(article.text)}", article.doc_id]).fetchall()
    stored = ctx.con.execute("SELECT content_hash FROM documents WHERE doc_id = ?", [article.doc_id]).fetchall()
    if canonical in seen:
        ctx.report.skipped["same canonical URL already collected in this run"] += 1
    elif copy_of:  # a syndicated copy: skip it with its quotes, which would hang off a dropped article
        ctx.report.skipped["same article text already stored at another URL"] += 1
        remember_alias(ctx.con, url, copy_of[0][0])
    elif stored and stored[0][0] != content_hash(article.text) and _host(canonical) != _host(str(response.url)):
        # another host's page claiming this address: it does not replace what the address said
        reason = "page claims another host's canonical URL, stored there with other text"
        ctx.report.skipped[reason] += 1
        note_example(ctx.report.examples, reason, redact_url(url))
    else:
        seen.add(canonical)
        ctx.store(parsed)
        for address in {url, str(response.url)}:
            if canonical_url(address) != canonical:
                remember_alias(ctx.con, address, article.doc_id)
    clear_failure(ctx.con, source, url)
    ctx.done()


def collect_pages(ctx, urls: list[str], retry_given_up: bool = False) -> None:
    """``sentiment collect pages``: fetch each URL as an article, then the earlier failures of
    ``collect pages`` that are due (within the run's retry budget; given-up ones only with
    ``retry_given_up``), as :mod:`sentiment.sources.page_retries` says."""
    from sentiment.sources.http import make_client
    from sentiment.sources.page_retries import RetryRun
    from sentiment.sources.retry import backoff_from_settings

    asked = list(dict.fromkeys(urls))
    retries = RetryRun(ctx, SOURCE, retry_given_up=retry_given_up)
    given_up, due = retries.pending(asked)
    asked += [f.item for f in given_up]
    backoff = backoff_from_settings(ctx.settings)
    seen: set[str] = set()
    total = len(asked) + len(due)
    with make_client(ctx.settings) as client:
        for n, url in enumerate(asked, start=1):
            _fetch_page(ctx, client, backoff, url, None, seen, policy=retries.policy)
            ctx.progress(n, total)
        for n, (found, timeout) in enumerate(retries.within_budget(due), start=len(asked) + 1):
            _fetch_page(ctx, client, retries.backoff, found.item, None, seen, policy=retries.policy, timeout=timeout)
            ctx.progress(n, total)


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


def _entry_context(feed_url: str, meta: ArticleMeta) -> dict:
    """What a retry of a feed entry's page needs: its feed, and the entry's title and date."""
    return {"entry": True, "feed": redact_url(feed_url), "title": meta.title,
            "published": meta.published.isoformat() if meta.published else None}


def _entry_meta(context: dict | None) -> ArticleMeta:
    """The feed entry's title and date from a recorded failure's context."""
    context = context or {}
    published = context.get("published")
    try:
        when = datetime.fromisoformat(published) if isinstance(published, str) else None
    except ValueError:
        when = None
    title = context.get("title")
    return ArticleMeta(title=title if isinstance(title, str) else None, published=when, date_source="feed")


def collect_feeds(ctx, feed_urls: list[str], retry_given_up: bool = False) -> None:
    """``sentiment collect feeds``: read each feed, then fetch every entry's page not stored yet.

    Feeds and entry pages that fail are recorded under ``feeds`` (never ``web``: ``collect pages``
    does not retry them, nor this what ``collect pages`` left); earlier failures are retried as
    :mod:`sentiment.sources.page_retries` says, an entry's page with the feed's date."""
    from sentiment.sources.http import get, make_client
    from sentiment.sources.page_retries import RetryRun
    from sentiment.sources.retry import FetchFailed, backoff_from_settings
    from sentiment.store.collect_state import clear_failure

    backoff = backoff_from_settings(ctx.settings)
    retries = RetryRun(ctx, FEED_SOURCE, retry_given_up=retry_given_up)
    policy = retries.policy

    def is_entry(failure) -> bool:
        return bool(failure.context and failure.context.get("entry"))

    asked = list(dict.fromkeys(feed_urls))
    given_up, due = retries.pending(asked, keep=lambda f: not is_entry(f))
    asked += [f.item for f in given_up]
    found: dict[str, tuple[ArticleMeta, str]] = {}
    stored = {r[0] for r in ctx.con.execute(
        "SELECT url FROM documents WHERE source = ? AND kind = 'article' AND url IS NOT NULL "
        "UNION SELECT url FROM document_aliases", [SOURCE]).fetchall()}
    seen: set[str] = set()

    def read_feed(feed_url: str, feed_backoff, timeout: float | None = None) -> None:
        try:
            response = get(client, feed_url, feed_backoff, timeout=timeout)
        except FetchFailed as exc:
            ctx.fail(FEED_SOURCE, feed_url, exc.reason, "feed", permanent=exc.permanent, policy=policy)
            return
        try:
            listed, skipped = feed_entries(response.content, dict(response.headers))
        except ParseError as exc:
            ctx.fail(FEED_SOURCE, feed_url, str(exc), "feed", "read", permanent=True, policy=policy)
            return
        clear_failure(ctx.con, FEED_SOURCE, feed_url)
        ctx.done()
        ctx.report.skipped.update(skipped.skipped)
        merge_examples(ctx.report.examples, skipped.examples)
        for link, entry_meta in listed:
            if canonical_url(link) in stored:
                ctx.report.skipped["article already stored"] += 1
                continue
            found.setdefault(link, (entry_meta, feed_url))

    with make_client(ctx.settings) as client:
        for feed_url in asked:
            read_feed(feed_url, backoff)
        for failure, timeout in retries.within_budget(due):
            read_feed(failure.item, retries.backoff, timeout)
        fresh = [link for link in found if retries.failure(link) is None]
        again = [link for link in found if retries.failure(link) is not None and retries.may_fetch(link)]
        old_given_up, old_due = retries.pending(found, keep=is_entry)
        now = [(link, *found[link]) for link in fresh]
        now += [(link, *found[link]) for link in again if retries.failure(link).given_up_at is not None]
        now += [(f.item, _entry_meta(f.context), f.context.get("feed")) for f in old_given_up]
        spaced = [(link, *found[link]) for link in again if retries.failure(link).given_up_at is None]
        spaced += [(f.item, _entry_meta(f.context), f.context.get("feed")) for f in old_due]
        total = len(now) + len(spaced)
        for n, (url, meta, feed_url) in enumerate(now, start=1):
            _fetch_page(ctx, client, backoff, url, meta, seen, source=FEED_SOURCE, policy=policy,
                        context=_entry_context(feed_url or "", meta))
            ctx.progress(n, total)
        by_item = {redact_url(url): (url, meta, feed_url) for url, meta, feed_url in spaced}
        chosen = [retries.failure(url) for url, _, _ in spaced]
        for n, (failure, timeout) in enumerate(retries.within_budget(chosen), start=len(now) + 1):
            url, meta, feed_url = by_item[failure.item]
            _fetch_page(ctx, client, retries.backoff, url, meta, seen, source=FEED_SOURCE, policy=policy,
                        timeout=timeout, context=_entry_context(feed_url or "", meta))
            ctx.progress(n, total)
