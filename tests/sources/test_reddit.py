import json

import pytest

from sentiment.sources import ParseError
from sentiment.sources.reddit import RedditSnapshot, parse_thread
from tests.conftest import SEEDS

SNAPSHOTS = SEEDS / "threads" / "reddit"


def _comment(cid, parent, body, author="someone", replies=""):
    return {"kind": "t1", "data": {"id": cid, "name": f"t1_{cid}", "parent_id": parent, "link_id": "t3_p1",
                                   "author": author, "body": body, "created_utc": 1772535600.0,
                                   "permalink": f"/r/x/comments/p1/t/{cid}/", "replies": replies}}


def _listing(children):
    return {"kind": "Listing", "data": {"after": None, "before": None, "children": children}}


def _thread(comments):
    post = {"kind": "t3", "data": {"id": "p1", "name": "t3_p1", "title": "Lead steps down &amp; more",
                                   "selftext": "", "author": "op", "created_utc": 1772532000.0,
                                   "permalink": "/r/x/comments/p1/t/"}}
    return [_listing([post]), _listing(comments)]


def test_tree_with_deleted_parent_more_and_continue_stubs():
    body = _thread([
        _comment("a", "t3_p1", "[deleted]", author="[deleted]", replies=_listing([
            _comment("b", "t1_a", "I agree &gt; quoting &amp; stuff"),
            {"kind": "more", "data": {"count": 0, "name": "t1__", "id": "_", "parent_id": "t1_a",
                                      "depth": 2, "children": []}},
        ])),
        {"kind": "more", "data": {"count": 2, "name": "t1_m", "id": "m", "parent_id": "t3_p1",
                                  "depth": 0, "children": ["c", "d"]}},
    ])
    parsed = parse_thread(body)
    post, deleted, reply = parsed.documents
    assert post.kind == "post" and post.title == "Lead steps down & more" and post.thread_id == "reddit:t3_p1"
    assert deleted.deleted and deleted.text == "[deleted]" and deleted.author is None
    assert reply.parent_id == "reddit:t1_a" and reply.text == "I agree > quoting & stuff"
    assert parsed.skipped == {"'continue this thread' stub not expanded": 1,
                              "comments behind a 'more' stub not expanded": 2}


@pytest.mark.parametrize("body", [{}, [], [{"kind": "Listing"}], [_listing([]), _listing([])], "x"])
def test_wrong_shapes_raise_a_clear_error(body):
    with pytest.raises(ParseError):
        parse_thread(body)


def _count_t1(node) -> int:
    if isinstance(node, list):
        return sum(_count_t1(x) for x in node)
    if isinstance(node, dict):
        own = 1 if node.get("kind") == "t1" else 0
        return own + sum(_count_t1(v) for v in node.values() if isinstance(v, (dict, list)))
    return 0


@pytest.mark.parametrize("post_id", RedditSnapshot(SNAPSHOTS).ids())
def test_every_bundled_comment_is_parsed_once_with_intact_parents(post_id):
    body = RedditSnapshot(SNAPSHOTS).thread(post_id)
    parsed = parse_thread(body)
    comments = [d for d in parsed.documents if d.kind == "comment"]
    assert len(comments) == _count_t1(body) > 0
    ids = {d.doc_id for d in parsed.documents}
    assert len(ids) == len(parsed.documents)
    assert all(c.parent_id in ids for c in comments)
    assert all(c.created_at and c.text for c in comments)
    assert all("&amp;" not in c.text and "&gt;" not in c.text for c in comments)


def test_bundled_threads_are_real_reddit_shapes():
    for path in SNAPSHOTS.glob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))
        assert body[0]["data"]["children"][0]["kind"] == "t3"
        assert body[0]["data"]["children"][0]["data"]["id"] == path.stem
