"""How good a classifier is: macro-F1, per-label F1, the confusion matrix, calibration.

Kept free of torch so the rule baseline, the ONNX path and the benchmark share one definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sentiment.settings import LABELS


@dataclass
class Scores:
    """Quality of predictions against gold labels."""

    n: int
    macro_f1: float
    accuracy: float
    per_label_f1: dict[str, float]
    confusion: list[list[int]]
    """Rows are the true label, columns the predicted one, both in ``LABELS`` order."""
    mean_probs: list[list[float]] = field(default_factory=list)
    """Per true label, the mean predicted probability vector (for probabilistic quantification)."""
    ece: float | None = None
    confidence_auroc: float | None = None
    """How well confidence ranks right labels above wrong ones (0.5: not at all; 1: perfectly)."""

    def as_dict(self) -> dict:
        return {
            "n": self.n, "macro_f1": round(self.macro_f1, 4), "accuracy": round(self.accuracy, 4),
            "per_label_f1": {k: round(v, 4) for k, v in self.per_label_f1.items()},
            "confusion": self.confusion,
            "mean_probs": [[round(x, 4) for x in row] for row in self.mean_probs],
            "ece": None if self.ece is None else round(self.ece, 4),
            "confidence_auroc": None if self.confidence_auroc is None else round(self.confidence_auroc, 4),
        }


def score(gold: Sequence[str], probs: np.ndarray) -> Scores:
    """Scores for probability rows ``probs`` (``LABELS`` order) against ``gold`` labels."""
    probs = np.asarray(probs, dtype=np.float64)
    truth = np.array([LABELS.index(g) for g in gold])
    pred = probs.argmax(axis=1) if len(probs) else np.array([], dtype=int)
    k = len(LABELS)
    confusion = np.zeros((k, k), dtype=int)
    np.add.at(confusion, (truth, pred), 1)
    per_label = {}
    for i, label in enumerate(LABELS):
        tp = confusion[i, i]
        precision = tp / confusion[:, i].sum() if confusion[:, i].sum() else 0.0
        recall = tp / confusion[i, :].sum() if confusion[i, :].sum() else 0.0
        per_label[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    mean_probs = [
        probs[truth == i].mean(axis=0).tolist() if (truth == i).any() else [0.0] * k for i in range(k)
    ]
    return Scores(
        n=len(truth),
        macro_f1=float(np.mean(list(per_label.values()))),
        accuracy=float((pred == truth).mean()) if len(truth) else 0.0,
        per_label_f1=per_label,
        confusion=confusion.tolist(),
        mean_probs=mean_probs,
        ece=expected_calibration_error(truth, probs) if len(truth) else None,
        confidence_auroc=confidence_auroc(truth, probs) if len(truth) else None,
    )


def confidence_auroc(truth: np.ndarray, probs: np.ndarray) -> float | None:
    """AUROC of the top probability as a score separating right from wrong labels (ties count
    half); ``None`` when every label is right or every label is wrong."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == truth
    right, wrong = confidence[correct], confidence[~correct]
    if not len(right) or not len(wrong):
        return None
    greater = (right[:, None] > wrong[None, :]).sum()
    ties = (right[:, None] == wrong[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(right) * len(wrong)))


def expected_calibration_error(truth: np.ndarray, probs: np.ndarray, bins: int = 10) -> float:
    """Top-label ECE: the gap between confidence and accuracy, averaged over confidence bins."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == truth
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, gold: Sequence[str]) -> float:
    """The temperature that minimises dev negative log-likelihood (Guo et al., 2017)."""
    from scipy.optimize import minimize_scalar  # only training calibrates: scipy stays off import

    truth = np.array([LABELS.index(g) for g in gold])

    def nll(t: float) -> float:
        p = softmax(logits, t)
        return float(-np.log(p[np.arange(len(truth)), truth] + 1e-12).mean())

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)
