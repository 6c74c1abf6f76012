"""The bundled training data: enough of it, varied, labelled by the guide, kept apart from the demo."""

import json
import re
from collections import Counter

from sentiment.classify.examples import SPLITS, bundled_examples, data_hash, read_labelled_jsonl
from sentiment.settings import LABELS
from tests.conftest import SEEDS


def test_enough_examples_events_and_every_row_has_source_and_split():
    rows = bundled_examples()
    assert len(rows) >= 1500
    assert len({r.event for r in rows}) >= 20
    assert all(r.source == "authored" and r.split in SPLITS and r.label in LABELS for r in rows)
    assert len({r.id for r in rows}) == len(rows)
    labels = Counter(r.label for r in rows)
    assert min(labels.values()) >= 0.15 * len(rows)


def test_lengths_look_like_forum_comments():
    words = [len(r.text.split()) for r in bundled_examples()]
    assert sum(words) / len(words) >= 35
    assert sum(w > 80 for w in words) / len(words) >= 0.1
    assert sum(w < 12 for w in words) / len(words) >= 0.05


def test_dev_split_holds_whole_events_the_model_never_trains_on():
    train, dev = bundled_examples("train"), bundled_examples("dev")
    assert len(dev) >= 250
    assert not {r.event for r in train} & {r.event for r in dev}
    assert not {r.text for r in train} & {r.text for r in dev}
    assert Counter(r.label for r in dev).keys() == set(LABELS)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def test_demo_threads_and_seed_quotes_are_not_training_data():
    demo = set()
    for path in (SEEDS / "threads").rglob("*.json"):
        demo.update(_norm(m) for m in re.findall(r'"(?:body|text|selftext)":\s*"((?:[^"\\]|\\.)*)"',
                                                   path.read_text(encoding="utf-8")))
    for line in (SEEDS / "threads" / "intended_labels.jsonl").read_text(encoding="utf-8").splitlines():
        demo.add(_norm(json.loads(line).get("text", "")))
    demo.discard("")
    training = {_norm(r.text) for r in bundled_examples()}
    assert not training & demo


def test_data_hash_changes_with_the_data_and_not_with_order():
    rows = bundled_examples("train")[:50]
    assert data_hash(rows) == data_hash(list(reversed(rows)))
    assert data_hash(rows) != data_hash(rows[:-1])


def test_a_users_labelled_file_is_read_and_bad_lines_are_named(tmp_path):
    good = tmp_path / "mine.jsonl"
    good.write_text('{"text": "will they even ship it?", "label": "skepticism", "thread_title": "t"}\n\n'
                    '{"id": "x2", "text": "thanks team", "label": "support"}\n', encoding="utf-8")
    rows = read_labelled_jsonl(good)
    assert [(r.id, r.label, r.source, r.split) for r in rows] == [
        ("mine:1", "skepticism", "user", "train"), ("x2", "support", "user", "train")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "label": "support"}\n{"text": "hm", "label": "angry"}\n', encoding="utf-8")
    try:
        read_labelled_jsonl(bad)
    except ValueError as exc:
        assert "bad.jsonl:2" in str(exc) and "angry" in str(exc)
    else:
        raise AssertionError("a bad label must be an error")
