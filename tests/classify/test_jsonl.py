"""`sentiment classify-file`: the input contract is checked before any work is done."""

import json

import pytest

from sentiment.classify.baseline import RuleBaseline
from sentiment.classify.jsonl import InputError, classify_jsonl, read_inputs


def test_rows_are_read_in_order_with_optional_titles(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "b", "text": "thanks team"}\n\n{"id": 7, "text": "source?", "thread_title": "T"}\n',
                   encoding="utf-8")
    rows = read_inputs(src)
    assert [(r.id, r.thread_title) for r in rows] == [("b", None), ("7", "T")]


def test_every_bad_line_is_named_and_nothing_is_labelled(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "ok"}\n{"id": "a", "text": "again"}\n{"text": "no id"}\nnot json\n'
                   '{"id": "c", "text": 5}\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_inputs(src)
    message = str(info.value)
    for part in ("4 bad lines", "line 2: duplicate id", "line 3: missing id", "line 4: not JSON", "line 5: missing text"):
        assert part in message


def test_output_lines_follow_the_contract_in_input_order(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out" / "labels.jsonl"
    texts = ["I doubt it'll ever be released", "great models, thanks team", "source?"]
    src.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(texts)),
                   encoding="utf-8")
    n = classify_jsonl(read_inputs(src), out, RuleBaseline(), batch_size=2)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert n == 3 and [r["id"] for r in lines] == ["r0", "r1", "r2"]
    for r in lines:
        assert set(r) == {"id", "label", "confidence", "scores", "model_version"}
        assert set(r["scores"]) == {"concern", "skepticism", "support", "neutral"}
        assert sum(r["scores"].values()) == pytest.approx(1.0, abs=1e-4)
        assert r["confidence"] == pytest.approx(max(r["scores"].values()), abs=1e-6)
    assert [r["label"] for r in lines] == ["skepticism", "support", "neutral"]
