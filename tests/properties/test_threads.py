"""Reddit thread bodies and HN items with hostile fields: the parser never raises anything but
ParseError (for a body that is not a thread at all); every comment is either a document with the
normaliser's text and the right ids, or skipped with a reason and named by its id."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sentiment.sources import ParseError
from sentiment.sources.fields import clean_text
from sentiment.sources.hn import parse_item
from sentiment.sources.reddit import parse_thread
from sentiment.text import html_to_text, normalize, unescape_entities
from tests.properties.strategies import ids, maybe_text, odd, text, times


def _comment_data(children):
    return st.fixed_dictionaries(
        {"id": ids, "body": maybe_text},
        optional={"author": maybe_text, "created_utc": times, "permalink": maybe_text, "name": ids,
                  "parent_id": ids, "replies": st.one_of(st.just(""), odd, children.map(_listing))},
    )


def _listing(children):
    return {"kind": "Listing", "data": {"children": children}}


reddit_nodes = st.recursive(
    st.one_of(
        st.builds(lambda d: {"kind": "t1", "data": d}, _comment_data(st.just([]))),
        st.builds(lambda c, i: {"kind": "more", "data": {"id": i, "children": c}},
                  st.one_of(st.lists(st.text("abc", min_size=1, max_size=3), max_size=3), odd),
                  st.sampled_from(["_", "m1", None])),
        st.builds(lambda k, d: {"kind": k, "data": d}, st.sampled_from(["t3", "t1", None, 5]), odd),
        odd,
    ),
    lambda children: st.builds(lambda d: {"kind": "t1", "data": d}, _comment_data(st.lists(children, max_size=3))),
    max_leaves=12,
)
post_data = st.fixed_dictionaries(
    {"id": ids}, optional={"title": maybe_text, "selftext": maybe_text, "author": maybe_text,
                           "created_utc": times, "permalink": maybe_text, "url": maybe_text})


def _units(nodes) -> int:
    """How many comments the input holds, counted as the parser counts them (a 'more' stub
    stands for its hidden ids)."""
    n = 0
    stack = [x for x in nodes if isinstance(x, dict)]
    while stack:
        node = stack.pop()
        data = node.get("data") if isinstance(node.get("data"), dict) else {}
        hidden = data.get("children")
        if node.get("kind") == "more":
            n += len(hidden) if isinstance(hidden, list) and hidden and data.get("id") != "_" else 1
            continue
        n += 1
        if node.get("kind") == "t1" and data.get("id"):
            replies = data.get("replies")
            if isinstance(replies, dict):
                kids = replies.get("data", {}).get("children", [])
                stack.extend(x for x in kids if isinstance(x, dict))
    return n


def _walk_t1(nodes):
    """t1 data in the parser's order (depth first, in document order)."""
    stack = [x for x in reversed(nodes) if isinstance(x, dict)]
    while stack:
        node = stack.pop()
        data = node.get("data")
        if node.get("kind") == "t1" and isinstance(data, dict) and data.get("id"):
            yield data
            replies = data.get("replies")
            if isinstance(replies, dict):
                stack.extend(x for x in reversed(replies.get("data", {}).get("children", [])) if isinstance(x, dict))


@given(post=post_data, comments=st.lists(reddit_nodes, max_size=6))
def test_reddit_thread_every_comment_is_stored_or_skipped_by_id(post, comments):
    body = [_listing([{"kind": "t3", "data": post}]), _listing(comments)]
    try:
        parsed = parse_thread(body)
    except ParseError:
        # Only a post that cannot be read fails the whole body (collect records the thread as failed).
        assert not isinstance(post["id"], str) or not post["id"] or any(
            not isinstance(post.get(k), (str, type(None))) for k in ("title", "selftext", "author", "permalink", "url")
        ) or not _valid_time(post.get("created_utc")) or not isinstance(post.get("id"), (str, int))
        return
    post_doc, docs = parsed.documents[0], parsed.documents[1:]
    assert post_doc.kind == "post" and post_doc.external_id == clean_text(f"t3_{post['id']}")
    assert len(docs) + sum(parsed.skipped.values()) == _units(comments)
    by_id = {}
    for d in docs:
        by_id.setdefault(d.external_id, d)  # the store keeps the first of a repeated id
    checked = set()
    for data in _walk_t1(comments):
        name = data.get("name") or f"t1_{data['id']}"
        if isinstance(name, str) and name in by_id and name not in checked:
            checked.add(name)
            doc = by_id[name]
            raw = unescape_entities(data["body"])
            assert doc.text == (raw if doc.deleted else normalize(raw))
            assert doc.thread_id == post_doc.doc_id
            assert doc.parent_id == f"reddit:{data.get('parent_id') or post_doc.external_id}"
    for doc in parsed.documents:  # what reaches the store encodes as UTF-8
        for value in (doc.text, doc.title, doc.author, doc.url, doc.external_id, doc.parent_id):
            if value is not None:
                value.encode("utf-8")
    for reason in parsed.skipped:
        assert parsed.examples.get(reason), reason  # every skip is named (by doc id or place)


def _valid_time(value) -> bool:
    try:
        return value is None or (not isinstance(value, bool) and 0 <= float(value) < 253402300800)
    except (TypeError, ValueError):
        return False


hn_items = st.recursive(
    st.fixed_dictionaries({"id": ids}, optional={
        "text": maybe_text, "author": maybe_text, "created_at_i": times, "parent_id": ids,
        "created_at": st.one_of(text, st.just("2026-03-03T10:00:00.000Z"), odd)}),
    lambda kids: st.fixed_dictionaries({"id": ids, "children": st.lists(kids, max_size=3)},
                                       optional={"text": maybe_text, "author": maybe_text}),
    max_leaves=10,
) | odd


def _hn_units(items) -> int:
    n, stack = 0, list(items)
    while stack:
        item = stack.pop()
        n += 1
        if isinstance(item, dict) and item.get("id") is not None and isinstance(item.get("children"), list):
            stack.extend(item["children"])
    return n


@given(story_id=ids, title=maybe_text, children=st.one_of(st.lists(hn_items, max_size=6), odd))
def test_hn_item_every_comment_is_stored_or_skipped_by_id(story_id, title, children):
    body = {"id": story_id, "type": "story", "title": title, "children": children, "created_at_i": 1772535600}
    try:
        parsed = parse_item(body)
    except ParseError:
        assert story_id in (None, "") or not isinstance(story_id, (str, int)) or isinstance(story_id, bool) \
            or not isinstance(title, (str, type(None)))
        return
    assert parsed.documents[0].external_id == clean_text(str(story_id))
    assert parsed.documents[0].title == html_to_text(title)
    items = children if isinstance(children, list) else []
    assert len(parsed.documents) - 1 + sum(parsed.skipped.values()) == _hn_units(items)
    stack = list(items)
    stored = {d.external_id: d for d in parsed.documents[1:]}
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and isinstance(item.get("children"), list):
            stack.extend(item["children"])
        if isinstance(item, dict) and str(item.get("id")) in stored and isinstance(item.get("text"), str):
            assert stored[str(item["id"])].text == html_to_text(item["text"])
