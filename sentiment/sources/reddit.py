"""Reddit threads in the shape of ``GET /comments/{id}.json``: a listing pair, post then comments.

``parse_thread`` reads that body; ``RedditSnapshot`` serves saved bodies from a folder. The live
praw client hands the same body to the same parser.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sentiment.records import Document, Parsed, make_doc_id
from sentiment.sources import ParseError, SnapshotFolder
from sentiment.text import normalize, unescape_entities

SOURCE = "reddit"
REDDIT_URL = "https://www.reddit.com"
_GONE = ("[deleted]", "[removed]")


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), tz=timezone.utc).replace(tzinfo=None)


def is_thread_body(body: Any) -> bool:
    """Whether a decoded JSON body looks like a ``/comments/{id}`` listing pair."""
    return (
        isinstance(body, list) and len(body) == 2
        and all(isinstance(x, dict) and x.get("kind") == "Listing" for x in body)
    )


def _children(listing: Any) -> list[dict]:
    if not isinstance(listing, dict):  # Reddit sends "" for an empty replies field
        return []
    children = (listing.get("data") or {}).get("children") or []
    return [c for c in children if isinstance(c, dict)]


def post_document(post: dict) -> Document:
    """The Document for a submission's ``data`` object (a t3 in a listing, or a dump line)."""
    post_name = post.get("name") or f"t3_{post['id']}"
    title = normalize(unescape_entities(post.get("title")))
    selftext = unescape_entities(post.get("selftext"))
    gone = selftext in _GONE
    return Document(
        source=SOURCE, kind="post", external_id=post_name, thread_id=make_doc_id(SOURCE, post_name),
        text=selftext if gone else normalize(selftext),
        created_at=_timestamp(post.get("created_utc")),
        author=post.get("author"), title=title,
        url=REDDIT_URL + post["permalink"] if post.get("permalink") else post.get("url"),
        deleted=gone,
    )


def comment_document(data: dict, post_name: str | None = None) -> Document:
    """The Document for a comment's ``data`` object (a t1 in a tree, or a dump line).

    The thread is the comment's ``link_id`` (or ``post_name``); the parent its ``parent_id``.
    ``[deleted]``/``[removed]`` bodies stay as placeholders so the tree keeps its shape.
    """
    name = data.get("name") or f"t1_{data['id']}"
    post_name = data.get("link_id") or post_name
    body_text = unescape_entities(data.get("body"))
    gone = body_text in _GONE
    parent = data.get("parent_id") or post_name
    return Document(
        source=SOURCE, kind="comment", external_id=name,
        thread_id=make_doc_id(SOURCE, post_name) if post_name else None,
        parent_id=make_doc_id(SOURCE, parent) if parent else None,
        text=body_text if gone else normalize(body_text),
        created_at=_timestamp(data.get("created_utc")),
        author=None if gone else data.get("author"),
        url=REDDIT_URL + data["permalink"] if data.get("permalink") else None,
        deleted=gone,
    )


def parse_thread(body: Any) -> Parsed:
    """Documents for the post and every comment in the tree, deleted ones kept as placeholders.

    ``more`` stubs (comments Reddit did not include) are counted as skipped; the live client
    expands them before parsing.
    """
    if not is_thread_body(body):
        raise ParseError("expected Reddit's /comments/{id} body: a JSON array of two Listings")
    posts = [c for c in _children(body[0]) if c.get("kind") == "t3"]
    if not posts:
        raise ParseError("the first Listing holds no t3 post")
    post = posts[0].get("data") or {}
    if not post.get("id"):
        raise ParseError("the t3 post has no id")

    parsed = Parsed()
    post_doc = post_document(post)
    post_name = post_doc.external_id
    parsed.documents.append(post_doc)

    stack = list(reversed(_children(body[1])))
    while stack:
        node = stack.pop()
        data = node.get("data") or {}
        kind = node.get("kind")
        if kind == "more":
            if data.get("id") == "_" or not data.get("children"):
                parsed.skipped["'continue this thread' stub not expanded"] += 1
            else:
                parsed.skipped["comments behind a 'more' stub not expanded"] += len(data["children"])
            continue
        if kind != "t1" or not data.get("id"):
            parsed.skipped["malformed comment (no t1 kind or id)"] += 1
            continue
        parsed.documents.append(comment_document({**data, "link_id": post_name}))
        stack.extend(reversed(_children(data.get("replies"))))
    return parsed


class RedditSnapshot(SnapshotFolder):
    """Threads saved as ``<post_id>.json`` ``/comments/{id}`` bodies: the live client's offline twin."""

    def thread(self, post_id: str) -> Any:
        """The saved ``/comments/{post_id}`` body."""
        return self.body(post_id)
