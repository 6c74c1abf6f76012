"""``sentiment collect hn``: Algolia searches (from the watermark on) and each matching story's
whole comment tree, stored story by story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sentiment.collect.base import Collector, Context, Params, Watermarks, as_datetime, fetch_each, option
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
    query = (params.query or "").strip()
    if query:
        add(query, params.since, None)
    marks = Watermarks(ctx.con, "hn")
    with make_client(s, s.hn_api_url) as http:
        client = HNLive(http, backoff_from_settings(s), s.hn_hits_per_page)
        for scope, search in searches.items():
            since = as_datetime(search["since"])
            watermark = marks.last(scope)
            after = max(x for x in (since, watermark) if x is not None) if (since or watermark) else None
            item = query_item("search", {"query": search["query"], "since": search["since"]})
            try:
                for story_id, created in client.search(search["query"], after):
                    marks.see(scope, created)
                    todo.setdefault(story_id)
            except (FetchFailed, ParseError) as exc:
                marks.failed(ctx, scope, item, search["items"], str(getattr(exc, "reason", exc)), "search",
                             shown=f"search {search['query']!r}")
            else:
                marks.read(ctx, search["items"])
        fetch_each(ctx, "hn", list(todo), client.item, "story")
    marks.save()


COLLECTOR = Collector("hn", HNParams, collect_hn)
