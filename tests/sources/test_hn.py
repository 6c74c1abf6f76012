import pytest

from sentiment.sources import ParseError
from sentiment.sources.hn import HNSnapshot, parse_item
from tests.conftest import SEEDS

SNAPSHOTS = SEEDS / "threads" / "hn"


def _item(iid, parent, text, author="pg", children=()):
    return {"id": iid, "created_at": "2026-03-03T14:02:11.000Z", "created_at_i": 1772546531,
            "type": "comment", "author": author, "title": None, "url": None, "text": text,
            "points": None, "parent_id": parent, "story_id": 1, "options": [], "children": list(children)}


def test_story_tree_with_deleted_comment():
    body = {"id": 1, "created_at": "2026-03-03T14:00:00.000Z", "created_at_i": 1772546400, "type": "story",
            "author": "op", "title": "Qwen lead steps down", "url": "https://example.com/a", "text": None,
            "points": 120, "parent_id": None, "story_id": 1, "options": [], "children": [
                _item(2, 1, None, author=None, children=[_item(3, 2, "<p>I don&#x27;t buy the <i>official</i> reason")]),
            ]}
    story, deleted, reply = parse_item(body).documents
    assert story.kind == "post" and story.title == "Qwen lead steps down" and story.text == ""
    assert deleted.deleted and deleted.parent_id == "hn:1"
    assert reply.parent_id == "hn:2" and reply.text == "I don't buy the official reason"
    assert reply.created_at.isoformat() == "2026-03-03T14:02:11"


def test_a_comment_is_not_a_thread():
    with pytest.raises(ParseError, match="story"):
        parse_item(_item(2, 1, "x"))


def _count(node) -> int:
    return 1 + sum(_count(c) for c in node.get("children") or [])


@pytest.mark.parametrize("story_id", HNSnapshot(SNAPSHOTS).ids())
def test_every_bundled_item_is_parsed_with_intact_parents(story_id):
    body = HNSnapshot(SNAPSHOTS).item(story_id)
    docs = parse_item(body).documents
    assert len(docs) == _count(body)
    ids = {d.doc_id for d in docs}
    assert all(d.parent_id in ids for d in docs if d.kind == "comment")
    assert all("<p>" not in d.text and "&#x27;" not in d.text for d in docs)
