"""`sentiment shares`: the file contract, its JSON, and bad input that exits 2 with no result."""

import json

import numpy as np
from typer.testing import CliRunner

from sentiment.cli import app
from sentiment.settings import LABELS


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _predictions(tmp_path, n=400, seed=0):
    """A model that calls everything neutral-ish while the truth is mostly concern."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(4, size=n, p=[0.6, 0.1, 0.1, 0.2])
    rows = []
    for i in range(n):
        p = np.full(4, 0.1)
        p[3 if rng.random() < 0.6 else truth[i]] += 0.6
        rows.append({"id": f"d{i}", "label": LABELS[int(p.argmax())], "confidence": float(p.max()),
                     "scores": dict(zip(LABELS, map(float, p))), "model_version": "fast-minilm-x-s13"})
    return _write(tmp_path / "pred.jsonl", rows), truth


def test_shares_without_an_audit_are_the_models_and_say_so(tmp_path):
    pred, _ = _predictions(tmp_path)
    result = CliRunner().invoke(app, ["shares", str(pred)])
    assert result.exit_code == 0, result.output
    assert "not corrected" in result.output and "fast classifier scores macro-F1 0.44" in result.output
    assert "sentiment label --audit 100" in result.output
    as_json = CliRunner().invoke(app, ["shares", str(pred), "--json"])
    out = json.loads(as_json.stdout.splitlines()[0])
    assert out["corrected"] is False and out["method"] == "model" and out["n"] == 400 and out["n_audit"] == 0


def test_shares_with_an_audit_are_corrected_toward_the_truth(tmp_path):
    pred, truth = _predictions(tmp_path)
    audit = _write(tmp_path / "audit.jsonl", [{"id": f"d{i}", "label": LABELS[truth[i]]} for i in range(0, 400, 4)])
    result = CliRunner().invoke(app, ["shares", str(pred), "--audit", str(audit), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.splitlines()[0])
    assert set(out) == {"n", "n_audit", "method", "corrected", "shares"}
    assert out["corrected"] is True and out["method"] == "ppi" and out["n"] == 400 and out["n_audit"] == 100
    true_share = np.bincount(truth, minlength=4) / len(truth)
    for i, label in enumerate(LABELS):
        s = out["shares"][label]
        assert s["ci_low"] <= true_share[i] <= s["ci_high"], label
    table = CliRunner().invoke(app, ["shares", str(pred), "--audit", str(audit)])
    assert "n_audit 100" in table.output and "PPI++" in table.output


def test_bad_input_names_the_lines_exits_2_and_prints_no_result(tmp_path):
    pred, _ = _predictions(tmp_path, n=20)
    bad = _write(tmp_path / "bad.jsonl", [{"id": "d1", "label": "concern"}, {"id": "nope", "label": "concern"},
                                          {"id": "d2", "label": "angry"}, {"id": "d1", "label": "support"}])
    with bad.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
    result = CliRunner().invoke(app, ["shares", str(pred), "--audit", str(bad), "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    for expected in ("line 2: id 'nope' is not in the predictions", "line 3: unknown label 'angry'",
                     "line 4: duplicate id 'd1'", "line 5: not JSON"):
        assert expected in result.stderr, expected
    broken = _write(tmp_path / "broken.jsonl", [{"id": "a", "scores": {"concern": 1.0}}])
    result = CliRunner().invoke(app, ["shares", str(broken)])
    assert result.exit_code == 2 and "line 1: scores must give a probability" in result.stderr
    missing = CliRunner().invoke(app, ["shares", str(tmp_path / "absent.jsonl")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
