"""The trained model, for real (marked slow: the first run trains the fast preset)."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from sentiment.classify.examples import bundled_examples
from sentiment.classify.inference import TransformerClassifier
from sentiment.cli import app
from sentiment.settings import LABELS
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow


def test_card_describes_the_model(fast_model):
    card = fast_model.card
    assert card["model_version"].startswith("fast-minilm-") and card["labels"] == list(LABELS)
    assert card["n_train"] >= 1500 and card["n_dev"] >= 250 and len(card["data_hash"]) == 64
    assert card["train_seconds"] > 0 and card["trained_at"]
    dev = card["dev"]
    assert 0 <= dev["macro_f1"] <= 1 and len(dev["confusion"]) == 4 and sum(map(sum, dev["confusion"])) == card["n_dev"]
    assert card["ece"] is not None and card["temperature"] > 0
    assert (fast_model.folder / "README.md").read_text(encoding="utf-8").startswith("# Stance model")


def test_model_beats_the_rule_baseline_on_the_dev_split(fast_model):
    from sentiment.classify.baseline import RuleBaseline
    from sentiment.classify.metrics import score

    dev = bundled_examples("dev")
    texts, titles, gold = [e.text for e in dev], [e.thread_title for e in dev], [e.label for e in dev]
    model_f1 = score(gold, np.array([p.probs for p in fast_model.predict(texts, titles)])).macro_f1
    base_f1 = score(gold, np.array([p.probs for p in RuleBaseline().predict(texts, titles)])).macro_f1
    assert model_f1 > base_f1 + 0.05


def test_onnx_int8_agrees_with_torch_on_the_dev_split(fast_model):
    dev = bundled_examples("dev")
    texts, titles = [e.text for e in dev], [e.thread_title for e in dev]
    torch_model = TransformerClassifier(fast_model.folder, backend="torch")
    onnx = fast_model.logits(texts, titles).argmax(axis=1)
    reference = torch_model.logits(texts, titles).argmax(axis=1)
    assert (onnx == reference).mean() >= 0.98


def test_predictions_do_not_depend_on_batch_composition(fast_model):
    """Alone or in a batch, a comment gets the same label. The int8 path quantises activations
    with a scale taken per batch (dynamic quantisation), so its probabilities may move a little;
    the torch path moves by float rounding only (measured with today's fast model: up to 0.063
    on int8, labels equal)."""
    from sentiment.classify.metrics import softmax

    dev = bundled_examples("dev")[:40]
    texts, titles = [e.text for e in dev], [e.thread_title for e in dev]
    torch_model = TransformerClassifier(fast_model.folder, backend="torch")
    for model, tolerance in ((fast_model, 0.1), (torch_model, 1e-3)):
        together = softmax(model.logits(texts, titles))[:5]
        alone = np.vstack([softmax(model.logits([t], [h])) for t, h in zip(texts[:5], titles[:5])])
        assert (together.argmax(axis=1) == alone.argmax(axis=1)).all()
        assert np.abs(together - alone).max() < tolerance


def test_classify_file_with_the_real_model(fast_model, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"id": "1", "text": "Thanks for years of great open models, you will be missed!"},
            {"id": "2", "text": "Sure, 'personal reasons'. Nobody believes that.", "thread_title": "Lead leaves the lab"},
            {"id": "3", "text": "<script>alert(1)</script> which quant fits 8GB?"}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["classify-file", str(src), str(out), "--preset", "fast"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in lines] == ["1", "2", "3"]
    assert all(r["model_version"] == fast_model.model_version and r["label"] in LABELS for r in lines)


def test_demo_end_to_end_with_the_trained_model(fast_model, tmp_path, monkeypatch):
    monkeypatch.setenv("SENTIMENT_DEMO_CLASSIFIER", "fast")
    from sentiment.settings import get_settings

    get_settings.cache_clear()
    db = tmp_path / "demo.duckdb"
    result = CliRunner().invoke(app, ["--db", str(db), "demo", "--seeds", str(SEEDS)])
    assert result.exit_code == 0, result.output
    from sentiment.store import connect

    with connect(db) as con:
        version, n = con.execute(
            "SELECT model_version, count(*) FROM classified_documents GROUP BY 1").fetchone()
        assert version == fast_model.model_version and n >= 550
        labels = dict(con.execute("SELECT label, count(*) FROM classified_documents GROUP BY 1").fetchall())
        assert len(labels) == 4 and max(labels.values()) < 0.7 * n


def test_eval_prints_scores_for_a_labelled_file(fast_model, tmp_path):
    f = tmp_path / "gold.jsonl"
    f.write_text("".join(json.dumps({"text": e.text, "label": e.label, "thread_title": e.thread_title}) + "\n"
                         for e in bundled_examples("dev")[:30]), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(f), "--model", "fast"])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "skepticism" in result.output


def test_the_version_names_the_weights_and_the_model_travels_as_bytes(fast_model):
    """``model_version`` ends in the weights' digest; the bytes a Dask worker gets (an ensemble's
    every member, no torch weights) rebuild a classifier with the same version and probabilities."""
    import pickle
    import re

    from sentiment.classify.ensemble import Ensemble
    from sentiment.classify.inference import ONNX_FILE, versioned, weights_digest
    from sentiment.classify.shipped import bundle_of, held_classifier
    from sentiment.settings import Settings

    digest = weights_digest(fast_model.folder)
    assert fast_model.model_version == versioned(fast_model.card["model_version"], digest)
    assert re.fullmatch(r"fast-minilm-[0-9a-f]{10}-s13-w[0-9a-f]{8}", fast_model.model_version)
    assert fast_model.card.get("weights_sha256", digest) == digest  # cards written since record it

    ensemble = Ensemble([fast_model, fast_model])
    bundle = pickle.loads(pickle.dumps(bundle_of(ensemble)))
    assert [m.model_version for m in bundle.members] == [fast_model.model_version] * 2
    files = bundle.members[0].files
    assert ONNX_FILE in files and "card.json" in files and any(f.startswith("hf/tokenizer") for f in files)
    assert not any(f.endswith((".safetensors", ".bin")) for f in files)
    rebuilt = held_classifier(bundle, Settings())
    assert rebuilt.model_version == ensemble.model_version
    dev = bundled_examples("dev")[:40]
    texts, titles = [e.text for e in dev], [e.thread_title for e in dev]
    np.testing.assert_allclose([p.probs for p in rebuilt.predict(texts, titles)],
                               [p.probs for p in fast_model.predict(texts, titles)], atol=1e-6)
