"""Hacker News threads in the shape of the Algolia items API (``GET /api/v1/items/{id}``).

``parse_item`` reads that body; ``HNSnapshot`` serves saved bodies from a folder; the live
Algolia client hands the same body to the same parser.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sentiment.records import Document, Parsed, make_doc_id
from sentiment.sources import ParseError, SnapshotFolder
from sentiment.text import html_to_text

SOURCE = "hn"
ITEM_URL = "https://news.ycombinator.com/item?id={}"


def is_item_body(body: Any) -> bool:
    """Whether a decoded JSON body looks like an Algolia item (a story with its tree)."""
    return isinstance(body, dict) and "id" in body and "children" in body and "type" in body


def _created(item: dict) -> datetime | None:
    if item.get("created_at_i") is not None:
        return datetime.fromtimestamp(int(item["created_at_i"]), tz=timezone.utc).replace(tzinfo=None)
    if item.get("created_at"):
        return datetime.fromisoformat(item["created_at"].replace("Z", "+00:00")).astimezone(
            timezone.utc).replace(tzinfo=None)
    return None


def parse_item(body: Any) -> Parsed:
    """Documents for a story and its whole comment tree; deleted comments kept as placeholders."""
    if not is_item_body(body):
        raise ParseError("expected an Algolia HN item: an object with id, type and children")
    if body.get("type") != "story":
        raise ParseError(f"expected a story at the root, got {body.get('type')!r}")
    parsed = Parsed()
    story_id = str(body["id"])
    thread_id = make_doc_id(SOURCE, story_id)
    parsed.documents.append(Document(
        source=SOURCE, kind="post", external_id=story_id, thread_id=thread_id,
        text=html_to_text(body.get("text")), created_at=_created(body),
        author=body.get("author"), title=html_to_text(body.get("title")),
        url=ITEM_URL.format(story_id),
    ))
    stack = [(child, story_id) for child in reversed(body.get("children") or [])]
    while stack:
        item, parent = stack.pop()
        if not isinstance(item, dict) or item.get("id") is None:
            parsed.skipped["malformed item (no id)"] += 1
            continue
        item_id = str(item["id"])
        gone = item.get("text") is None and item.get("author") is None
        parsed.documents.append(Document(
            source=SOURCE, kind="comment", external_id=item_id, thread_id=thread_id,
            parent_id=make_doc_id(SOURCE, str(item.get("parent_id") or parent)),
            text="[deleted]" if gone else html_to_text(item.get("text")),
            created_at=_created(item), author=item.get("author"),
            url=ITEM_URL.format(item_id), deleted=gone,
        ))
        stack.extend((child, item_id) for child in reversed(item.get("children") or []))
    return parsed


class HNSnapshot(SnapshotFolder):
    """Items saved as ``<story_id>.json`` Algolia bodies: the live client's offline twin."""

    def item(self, story_id: str) -> Any:
        """The saved ``/api/v1/items/{story_id}`` body."""
        return self.body(story_id)


class HNLive:
    """The Algolia HN API over httpx: story search by date, then ``/items/{id}`` for whole trees.

    ``items`` bodies go to :func:`parse_item`, the parser the snapshots use.
    """

    def __init__(self, client, backoff, hits_per_page: int = 100) -> None:
        self.client = client  # an httpx.Client whose base_url is the API root (…/api/v1)
        self.backoff = backoff
        self.hits_per_page = hits_per_page

    def search(self, query: str, after: datetime | None) -> list[tuple[str, datetime | None]]:
        """``(story id, created_at)`` of every story matching ``query`` created after ``after``."""
        from sentiment.sources.http import get_json

        params: dict[str, object] = {"query": query, "tags": "story", "hitsPerPage": self.hits_per_page}
        if after is not None:
            params["numericFilters"] = f"created_at_i>{int(after.replace(tzinfo=timezone.utc).timestamp())}"
        found: list[tuple[str, datetime | None]] = []
        page = 0
        while True:
            body = get_json(self.client, "search_by_date", self.backoff, {**params, "page": page})
            if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
                raise ParseError("expected an Algolia search body with a 'hits' list")
            for hit in body["hits"]:
                if isinstance(hit, dict) and hit.get("objectID"):
                    found.append((str(hit["objectID"]), _created(hit)))
            page += 1
            if page >= int(body.get("nbPages") or 0) or not body["hits"]:
                return found

    def item(self, story_id: str) -> Parsed:
        """A story and its whole comment tree, parsed."""
        from sentiment.sources.http import get_json

        return parse_item(get_json(self.client, f"items/{story_id}", self.backoff))
