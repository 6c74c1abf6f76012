"""Classifier quality and speed, every contender on the same texts in one run.

Prints macro-F1 on the authored dev split (events never trained on) and comments/s on 2 CPU threads for:
each trained preset through ONNX Runtime int8 (the default path) and through torch fp32 (the
reference), the rule baseline, and VADER's compound score mapped to the labels.

    python benchmarks/classifier.py [--models models] [--threads 2] [--repeat 2]

When the real-comment development set is there (``../shared/real-dev/comments.jsonl`` beside the
checkout, or ``--real-dev FILE``), it first prints each contender's figures on those real forum
comments: macro-F1, per-label F1, ECE and the AUROC of confidence (right vs wrong labels), and
comments/s on their real lengths. Real-dev is a yardstick only: nothing is trained or fitted on it.

Presets that are not trained yet are skipped (train them with `sentiment train --preset NAME`).
It ends with the machine's ceiling: the matrix-multiply throughput it reaches in fp32 (torch) and
int8 (ONNX Runtime) on a transformer-sized product, and what that allows per preset given the
multiply-adds one comment of the dev split costs — no kernel runs a whole model faster than the
products inside it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sentiment.classify.baseline import RuleBaseline  # noqa: E402
from sentiment.classify.examples import bundled_examples  # noqa: E402
from sentiment.classify.ensemble import Ensemble  # noqa: E402
from sentiment.classify.metrics import score  # noqa: E402
from sentiment.classify.base import Prediction  # noqa: E402
from sentiment.classify.inference import TransformerClassifier, is_trained  # noqa: E402
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


REAL_DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "real-dev" / "comments.jsonl"


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
            "per_label": scores.per_label_f1, "per_s": len(texts) / best, "ece": scores.ece,
            "auroc": scores.confidence_auroc}


def gemm_rates(threads: int, m: int) -> tuple[float, float]:
    """Operations/s of one (m×768)·(768×3072) product — a transformer's feed-forward layer over
    m tokens — in torch fp32 and in ONNX Runtime int8 (dynamic, per-channel weights), the best
    kernels either backend has for the models' bulk."""
    import tempfile

    import onnx
    import onnxruntime as ort
    import torch
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    k, n = 768, 3072
    rng = np.random.default_rng(0)
    weight = (rng.standard_normal((k, n)) * 0.05).astype(np.float32)
    x = rng.standard_normal((m, k)).astype(np.float32)
    ops = 2.0 * m * k * n

    def best(call, repeat: int = 20) -> float:
        call()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        return ops / min(times)

    torch.set_num_threads(threads)
    xt, wt = torch.from_numpy(x), torch.from_numpy(weight)
    fp32 = best(lambda: xt @ wt)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="ffn")], "ffn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, n])],
        [numpy_helper.from_array(weight, "w")])
    with tempfile.TemporaryDirectory() as tmp:
        plain, quant = Path(tmp) / "ffn.onnx", Path(tmp) / "ffn.int8.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(plain))
        logging.getLogger().setLevel(logging.ERROR)  # the quantiser's pre-processing advice
        quantize_dynamic(str(plain), str(quant), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(quant), options, providers=["CPUExecutionProvider"])
        int8 = best(lambda: session.run(None, {"x": x}))
    return fp32, int8


def ceiling(models: Path, texts, titles, threads: int) -> dict[str, float]:
    """Print the fastest any backend could classify ``texts`` on this machine, per preset;
    returns each preset's int8 ceiling in comments/s."""
    from transformers import AutoConfig, AutoTokenizer

    from sentiment.classify.tokens import encode
    from sentiment.classify.inference import HF_DIR, read_card

    costs = {}  # preset -> (tokens per comment with its own tokenizer, weights in the encoder's linear layers)
    for preset in ("accurate", "fast"):
        folder = models / preset
        if not is_trained(folder):
            continue
        tokenizer = AutoTokenizer.from_pretrained(folder / HF_DIR)
        tokens = np.mean([len(r) for r in encode(tokenizer, texts, titles, int(read_card(folder)["max_length"]))])
        # every token passes through each layer's four attention projections and two feed-forward
        # matrices; the classification head sees one token
        config = AutoConfig.from_pretrained(folder / HF_DIR)
        hidden, inner = config.hidden_size, config.intermediate_size
        costs[preset] = tokens, config.num_hidden_layers * (4 * hidden * hidden + 2 * hidden * inner)
    if not costs:
        return {}
    fp32, int8 = gemm_rates(threads, m=32 * int(round(next(iter(costs.values()))[0])))
    print(f"\nceiling on this machine ({threads} threads): a feed-forward-sized product runs at "
          f"{fp32 / 1e9:.0f} GFLOP/s in torch fp32 and {int8 / 1e9:.0f} GOP/s in ONNX Runtime int8 "
          f"({int8 / fp32:.1f}×)")
    limits = {}
    for preset, (tokens, weights) in costs.items():
        per_comment = 2.0 * weights * tokens  # multiply-adds of every linear layer, per token
        limits[preset] = int8 / per_comment
        print(f"  {preset}: {weights / 1e6:.1f}M weights in the encoder's linear layers, {tokens:.0f} tokens per "
              f"(title, comment), {per_comment / 1e9:.2f} GOP per comment → at most {fp32 / per_comment:.0f}/s fp32, "
              f"{int8 / per_comment:.0f}/s int8 (attention scores, softmax, layer norms and tokenising not counted)")
    return limits


def table(rows: list[dict], quality: bool) -> None:
    head = f"\n{'classifier':<24} {'macro-F1':>8} {'comments/s':>11}"
    if quality:
        head += f" {'ECE':>6} {'AUROC':>6}"
    print(head + "   per-label F1 (" + ", ".join(LABELS) + ")")
    for r in rows:
        per = " ".join(f"{r['per_label'][label]:.2f}" for label in LABELS)
        line = f"{r['name']:<24} {r['macro_f1']:>8.3f} {r['per_s']:>11.1f}"
        if quality:
            auroc = "  n/a" if r["auroc"] is None else f"{r['auroc']:.3f}"
            line += f" {r['ece']:>6.3f} {auroc:>6}"
        print(line + "   " + per)


def real_dev(path: Path, models: Path, threads: int, repeat: int) -> tuple[list, list, list[dict]]:
    """Every contender on the real-comment development set (read, never trained on)."""
    from sentiment.classify.examples import read_labelled_jsonl

    real = read_labelled_jsonl(path)
    texts, titles, gold = [e.text for e in real], [e.thread_title for e in real], [e.label for e in real]
    words = np.array([len(t.split()) for t in texts])
    print(f"real-dev ({path}): {len(real)} real forum comments, {words.mean():.0f} words on average; "
          f"{threads} threads")
    rows = []
    members = []
    for preset in ("accurate", "fast"):
        folder = models / preset
        if is_trained(folder):
            model = TransformerClassifier(folder, backend="onnx", threads=threads)
            members.append(model)
            rows.append(measure(f"{preset} · ONNX int8", model, texts, titles, gold, repeat))
    if len(members) == 2:
        rows.insert(0, measure("ensemble · ONNX int8", Ensemble(members), texts, titles, gold, repeat))
    rows.append(measure("rule baseline", RuleBaseline(), texts, titles, gold, repeat))
    table(rows, quality=True)
    return texts, titles, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--real-dev", type=Path, default=REAL_DEV,
                        help="labelled real comments to measure on (never trained on)")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the machine's matrix-multiply ceiling")
    args = parser.parse_args()

    real_rows: list[dict] = []
    real_texts = real_titles = None
    if args.real_dev.exists():
        real_texts, real_titles, real_rows = real_dev(args.real_dev, args.models, args.threads, args.repeat)
        print()
    else:
        print(f"(no real-comment development set at {args.real_dev}: authored dev figures only)\n")

    dev = bundled_examples("dev")
    texts, titles, gold = [e.text for e in dev], [e.thread_title for e in dev], [e.label for e in dev]
    words = np.array([len(t.split()) for t in texts])
    print(f"authored dev split: {len(dev)} comments written by the project about held-out events, "
          f"{words.mean():.0f} words on average, {(words > 80).mean():.0%} over 80; {args.threads} threads")

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
    onnx_members = [TransformerClassifier(args.models / p, threads=args.threads)
                    for p in ("accurate", "fast") if is_trained(args.models / p)]
    if len(onnx_members) == 2:
        rows.insert(0, measure("ensemble · ONNX int8", Ensemble(onnx_members), texts, titles, gold, args.repeat))
    rows.append(measure("rule baseline", RuleBaseline(), texts, titles, gold, args.repeat))
    try:
        rows.append(measure("VADER → labels", Vader(), texts, titles, gold, args.repeat))
    except ImportError:
        print("  (vaderSentiment not installed; pip install -e '.[dev]')")
    table(rows, quality=True)
    by_name = {r["name"]: r for r in rows}
    for preset in ("accurate", "fast"):
        onnx, torch = by_name.get(f"{preset} · ONNX int8"), by_name.get(f"{preset} · torch fp32")
        if onnx and torch:
            print(f"{preset}: ONNX int8 is {onnx['per_s'] / torch['per_s']:.1f}× its torch fp32 path "
                  f"({onnx['version']})")
    if not args.no_ceiling:
        # the ceiling on real-length comments when real-dev is there: that is what users classify
        limits = ceiling(args.models, real_texts or texts, real_titles or titles, args.threads)
        for r in real_rows or rows:
            preset = r["name"].split(" ")[0]
            if preset in limits and "ONNX" in r["name"]:
                print(f"  {preset}: {r['per_s']:.1f}/s measured = {r['per_s'] / limits[preset]:.0%} of its int8 ceiling "
                      f"on {'real-dev' if real_rows else 'authored dev'} lengths")


if __name__ == "__main__":
    main()
