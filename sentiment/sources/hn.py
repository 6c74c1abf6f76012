"""Hacker News threads in the shape of the Algolia items API (``GET /api/v1/items/{id}``).

``parse_item`` reads that body; ``HNSnapshot`` serves saved bodies from a folder; the live
Algolia client hands the same body to the same parser.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sentiment.records import Document, Parsed, make_doc_id
from sentiment.sources import ParseError, SnapshotFolder, fields
from sentiment.sources.fields import BadRecord
from sentiment.text import html_to_text

SOURCE = "hn"
ITEM_URL = "https://news.ycombinator.com/item?id={}"


def is_item_body(body: Any) -> bool:
    """Whether a decoded JSON body looks like an Algolia item (a story with its tree)."""
    return isinstance(body, dict) and "id" in body and "children" in body and "type" in body


def _created(item: dict) -> datetime | None:
    if item.get("created_at_i") is not None:
        return fields.unix_time(item, "created_at_i")
    return fields.iso_time(item, "created_at")


def _comment(item: dict, parent: str, thread_id: str) -> Document:
    item_id = fields.identifier(item, "id")
    text, author = fields.text(item, "text"), fields.text(item, "author")
    gone = text is None and author is None
    return Document(
        source=SOURCE, kind="comment", external_id=item_id, thread_id=thread_id,
        parent_id=make_doc_id(SOURCE, fields.identifier(item, "parent_id") or parent),
        text="[deleted]" if gone else html_to_text(text),
        created_at=_created(item), author=author,
        url=ITEM_URL.format(item_id), deleted=gone,
    )


def parse_item(body: Any) -> Parsed:
    """Documents for a story and its whole comment tree; deleted comments kept as placeholders.

    A comment with a field of the wrong type is skipped by id with the reason (its replies are
    kept); a story that cannot be read raises :class:`ParseError`.
    """
    if not is_item_body(body):
        raise ParseError("expected an Algolia HN item: an object with id, type and children")
    if body.get("type") != "story":
        raise ParseError(f"expected a story at the root, got {str(body.get('type'))[:40]!r}")
    parsed = Parsed()
    try:
        story_id = fields.identifier(body, "id")
        if story_id is None:
            raise BadRecord("no id")
        thread_id = make_doc_id(SOURCE, story_id)
        parsed.documents.append(Document(
            source=SOURCE, kind="post", external_id=story_id, thread_id=thread_id,
            text=html_to_text(fields.text(body, "text")), created_at=_created(body),
            author=fields.text(body, "author"), title=html_to_text(fields.text(body, "title")),
            url=ITEM_URL.format(story_id),
        ))
    except (BadRecord, ValueError) as exc:
        raise ParseError(f"the story is malformed: {exc}") from None
    stack = [(child, story_id) for child in reversed(fields.items(body.get("children")))]
    while stack:
        item, parent = stack.pop()
        if not isinstance(item, dict) or item.get("id") is None:
            parsed.skip("malformed item (no id)")
            continue
        item_id = item["id"]
        own = str(item_id) if isinstance(item_id, (int, str)) and not isinstance(item_id, bool) else None
        try:
            parsed.documents.append(_comment(item, parent, thread_id))
        except (BadRecord, ValueError) as exc:
            parsed.skip(f"malformed item: {exc}", make_doc_id(SOURCE, own) if own else None)
        stack.extend((child, own or parent) for child in reversed(fields.items(item.get("children"))))
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
                if isinstance(hit, dict) and isinstance(hit.get("objectID"), (str, int)) and hit["objectID"] != "":
                    try:
                        created = _created(hit)
                    except BadRecord:  # the story is still fetched; only the watermark lacks its time
                        created = None
                    found.append((str(hit["objectID"]), created))
            page += 1
            if page >= int(body.get("nbPages") or 0) or not body["hits"]:
                return found

    def item(self, story_id: str) -> Parsed:
        """A story and its whole comment tree, parsed."""
        from sentiment.sources.http import get_json

        return parse_item(get_json(self.client, f"items/{story_id}", self.backoff))
