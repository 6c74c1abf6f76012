"""``sentiment collect hn``: Algolia searches (from the watermark on) and each matching story's
whole comment tree, stored story by story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sentiment.collect.base import (Collector, Context, Params, Watermarks, as_datetime, fetch_each, option, unique,
                                    widest_since)
from sentiment.sources import ParseError
from sentiment.sources.retry import FetchFailed, backoff_from_settings
from sentiment.store.collect_state import parse_query_item, pending_failures, query_item


@dataclass(frozen=True)
class HNParams(Params):
    """A search: stories matching ``query`` created on or after ``since``."""

    query: str = field(default="", metadata=option("--query"))
    since: str | date | None = field(default=None, metadata=option("--since"))


def collect_hn(ctx: Context, params: HNParams) -> None:
    """Run the searches (this run's and the failed runs'), then fetch each story found."""
    from sentiment.sources.hn import HNLive
    from sentiment.sources.http import make_client

    s = ctx.settings
    searches: dict[str, dict] = {}  # scope -> query, since, the failed runs' items to clear

    def add(query: str, since: object, item: str | None) -> None:
        scope = query.lower()
        found = searches.setdefault(scope, {"query": query, "since": since, "items": set()})
        if item:
            found["items"].add(item)
        if found["since"] != since:
            found["since"] = widest_since(found["since"], since)

    todo: dict[str, None] = {}
    for item in pending_failures(ctx.con, "hn"):
        found = parse_query_item(item, "search")
        if found is None:
            todo.setdefault(item)
        elif (found.get("query") or [""])[0].strip():  # a search that failed: repeated with its options
            add(found["query"][0].strip(), (found.get("since") or [None])[0], item)
    query = (params.query or "").strip()
    if query:
        add(query, params.since, None)
    marks = Watermarks(ctx.con, "hn")
    with make_client(s, s.hn_api_url) as http:
        client = HNLive(http, backoff_from_settings(s), s.hn_hits_per_page)
        for scope, search in searches.items():
            since = as_datetime(search["since"])

            def newer(watermark, query=search["query"], since=since):
                """The search's stories created after the watermark and on or after ``since``."""
                after = max(x for x in (since, watermark) if x is not None) if (since or watermark) else None
                return client.search(query, after)

            item = query_item("search", {"query": search["query"], "since": search["since"]})
            todo.update(unique(marks.scan(ctx, scope, newer, item=item, earlier=search["items"], what="search",
                                          shown=f"search {search['query']!r}", errors=(FetchFailed, ParseError))))
        fetch_each(ctx, "hn", list(todo), client.item, "story")
    marks.save()


COLLECTOR = Collector("hn", HNParams, collect_hn)
