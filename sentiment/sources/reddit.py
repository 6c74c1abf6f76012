"""Reddit threads in the shape of ``GET /comments/{id}.json``: a listing pair, post then comments.

``parse_thread`` reads that body; ``RedditSnapshot`` serves saved bodies from a folder. The live
praw client hands the same body to the same parser.
"""

from __future__ import annotations

from typing import Any

from sentiment.records import Document, Parsed, make_doc_id
from sentiment.sources import ParseError, SnapshotFolder, fields
from sentiment.sources.fields import BadRecord
from sentiment.text import normalize, unescape_entities

SOURCE = "reddit"
REDDIT_URL = "https://www.reddit.com"
_GONE = ("[deleted]", "[removed]")


def is_thread_body(body: Any) -> bool:
    """Whether a decoded JSON body looks like a ``/comments/{id}`` listing pair."""
    return (
        isinstance(body, list) and len(body) == 2
        and all(isinstance(x, dict) and x.get("kind") == "Listing" for x in body)
    )


def _children(listing: Any) -> list[dict]:
    # Reddit sends "" for an empty replies field; anything else not shaped like a Listing is empty too.
    children = fields.items(fields.mapping(fields.mapping(listing).get("data")).get("children"))
    return [c for c in children if isinstance(c, dict)]


def _name(data: dict, prefix: str) -> str:
    """A thing's fullname (``t1_abc``): its ``name``, else the prefix and its ``id``."""
    name = fields.identifier(data, "name")
    if name:
        return name
    ident = fields.identifier(data, "id")
    if ident is None:
        raise BadRecord("no id")
    return prefix + ident


def _url(data: dict, fallback: str | None = None) -> str | None:
    permalink = fields.text(data, "permalink")
    return REDDIT_URL + permalink if permalink else fallback


def post_document(post: dict) -> Document:
    """The Document for a submission's ``data`` object (a t3 in a listing, or a dump line).

    Raises :class:`~sentiment.sources.fields.BadRecord` for a field of the wrong type or range.
    """
    post_name = _name(post, "t3_")
    title = normalize(unescape_entities(fields.text(post, "title")))
    selftext = unescape_entities(fields.text(post, "selftext"))
    gone = selftext in _GONE
    return Document(
        source=SOURCE, kind="post", external_id=post_name, thread_id=make_doc_id(SOURCE, post_name),
        text=selftext if gone else normalize(selftext),
        created_at=fields.unix_time(post, "created_utc"),
        author=fields.text(post, "author"), title=title,
        url=_url(post, fields.text(post, "url")),
        deleted=gone,
    )


def comment_document(data: dict, post_name: str | None = None) -> Document:
    """The Document for a comment's ``data`` object (a t1 in a tree, or a dump line).

    The thread is the comment's ``link_id`` (or ``post_name``); the parent its ``parent_id``.
    ``[deleted]``/``[removed]`` bodies stay as placeholders so the tree keeps its shape. Raises
    :class:`~sentiment.sources.fields.BadRecord` for a field of the wrong type or range.
    """
    name = _name(data, "t1_")
    post_name = fields.identifier(data, "link_id") or post_name
    body_text = unescape_entities(fields.text(data, "body"))
    gone = body_text in _GONE
    parent = fields.identifier(data, "parent_id") or post_name
    author = fields.text(data, "author")
    return Document(
        source=SOURCE, kind="comment", external_id=name,
        thread_id=make_doc_id(SOURCE, post_name) if post_name else None,
        parent_id=make_doc_id(SOURCE, parent) if parent else None,
        text=body_text if gone else normalize(body_text),
        created_at=fields.unix_time(data, "created_utc"),
        author=None if gone else author,
        url=_url(data),
        deleted=gone,
    )


def parse_thread(body: Any) -> Parsed:
    """Documents for the post and every comment in the tree, deleted ones kept as placeholders.

    ``more`` stubs (comments Reddit did not include) are counted as skipped; the live client
    expands them before parsing. A comment with a field of the wrong type is skipped by id with
    the reason; the rest of the thread is kept.
    """
    if not is_thread_body(body):
        raise ParseError("expected Reddit's /comments/{id} body: a JSON array of two Listings")
    posts = [c for c in _children(body[0]) if c.get("kind") == "t3"]
    if not posts:
        raise ParseError("the first Listing holds no t3 post")
    post = fields.mapping(posts[0].get("data"))
    if fields.identifier(post, "id") is None:
        raise ParseError("the t3 post has no id")

    parsed = Parsed()
    try:
        post_doc = post_document(post)
    except (BadRecord, ValueError) as exc:
        raise ParseError(f"the t3 post is malformed: {exc}") from None
    post_name = post_doc.external_id
    parsed.documents.append(post_doc)

    stack = list(reversed(_children(body[1])))
    position = 0
    while stack:
        node = stack.pop()
        position += 1
        data = fields.mapping(node.get("data"))
        kind = node.get("kind")
        if kind == "more":
            hidden = fields.items(data.get("children"))
            if data.get("id") == "_" or not hidden:
                parsed.skip("'continue this thread' stub not expanded", _example(data, post_doc, position))
            else:
                parsed.skip("comments behind a 'more' stub not expanded", _example(data, post_doc, position),
                            count=len(hidden))
            continue
        if kind != "t1" or not data.get("id"):
            parsed.skip("malformed comment (no t1 kind or id)", _example(data, post_doc, position))
            continue
        try:
            parsed.documents.append(comment_document({**data, "link_id": post_name}))
        except (BadRecord, ValueError) as exc:
            parsed.skip(f"malformed comment: {exc}", _example(data, post_doc, position))
        stack.extend(reversed(_children(data.get("replies"))))
    return parsed


def _example(data: dict, post: Document, position: int) -> str:
    """How a report names a skipped node: its doc_id, else its place in the thread."""
    for key, prefix in (("name", ""), ("id", "t1_")):
        value = data.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            return make_doc_id(SOURCE, prefix + fields.clean_text(str(value)))
    return f"{post.doc_id} node #{position}"


class RedditSnapshot(SnapshotFolder):
    """Threads saved as ``<post_id>.json`` ``/comments/{id}`` bodies: the live client's offline twin."""

    def thread(self, post_id: str) -> Any:
        """The saved ``/comments/{post_id}`` body."""
        return self.body(post_id)
