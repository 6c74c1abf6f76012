"""An Algolia-compatible Hacker News API on loopback: ``/api/v1/search_by_date`` and
``/api/v1/items/{id}``, in Algolia's shapes (hits with objectID; items with nested children)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tests.fakes.server import FakeServer, Request, Response


@dataclass
class Item:
    id: int
    text: str | None
    author: str | None = "pg"
    created: int = 1772535600
    children: list["Item"] = field(default_factory=list)


@dataclass
class Story:
    id: int
    title: str
    created: int
    children: list[Item] = field(default_factory=list)
    author: str = "dang"
    text: str | None = None


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeHN(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.stories: dict[int, Story] = {}

    def add(self, story: Story) -> None:
        self.stories[story.id] = story

    def _item(self, item: Item, parent_id: int, story_id: int) -> dict:
        return {"id": item.id, "created_at": _iso(item.created), "created_at_i": item.created,
                "type": "comment", "author": item.author, "title": None, "url": None, "text": item.text,
                "points": None, "parent_id": parent_id, "story_id": story_id, "options": [],
                "children": [self._item(c, item.id, story_id) for c in item.children]}

    def handle(self, request: Request) -> Response:
        if request.path == "/api/v1/search_by_date":
            return self._search(request.query)
        match = re.fullmatch(r"/api/v1/items/(\d+)", request.path)
        if match and int(match.group(1)) in self.stories:
            s = self.stories[int(match.group(1))]
            return Response.json({
                "id": s.id, "created_at": _iso(s.created), "created_at_i": s.created, "type": "story",
                "author": s.author, "title": s.title, "url": f"https://example.com/{s.id}", "text": s.text,
                "points": 42, "parent_id": None, "story_id": s.id, "options": [],
                "children": [self._item(c, s.id, s.id) for c in s.children]})
        return Response.json({"status": 404, "error": "Not Found"}, 404)

    def _search(self, query: dict) -> Response:
        q = query.get("query", [""])[0].lower()
        per_page = int(query.get("hitsPerPage", ["20"])[0])
        page = int(query.get("page", ["0"])[0])
        after = 0
        for f in query.get("numericFilters", []):
            m = re.fullmatch(r"created_at_i>(\d+)", f)
            if m:
                after = int(m.group(1))
        hits = sorted((s for s in self.stories.values() if q in s.title.lower() and s.created > after),
                      key=lambda s: s.created, reverse=True)
        n_pages = (len(hits) + per_page - 1) // per_page
        chunk = hits[page * per_page:(page + 1) * per_page]
        return Response.json({
            "hits": [{"objectID": str(s.id), "title": s.title, "url": f"https://example.com/{s.id}",
                      "author": s.author, "points": 42, "story_text": s.text, "num_comments": len(s.children),
                      "story_id": s.id, "created_at": _iso(s.created), "created_at_i": s.created,
                      "_tags": ["story", f"author_{s.author}", f"story_{s.id}"]} for s in chunk],
            "nbHits": len(hits), "page": page, "nbPages": n_pages, "hitsPerPage": per_page,
            "exhaustiveNbHits": True, "query": q, "params": "", "processingTimeMS": 1})
