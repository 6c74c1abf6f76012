"""``sentiment collect reddit``: a subreddit's listing (newest first, down to the watermark) and
given threads, each thread's whole comment forest stored in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sentiment.collect.base import (Collector, Context, Params, Watermarks, as_datetime, fetch_each, option, unique,
                                    widest_since)
from sentiment.sources.retry import backoff_from_settings
from sentiment.store.collect_state import parse_query_item, pending_failures, query_item

_LISTING_KEYS = ("subreddit", "query", "since", "limit")


@dataclass(frozen=True)
class RedditParams(Params):
    """A listing (``subreddit``, optional ``query``, ``since``, ``limit``) and/or given ``threads``."""

    subreddit: str | None = field(default=None, metadata=option("--subreddit"))
    query: str | None = field(default=None, metadata=option("--query"))
    since: str | date | None = field(default=None, metadata=option("--since"))
    limit: int | None = field(default=None, metadata=option("--limit"))
    threads: tuple[str, ...] = field(default=(), metadata=option("--thread", many=True))


def reddit_scope(subreddit: str, query: str | None) -> str:
    """The watermark key of a listing: subreddit and query, case-insensitive."""
    return f"r/{subreddit.lower()}?q={(query or '').strip().lower()}"


def collect_reddit(ctx: Context, params: RedditParams) -> None:
    """Read the listings (this run's and the failed runs'), then fetch each new thread."""
    from sentiment.sources.reddit_live import RedditLive, thread_id_from

    s = ctx.settings
    client = RedditLive(s.reddit_site, backoff_from_settings(s))
    try:
        explicit = [thread_id_from(t) for t in params.threads]
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
    todo.update(unique(explicit))
    if params.subreddit:
        listings.append({k: getattr(params, k) for k in _LISTING_KEYS})
    marks = Watermarks(ctx.con, "reddit")
    for listing in _merge_listings(listings):
        subreddit, query = listing["subreddit"], listing.get("query")
        scope = reddit_scope(subreddit, query)
        since = as_datetime(listing.get("since"))
        limit = int(listing.get("limit") or s.reddit_listing_limit)

        def newer(watermark, subreddit=subreddit, query=query, since=since, limit=limit):
            """The listing's posts, newest first, down to the watermark or ``since``."""
            for post_id, created in client.listing(subreddit, query, limit):
                if created is not None:
                    if watermark is not None and created <= watermark:
                        ctx.report.skips.add("older than the last run's watermark (listing stopped)")
                        return
                    if since is not None and created < since:
                        return
                yield post_id, created

        item = query_item("listing", {k: listing.get(k) for k in _LISTING_KEYS})
        todo.update(unique(marks.scan(ctx, scope, newer, item=item, earlier=listing["items"], what="listing",
                                      shown=f"listing {scope}")))
    fetch_each(ctx, "reddit", list(todo), client.thread, "thread")
    marks.save()


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
        into["since"] = widest_since(into.get("since"), listing.get("since"))
        if into.get("limit") or listing.get("limit"):
            into["limit"] = max(int(into.get("limit") or 0), int(listing.get("limit") or 0)) or None
    return list(merged.values())


COLLECTOR = Collector("reddit", RedditParams, collect_reddit)
