"""Classifier quality and speed, every contender on the same texts in one run.

Prints macro-F1 on the dev split (events never trained on) and comments/s on 2 CPU threads for:
each trained preset through ONNX Runtime int8 (the default path) and through torch fp32 (the
reference), the rule baseline, and VADER's compound score mapped to the labels.

    python benchmarks/classifier.py [--models models] [--threads 2] [--repeat 2]

Presets that are not trained yet are skipped (train them with `sentiment train --preset NAME`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sentiment.classify.baseline import RuleBaseline  # noqa: E402
from sentiment.classify.data import bundled_examples  # noqa: E402
from sentiment.classify.metrics import score  # noqa: E402
from sentiment.classify.model import Prediction  # noqa: E402
from sentiment.classify.transformer import TransformerClassifier, is_trained  # noqa: E402
from sentiment.settings import LABELS  # noqa: E402


class Vader:
    """VADER compound score mapped to stances: negative → concern, positive → support,
    otherwise neutral. A lexicon has no way to express skepticism."""

    model_version = "vader"

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.analyzer = SentimentIntensityAnalyzer()

    def predict(self, texts, titles=None):
        out = []
        for text in texts:
            c = self.analyzer.polarity_scores(text)["compound"]
            label = "concern" if c <= -0.05 else "support" if c >= 0.05 else "neutral"
            probs = [0.0] * 4
            probs[LABELS.index(label)] = 1.0
            out.append(Prediction(tuple(probs)))
        return out


def measure(name: str, classifier, texts, titles, gold, repeat: int) -> dict:
    classifier.predict(texts[:16], titles[:16])  # warm up
    best = float("inf")
    preds = None
    for _ in range(repeat):
        started = time.perf_counter()
        preds = classifier.predict(texts, titles)
        best = min(best, time.perf_counter() - started)
    scores = score(gold, np.array([p.probs for p in preds]))
    return {"name": name, "version": classifier.model_version, "macro_f1": scores.macro_f1,
            "per_label": scores.per_label_f1, "per_s": len(texts) / best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    dev = bundled_examples("dev")
    texts, titles, gold = [e.text for e in dev], [e.thread_title for e in dev], [e.label for e in dev]
    words = np.array([len(t.split()) for t in texts])
    print(f"dev split: {len(dev)} comments from held-out events, {words.mean():.0f} words on average, "
          f"{(words > 80).mean():.0%} over 80; {args.threads} threads")

    rows = []
    for preset in ("accurate", "fast"):
        folder = args.models / preset
        if not is_trained(folder):
            print(f"  ({preset}: not trained at {folder}; skipped)")
            continue
        for backend in ("onnx", "torch"):
            model = TransformerClassifier(folder, backend=backend, threads=args.threads)
            label = f"{preset} · {'ONNX int8' if backend == 'onnx' else 'torch fp32'}"
            rows.append(measure(label, model, texts, titles, gold, args.repeat))
    rows.append(measure("rule baseline", RuleBaseline(), texts, titles, gold, args.repeat))
    try:
        rows.append(measure("VADER → labels", Vader(), texts, titles, gold, args.repeat))
    except ImportError:
        print("  (vaderSentiment not installed; pip install -e '.[dev]')")

    print(f"\n{'classifier':<24} {'macro-F1':>8} {'comments/s':>11}   per-label F1 (" + ", ".join(LABELS) + ")")
    for r in rows:
        per = " ".join(f"{r['per_label'][label]:.2f}" for label in LABELS)
        print(f"{r['name']:<24} {r['macro_f1']:>8.3f} {r['per_s']:>11.1f}   {per}")
    by_name = {r["name"]: r for r in rows}
    for preset in ("accurate", "fast"):
        onnx, torch = by_name.get(f"{preset} · ONNX int8"), by_name.get(f"{preset} · torch fp32")
        if onnx and torch:
            print(f"{preset}: ONNX int8 is {onnx['per_s'] / torch['per_s']:.1f}× its torch fp32 path "
                  f"({onnx['version']})")


if __name__ == "__main__":
    main()
