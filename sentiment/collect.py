"""The collect step: one live source (or local files) -> parsed documents -> DuckDB.

``run_source`` is the single entry point for the CLI (``sentiment collect KIND``) and the flows.
Every run writes a ``runs`` row (step ``collect:KIND``) and returns a :class:`CollectReport`:
what was fetched, what was new, updated or unchanged, what was skipped and why, and which items
could not be fetched (they are also kept in ``collect_failures`` and retried by the next run).
Each thread, story or page is stored in its own transaction as soon as it is fetched, so a crash
or a rate limit never loses what was already fetched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import duckdb

from sentiment.records import Parsed, merge_examples, note_example
from sentiment.redact import redact, redact_url
from sentiment.settings import Settings, get_settings, load_author_key
from sentiment.sources import ParseError
from sentiment.sources.retry import FetchFailed, backoff_from_settings
from sentiment.store import track_run, upsert_documents
from sentiment.store.collect_state import (
    RetryPolicy, clear_failure, get_watermark, parse_query_item, pending_failures, query_item, record_failure, set_watermark,
)
from sentiment.store.db import utcnow
from sentiment.store.runs import outcome
from sentiment.store.runs import DUPLICATE
from sentiment.store.writes import UpsertResult

KINDS = ("reddit", "hn", "dump", "feeds", "pages", "files")
Progress = Callable[[int, "int | None"], None]


@dataclass
class CollectReport:
    """What one collect run did (the same counts land in its ``runs`` row)."""

    source: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    succeeded: int = 0
    """Units of work done: threads, stories, pages, feeds, files, listings and searches read."""
    examples: dict[str, list[str]] = field(default_factory=dict)
    """The first few skipped items per reason (doc ids, URLs, ``FILE:LINE``)."""
    events: Counter[str] = field(default_factory=Counter)
    """Events files are counted on their own (``in``, ``new``, ``updated``): the other counts
    are documents, so new + updated + unchanged + duplicates is what was fetched."""

    @property
    def status(self) -> str:
        """``ok``, ``partial`` or ``failed`` by the outcome rule (``sentiment.store.runs.outcome``)."""
        return outcome(len(self.failed), self.succeeded)

    def add(self, result: UpsertResult) -> None:
        self.fetched += result.n_in
        self.new += result.n_new
        self.updated += result.n_updated
        self.unchanged += result.n_unchanged
        if result.n_duplicate:
            self.skipped[DUPLICATE] += result.n_duplicate


@dataclass
class _Context:
    con: duckdb.DuckDBPyConnection
    settings: Settings
    author_key: bytes
    report: CollectReport
    on_progress: Progress | None
    clock: Callable[[], datetime] = utcnow
    """Now, in UTC: when failures are recorded and which are due (tests move it forward)."""

    def now(self) -> datetime:
        return self.clock()

    def store(self, parsed: Parsed) -> None:
        self.report.skipped.update(parsed.skipped)
        merge_examples(self.report.examples, parsed.examples)
        self.report.add(upsert_documents(self.con, parsed.documents, author_key=self.author_key))

    def done(self, n: int = 1) -> None:
        """Count ``n`` units of work done (a thread stored, a search read)."""
        self.report.succeeded += n

    def progress(self, done: int, total: int | None) -> None:
        if self.on_progress:
            self.on_progress(done, total)

    def fail(self, source: str, item: str, reason: str, what: str, verb: str = "fetched",
             shown: str | None = None, *, permanent: bool = False, policy: RetryPolicy | None = None,
             context: dict | None = None) -> None:
        """Record an item that could not be fetched, in the report and in ``collect_failures`` (a
        later run of ``source`` retries it: the next one, or when ``policy`` says); redacted: a
        URL's credentials are masked."""
        record_failure(self.con, source, item, reason, permanent=permanent, policy=policy, context=context,
                       now=self.now())
        self.report.failed.append(redact_url(shown or item))
        self.report.skipped[f"{what} not {verb}: {redact(reason)}"] += 1
        note_example(self.report.examples, f"{what} not {verb}: {redact(reason)}", redact_url(shown or item))


def as_datetime(value: date | datetime | str | None) -> datetime | None:
    """A ``--since``/``--until`` value as a naive UTC datetime (a bare date is its midnight)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time())


def _unique(items: Iterable[str]) -> dict[str, None]:
    """An insertion-ordered set: ids to fetch, each once, in the order they were found."""
    return dict.fromkeys(items)


# --- Reddit ---------------------------------------------------------------------------------
def reddit_scope(subreddit: str, query: str | None) -> str:
    """The watermark key of a listing: subreddit and query, case-insensitive."""
    return f"r/{subreddit.lower()}?q={(query or '').strip().lower()}"


def _collect_reddit(ctx: _Context, params: dict) -> None:
    from sentiment.sources.reddit_live import RedditLive, thread_id_from

    s = ctx.settings
    client = RedditLive(s.reddit_site, backoff_from_settings(s))
    try:
        explicit = [thread_id_from(t) for t in params.get("threads") or []]
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    listings: list[dict] = []
    todo: dict[str, None] = {}
    for item in pending_failures(ctx.con, "reddit"):
        found = parse_query_item(item, "listing")
        if found is None:
            todo.setdefault(item)
        elif found.get("subreddit"):  # a listing that failed: repeated with its own options
            listings.append({k: v[0] for k, v in found.items()} | {"item": item})
    todo.update(_unique(explicit))
    if params.get("subreddit"):
        listings.append({k: params.get(k) for k in ("subreddit", "query", "since", "limit")})
    newest: dict[str, datetime] = {}
    for listing in _merge_listings(listings):
        subreddit, query = listing["subreddit"], listing.get("query")
        scope = reddit_scope(subreddit, query)
        watermark = get_watermark(ctx.con, "reddit", scope)
        since = as_datetime(listing.get("since"))
        limit = int(listing.get("limit") or s.reddit_listing_limit)
        item = query_item("listing", {k: listing.get(k) for k in ("subreddit", "query", "since", "limit")})
        try:
            for post_id, created in client.listing(subreddit, query, limit):
                if created is not None:
                    if watermark is not None and created <= watermark:
                        ctx.report.skipped["older than the last run's watermark (listing stopped)"] += 1
                        break
                    if since is not None and created < since:
                        break
                    newest[scope] = max(newest[scope], created) if scope in newest else created
                todo.setdefault(post_id)
        except FetchFailed as exc:
            newest.pop(scope, None)
            for old in listing["items"] - {item}:
                clear_failure(ctx.con, "reddit", old)  # one row per listing: the options it failed with now
            ctx.fail("reddit", item, exc.reason, "listing", shown=f"listing {scope}")
        else:
            ctx.done()
            for old in listing["items"]:
                clear_failure(ctx.con, "reddit", old)
    _fetch_each(ctx, "reddit", list(todo), client.thread, "thread")
    for scope, when in newest.items():
        set_watermark(ctx.con, "reddit", scope, when)


def _merge_listings(listings: list[dict]) -> list[dict]:
    """One listing per scope (subreddit and query): the widest ``since`` (none beats any date) and
    ``limit`` of this run's and the failed runs' options, with the failed runs' items to clear."""
    merged: dict[str, dict] = {}
    for listing in listings:
        scope = reddit_scope(listing["subreddit"], listing.get("query"))
        items = {listing["item"]} if listing.get("item") else set()
        if scope not in merged:
            merged[scope] = {**listing, "items": items}
            continue
        into = merged[scope]
        into["items"] |= items
        since_a, since_b = as_datetime(into.get("since")), as_datetime(listing.get("since"))
        into["since"] = None if since_a is None or since_b is None else str(min(since_a, since_b))
        if into.get("limit") or listing.get("limit"):
            into["limit"] = max(int(into.get("limit") or 0), int(listing.get("limit") or 0)) or None
    return list(merged.values())


def _fetch_each(ctx: _Context, source: str, ids: list[str], fetch, what: str) -> None:
    """Fetch and store each thread or story in its own transaction; one that fails is recorded
    for the next run and the others go on."""
    for n, item_id in enumerate(ids, start=1):
        try:
            parsed = fetch(item_id)
        except FetchFailed as exc:
            ctx.fail(source, item_id, exc.reason, what)
        except ParseError as exc:
            ctx.fail(source, item_id, f"unexpected body: {exc}", what)
        else:
            ctx.store(parsed)
            clear_failure(ctx.con, source, item_id)
            ctx.done()
        ctx.progress(n, len(ids))


# --- Hacker News ----------------------------------------------------------------------------
def _collect_hn(ctx: _Context, params: dict) -> None:
    from sentiment.sources.hn import HNLive
    from sentiment.sources.http import make_client

    s = ctx.settings
    searches: dict[str, dict] = {}  # scope -> query, since, the failed runs' items to clear

    def add(query: str, since: object, item: str | None) -> None:
        scope = query.lower()
        found = searches.setdefault(scope, {"query": query, "since": since, "items": set()})
        if item:
            found["items"].add(item)
        if found["since"] != since:  # the widest frame wins (none beats any date)
            a, b = as_datetime(found["since"]), as_datetime(since)
            found["since"] = None if a is None or b is None else str(min(a, b))

    todo: dict[str, None] = {}
    for item in pending_failures(ctx.con, "hn"):
        found = parse_query_item(item, "search")
        if found is None:
            todo.setdefault(item)
        elif (found.get("query") or [""])[0].strip():  # a search that failed: repeated with its options
            add(found["query"][0].strip(), (found.get("since") or [None])[0], item)
    query = (params.get("query") or "").strip()
    if query:
        add(query, params.get("since"), None)
    newest: dict[str, datetime] = {}
    with make_client(s, s.hn_api_url) as http:
        client = HNLive(http, backoff_from_settings(s), s.hn_hits_per_page)
        for scope, search in searches.items():
            since = as_datetime(search["since"])
            watermark = get_watermark(ctx.con, "hn", scope)
            after = max(x for x in (since, watermark) if x is not None) if (since or watermark) else None
            item = query_item("search", {"query": search["query"], "since": search["since"]})
            try:
                for story_id, created in client.search(search["query"], after):
                    if created is not None:
                        newest[scope] = max(newest[scope], created) if scope in newest else created
                    todo.setdefault(story_id)
            except (FetchFailed, ParseError) as exc:
                newest.pop(scope, None)
                for old in search["items"] - {item}:
                    clear_failure(ctx.con, "hn", old)  # one row per search: the options it failed with now
                ctx.fail("hn", item, str(getattr(exc, "reason", exc)), "search",
                         shown=f"search {search['query']!r}")
            else:
                ctx.done()
                for old in search["items"]:
                    clear_failure(ctx.con, "hn", old)
        _fetch_each(ctx, "hn", list(todo), client.item, "story")
    for scope, when in newest.items():
        set_watermark(ctx.con, "hn", scope, when)


# --- dumps, news, files ---------------------------------------------------------------------
def _collect_dump(ctx: _Context, params: dict) -> None:
    from sentiment.store.bulk import import_reddit_dumps

    import_reddit_dumps(ctx, params)


def _collect_feeds(ctx: _Context, params: dict) -> None:
    from sentiment.sources.news import collect_feeds

    collect_feeds(ctx, params.get("urls") or [], retry_given_up=bool(params.get("retry_given_up")))


def _collect_pages(ctx: _Context, params: dict) -> None:
    from sentiment.sources.news import collect_pages

    collect_pages(ctx, params.get("urls") or [], retry_given_up=bool(params.get("retry_given_up")))


def _collect_files(ctx: _Context, params: dict) -> None:
    from sentiment.ingest import collect_files, ingest_paths

    paths = params.get("paths") or []
    files, _ = collect_files(paths)
    done = 0

    def step(_path) -> None:
        nonlocal done
        done += 1
        ctx.progress(done, max(done, len(files)))  # earlier failures read again come on top

    report = ingest_paths(ctx.con, paths, author_key=ctx.author_key, on_file=step, record_run=False)
    d = report.documents
    ctx.report.fetched += d.n_in
    ctx.report.new += d.n_new
    ctx.report.updated += d.n_updated
    ctx.report.events.update({"in": report.events.n_in, "new": report.events.n_new,
                              "updated": report.events.n_updated})
    ctx.report.unchanged += d.n_unchanged
    ctx.report.skipped.update(report.skipped)
    merge_examples(ctx.report.examples, report.examples)
    ctx.report.failed.extend(report.failed_files)
    ctx.report.succeeded += report.files_read


_COLLECTORS: dict[str, Callable[[_Context, dict], None]] = {
    "reddit": _collect_reddit, "hn": _collect_hn, "dump": _collect_dump,
    "feeds": _collect_feeds, "pages": _collect_pages, "files": _collect_files,
}


def run_source(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    params: dict,
    on_progress: Progress | None = None,
    clock: Callable[[], datetime] | None = None,
) -> CollectReport:
    """Collect from one source; ``params`` use the CLI option names (see ``sentiment collect``).

    Writes the run's ``runs`` row (step ``collect:KIND``) with the report's status: ``ok`` when
    every item was fetched, ``partial`` when some were stored and some failed, ``failed`` when
    none could be; every failed item is in ``collect_failures`` and a later run retries it (pages
    and feeds on their spaced schedule, read from ``clock``, default the system's UTC time). A
    configuration error fails the run (status 'failed', with the error in its notes) and is raised.
    """
    if kind not in _COLLECTORS:
        raise ValueError(f"unknown source kind {kind!r}; expected one of {', '.join(KINDS)}")
    settings = get_settings()
    report = CollectReport(source=kind)
    with track_run(con, f"collect:{kind}") as stats:
        ctx = _Context(con, settings, load_author_key(settings), report, on_progress, clock or utcnow)
        try:
            _COLLECTORS[kind](ctx, dict(params))
        finally:
            stats.skipped.update(report.skipped)
            merge_examples(stats.examples, report.examples)
            stats.documents_read(report.fetched, report.new, report.updated, report.unchanged)
            if report.events:
                stats.notes["events"] = dict(report.events)
            stats.notes["params"] = {k: v for k, v in params.items() if v not in (None, [], "")}
            if report.failed:
                stats.notes["failed"] = report.failed
            stats.status = report.status
    return report
