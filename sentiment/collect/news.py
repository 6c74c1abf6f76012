"""``sentiment collect pages`` and ``sentiment collect feeds``: fetch article pages (and every
feed entry's page not stored yet) and store them as :mod:`sentiment.sources.news` parses them.

Only articles are stored: a body that is not HTML (JSON, PDF, images) is skipped with its type, a
page over ``page_max_bytes`` with its size, and a page from one host claiming another host's
canonical URL never replaces the text stored there. Every address that led to a stored article is
remembered (``document_aliases``), so feeds do not fetch it again. Failed pages, feeds and entries
are retried by later runs as :mod:`sentiment.collect.retries` says (spaced, within a time budget,
permanent ones given up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sentiment.collect.base import Collector, Context, Params, option
from sentiment.collect.retries import RetryRun
from sentiment.records import Parsed
from sentiment.redact import redact_url
from sentiment.sources import ParseError
from sentiment.sources.news import FEED_SOURCE, SOURCE, canonical_url, decode_page, feed_entries, is_web_url, parse_page
from sentiment.sources.retry import FetchFailed, backoff_from_settings
from sentiment.sources.web import ArticleMeta
from sentiment.store.collect_state import clear_failure
from sentiment.store.clock import utcnow
from sentiment.text import content_hash

_HTML_TYPES = ("text/html", "application/xhtml+xml", "")
"""Content types read as a page; an absent type is sniffed by the extraction (it needs text)."""


@dataclass(frozen=True)
class UrlParams(Params):
    """Pages or feeds to read, and whether to retry the given-up failures too."""

    urls: tuple[str, ...] = field(default=(), metadata=option(many=True))
    retry_given_up: bool = field(default=False, metadata=option("--retry-given-up"))


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def remember_alias(con, url: str, doc_id: str) -> None:
    """Remember that ``url`` (any spelling) led to the stored document ``doc_id``."""
    con.execute("INSERT INTO document_aliases VALUES (?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
                "doc_id = excluded.doc_id", [canonical_url(url), doc_id, utcnow()])


def _not_an_article(ctx: Context, response) -> str | None:
    """Why a fetched body is not an article page (its type, its size), or None."""
    content_type = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in _HTML_TYPES:
        return f"not an HTML page ({content_type})"
    size = len(response.content)
    if size > ctx.settings.page_max_bytes:
        return f"page too large ({size:,} bytes; the limit is {ctx.settings.page_max_bytes:,})"
    return None


@dataclass
class _Fetched:
    """One page as the network gave it: a failure, a skip reason, or its body to extract."""

    url: str
    failure: FetchFailed | None = None
    skip: str | None = None
    body: bytes = b""
    charset: str | None = None
    final_url: str = ""


def _download(ctx: Context, client, backoff, url: str, timeout: float | None) -> _Fetched:
    from sentiment.sources.http import get  # httpx: imported when something is fetched

    try:
        response = get(client, url, backoff, timeout=timeout)
    except FetchFailed as exc:
        return _Fetched(url, failure=exc)
    skip = _not_an_article(ctx, response)
    if skip is not None:
        return _Fetched(url, skip=skip)
    return _Fetched(url, body=response.content, charset=response.charset_encoding, final_url=str(response.url))


def extract(body: bytes, charset: str | None, url: str, meta: ArticleMeta | None) -> tuple[Parsed, str] | str:
    """The article a page body holds and its canonical URL, or why none can be read (an empty
    page, nothing that reads as text). A plain function, so another process can run it."""
    try:
        return parse_page(decode_page(body, charset), url, meta)
    except ParseError as exc:
        return str(exc)


def _fetch_page(ctx: Context, client, backoff, url: str, meta: ArticleMeta | None, seen: set[str], *,
                source: str = SOURCE, policy=None, timeout: float | None = None,
                context: dict | None = None, fetched: _Fetched | None = None,
                extracted: tuple[Parsed, str] | str | None = None) -> None:
    """Fetch one page and store its article; a failure is recorded under ``source`` with the retry
    ``policy`` (and the ``context`` a retry needs, e.g. a feed entry's date). ``fetched`` and
    ``extracted`` are given when :func:`_read_ahead` already did those steps."""
    def fail(reason: str, permanent: bool) -> None:
        ctx.fail(source, url, reason, "page", permanent=permanent, policy=policy, context=context)

    if not is_web_url(url):
        fail("not an http(s) URL", True)
        return
    fetched = fetched or _download(ctx, client, backoff, url, timeout)
    if fetched.failure is not None:
        fail(fetched.failure.reason, fetched.failure.permanent)
        return
    if fetched.skip is not None:
        ctx.report.skips.add(fetched.skip, redact_url(url))
        clear_failure(ctx.con, source, url)
        return
    if extracted is None:
        extracted = extract(fetched.body, fetched.charset, fetched.final_url, meta)
    if isinstance(extracted, str):  # an empty page, or nothing that reads as text: asking again will not help
        fail(extracted, True)
        return
    parsed, canonical = extracted
    article = parsed.documents[0]
    copy_of = ctx.con.execute(
        "SELECT doc_id FROM documents WHERE dedupe_key = ? AND doc_id <> ?",
        [f"article|{content_hash(article.text)}", article.doc_id]).fetchall()
    stored = ctx.con.execute("SELECT content_hash FROM documents WHERE doc_id = ?", [article.doc_id]).fetchall()
    if canonical in seen:
        ctx.report.skips.add("same canonical URL already collected in this run")
    elif copy_of:  # a syndicated copy: skip it with its quotes, which would hang off a dropped article
        ctx.report.skips.add("same article text already stored at another URL")
        remember_alias(ctx.con, url, copy_of[0][0])
    elif stored and stored[0][0] != content_hash(article.text) and _host(canonical) != _host(fetched.final_url):
        # another host's page claiming this address: it does not replace what the address said
        reason = "page claims another host's canonical URL, stored there with other text"
        ctx.report.skips.add(reason, redact_url(url))
    else:
        seen.add(canonical)
        ctx.store(parsed)
        for address in {url, fetched.final_url}:
            if canonical_url(address) != canonical:
                remember_alias(ctx.con, address, article.doc_id)
    clear_failure(ctx.con, source, url)
    ctx.done()


_READ_AHEAD_FROM = 8
"""Pages in a run from which extraction moves to worker processes (their start costs ~1 s)."""


def _read_ahead(ctx: Context, client, backoff, pages: list[tuple[str, ArticleMeta | None]]):
    """``(url, meta, fetched, extracted)`` for each page in order: this process fetches the next
    pages while ``page_workers`` processes extract them, so storing one page overlaps extracting
    the next. Nothing is stored here: the caller stores each in order, as one page at a time would."""
    workers = ctx.settings.page_workers
    if workers <= 0 or len(pages) < _READ_AHEAD_FROM:
        for url, meta in pages:
            yield url, meta, None, None
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    window: deque = deque()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for url, meta in pages:
            fetched = _download(ctx, client, backoff, url, None) if is_web_url(url) else None
            job = (pool.submit(extract, fetched.body, fetched.charset, fetched.final_url, meta)
                   if fetched is not None and fetched.failure is None and fetched.skip is None else None)
            window.append((url, meta, fetched, job))
            while len(window) > 2 * workers:
                url_, meta_, fetched_, job_ = window.popleft()
                yield url_, meta_, fetched_, job_.result() if job_ else None
        while window:
            url_, meta_, fetched_, job_ = window.popleft()
            yield url_, meta_, fetched_, job_.result() if job_ else None


def collect_pages(ctx: Context, params: UrlParams) -> None:
    """``sentiment collect pages``: fetch each URL as an article, then the earlier failures of
    ``collect pages`` that are due (within the run's retry budget; given-up ones only with
    ``retry_given_up``), as :mod:`sentiment.collect.retries` says."""
    from sentiment.sources.http import make_client

    asked = list(dict.fromkeys(params.urls))
    retries = RetryRun(ctx, SOURCE, retry_given_up=params.retry_given_up)
    given_up, due = retries.pending(asked)
    asked += [f.item for f in given_up]
    backoff = backoff_from_settings(ctx.settings)
    seen: set[str] = set()
    total = len(asked) + len(due)
    with make_client(ctx.settings) as client:
        ahead = _read_ahead(ctx, client, backoff, [(url, None) for url in asked])
        for n, (url, _, fetched, extracted) in enumerate(ahead, start=1):
            _fetch_page(ctx, client, backoff, url, None, seen, policy=retries.policy,
                        fetched=fetched, extracted=extracted)
            ctx.progress(n, total)
        for n, (found, timeout) in enumerate(retries.within_budget(due), start=len(asked) + 1):
            _fetch_page(ctx, client, retries.backoff, found.item, None, seen, policy=retries.policy, timeout=timeout)
            ctx.progress(n, total)


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


def collect_feeds(ctx: Context, params: UrlParams) -> None:
    """``sentiment collect feeds``: read each feed, then fetch every entry's page not stored yet.

    Feeds and entry pages that fail are recorded under ``feeds`` (never ``web``: ``collect pages``
    does not retry them, nor this what ``collect pages`` left); earlier failures are retried as
    :mod:`sentiment.collect.retries` says, an entry's page with the feed's date."""
    from sentiment.sources.http import get, make_client

    backoff = backoff_from_settings(ctx.settings)
    retries = RetryRun(ctx, FEED_SOURCE, retry_given_up=params.retry_given_up)
    policy = retries.policy

    def is_entry(failure) -> bool:
        return bool(failure.context and failure.context.get("entry"))

    asked = list(dict.fromkeys(params.urls))
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
        ctx.report.skips.merge(skipped.skips)
        for link, entry_meta in listed:
            if canonical_url(link) in stored:
                ctx.report.skips.add("article already stored")
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
        feeds_of = {url: feed_url for url, _, feed_url in now}
        ahead = _read_ahead(ctx, client, backoff, [(url, meta) for url, meta, _ in now])
        for n, (url, meta, fetched, extracted) in enumerate(ahead, start=1):
            _fetch_page(ctx, client, backoff, url, meta, seen, source=FEED_SOURCE, policy=policy,
                        context=_entry_context(feeds_of[url] or "", meta), fetched=fetched, extracted=extracted)
            ctx.progress(n, total)
        by_item = {redact_url(url): (url, meta, feed_url) for url, meta, feed_url in spaced}
        chosen = [retries.failure(url) for url, _, _ in spaced]
        for n, (failure, timeout) in enumerate(retries.within_budget(chosen), start=len(now) + 1):
            url, meta, feed_url = by_item[failure.item]
            _fetch_page(ctx, client, retries.backoff, url, meta, seen, source=FEED_SOURCE, policy=policy,
                        timeout=timeout, context=_entry_context(feed_url or "", meta))
            ctx.progress(n, total)


_LATER = "retried by a later run"
PAGES = Collector("pages", UrlParams, collect_pages, _LATER)
FEEDS = Collector("feeds", UrlParams, collect_feeds, _LATER)
