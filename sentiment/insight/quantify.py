"""Shares corrected for the classifier's known errors (quantification).

A classifier that confuses concern with skepticism 20% of the time biases every raw share. The
dev split measured how: ``confusion[i][j]`` counts documents of true label i predicted as j, and
``mean_probs[i]`` is the mean predicted probability vector of true-label-i documents. If ``M`` is
the row-normalised confusion matrix, the expected predicted mix is ``q = Mᵀ p`` for a true mix
``p``, so adjusted classify-and-count (ACC) solves that system for ``p``; probabilistic ACC (PACC)
does the same with mean probabilities instead of hard counts (Forman 2008; Bella et al. 2010).
Solutions are constrained to the simplex (non-negative, summing to one).

Intervals include both sources of uncertainty: a parametric bootstrap redraws the dev confusion
counts (multinomial per true label) and mean probabilities (Dirichlet with the row's n as
concentration) *and* the documents being measured (multinomial counts; a normal draw of the mean
probability vector from the documents' covariance), then re-solves; the 2.5/97.5 percentiles
are the interval.

The card is the ``active_model_card`` meta key (CONTRACTS.md); without it only raw shares exist.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import duckdb
import numpy as np
from scipy.optimize import nnls

from sentiment.settings import LABELS
from sentiment.store.writes import get_meta

MODEL_CARD_KEY = "active_model_card"
_SUM_WEIGHT = 1e3  # weight of the "shares sum to one" row in the constrained least squares


@dataclass(frozen=True)
class ModelCard:
    """What the dev split measured about the active classifier."""

    model_version: str
    labels: tuple[str, ...]
    dev_n: int
    macro_f1: float | None
    per_label_f1: dict[str, float]
    confusion: np.ndarray  # rows = true label, cols = predicted, in LABELS order
    mean_probs: np.ndarray | None  # rows = true label
    ece: float | None

    @property
    def misclassification(self) -> np.ndarray:
        """``M[i, j]`` = P(predicted j | true i), rows without dev examples left as identity."""
        rows = self.confusion.sum(axis=1, keepdims=True)
        m = np.divide(self.confusion, rows, out=np.eye(len(self.labels)), where=rows > 0)
        return m


def parse_model_card(raw: str | None) -> ModelCard | None:
    """Read the card JSON; ``None`` when absent. Labels are reordered to ``LABELS``."""
    if not raw:
        return None
    data = json.loads(raw)
    labels = tuple(data["labels"])
    if sorted(labels) != sorted(LABELS):
        raise ValueError(f"model card labels {labels} are not the stance labels {LABELS}")
    order = [labels.index(label) for label in LABELS]
    dev = data["dev"]
    confusion = np.asarray(dev["confusion"], dtype=float)[np.ix_(order, order)]
    mean_probs = dev.get("mean_probs")
    if mean_probs is not None:
        mean_probs = np.asarray(mean_probs, dtype=float)[np.ix_(order, order)]
    return ModelCard(
        model_version=str(data["model_version"]), labels=LABELS, dev_n=int(dev.get("n", confusion.sum())),
        macro_f1=dev.get("macro_f1"), per_label_f1=dict(dev.get("per_label_f1") or {}),
        confusion=confusion, mean_probs=mean_probs, ece=data.get("ece"),
    )


def load_model_card(con: duckdb.DuckDBPyConnection) -> ModelCard | None:
    """The active classifier's card, if the classify step recorded one for the active model."""
    card = parse_model_card(get_meta(con, MODEL_CARD_KEY))
    active = get_meta(con, "active_model_version")
    if card is not None and active is not None and card.model_version != active:
        return None  # a card of another model says nothing about these labels
    return card


def solve_simplex(m: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The mix ``p`` on the simplex whose expected observation ``Mᵀ p`` is closest to ``q``."""
    k = len(q)
    a = np.vstack([m.T, _SUM_WEIGHT * np.ones((1, k))])
    b = np.concatenate([q, [_SUM_WEIGHT]])
    p, _ = nnls(a, b)
    total = p.sum()
    return p / total if total > 0 else np.full(k, 1 / k)


def acc(predicted_counts: np.ndarray, card: ModelCard) -> np.ndarray:
    """Adjusted classify-and-count: the true mix behind hard-label counts."""
    n = predicted_counts.sum()
    return solve_simplex(card.misclassification, predicted_counts / n)


def pacc(mean_prob: np.ndarray, card: ModelCard) -> np.ndarray:
    """Probabilistic ACC: the true mix behind the documents' mean probability vector."""
    if card.mean_probs is None:
        raise ValueError("the model card has no mean_probs: PACC needs them")
    return solve_simplex(card.mean_probs, mean_prob)


@dataclass(frozen=True)
class MixEstimate:
    """One estimate of the four shares with 95% intervals, in ``LABELS`` order."""

    method: str  # raw, prob, acc, pacc
    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int
    draws: np.ndarray | None = None  # bootstrap draws (B × labels), kept for paired differences


def _percentiles(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.percentile(draws, 2.5, axis=0), np.percentile(draws, 97.5, axis=0)


def _around(share: np.ndarray, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval, widened if needed so it contains the point estimate (a boundary
    solution can sit just outside its own bootstrap percentiles)."""
    low, high = _percentiles(draws)
    return np.minimum(low, share), np.maximum(high, share)


def _draw_confusions(card: ModelCard, rng: np.random.Generator, b: int) -> np.ndarray:
    rows = card.confusion.sum(axis=1)
    m = card.misclassification
    out = np.empty((b, *m.shape))
    for i, n in enumerate(rows.astype(int)):
        out[:, i, :] = rng.multinomial(n, m[i], size=b) / n if n > 0 else m[i]
    return out


def _draw_mean_probs(card: ModelCard, rng: np.random.Generator, b: int) -> np.ndarray:
    rows = card.confusion.sum(axis=1)
    out = np.empty((b, *card.mean_probs.shape))
    for i, n in enumerate(rows):
        alpha = np.maximum(card.mean_probs[i] * max(n, 1.0), 1e-3)
        out[:, i, :] = rng.dirichlet(alpha, size=b)
    return out


@dataclass(frozen=True)
class Moments:
    """What the estimators need to know about a set of documents, without the documents.

    ``counts``: predicted-label counts; ``prob_sum``: the sum of their probability rows;
    ``prob_outer``: the sum of the rows' outer products (for the covariance). These add up over
    days, so the trends step keeps them per day in ``stance_day_counts``.
    """

    counts: np.ndarray
    prob_sum: np.ndarray
    prob_outer: np.ndarray

    @property
    def n(self) -> int:
        return int(round(self.counts.sum()))

    @classmethod
    def from_documents(cls, labels: np.ndarray, probs: np.ndarray) -> "Moments":
        k = len(LABELS)
        probs = np.asarray(probs, dtype=float).reshape(-1, k)
        return cls(np.bincount(np.asarray(labels, dtype=np.int64), minlength=k).astype(float),
                   probs.sum(axis=0), probs.T @ probs)


def _draw_doc_means(m: Moments, rng: np.random.Generator, b: int) -> np.ndarray:
    """Bootstrap draws of the documents' mean probability vector (normal approximation)."""
    n = m.n
    mean = m.prob_sum / n
    cov = (m.prob_outer / n - np.outer(mean, mean)) / max(n - 1, 1)
    draws = rng.multivariate_normal(mean, cov, size=b, check_valid="ignore", method="eigh")
    draws = np.clip(draws, 0, None)
    sums = draws.sum(axis=1, keepdims=True)
    return np.divide(draws, sums, out=np.tile(mean, (b, 1)), where=sums > 0)


def estimate_mix(m: Moments, card: ModelCard | None, *, n_boot: int = 200, seed: int = 0,
                 dev_seed: int = 20260303) -> dict[str, MixEstimate]:
    """Raw, probability-weighted and (with a card) ACC and PACC mixes of one set of documents.

    Raw intervals are Wilson. The others come from the bootstrap described in the module
    docstring: documents are redrawn as a multinomial of the predicted counts (ACC) and a normal
    draw of the mean probability vector from its covariance (PACC, prob); the dev side as above.
    The dev draws use ``dev_seed``, so two windows estimated alike share them: the classifier's
    error is common to both, and their difference is paired on it.
    """
    from sentiment.insight.stats import wilson

    n = m.n
    k = len(LABELS)
    out: dict[str, MixEstimate] = {}
    if n == 0:
        nan = np.full(k, math.nan)
        for method in ("raw", "prob") + (("acc", "pacc") if card else ()):
            out[method] = MixEstimate(method, nan, nan, nan, 0)
        return out
    rng, dev_rng = np.random.default_rng(seed), np.random.default_rng(dev_seed)
    raw = m.counts / n
    intervals = np.array([wilson(int(c), n) for c in m.counts])
    count_draws = rng.multinomial(n, raw, size=n_boot) / n
    out["raw"] = MixEstimate("raw", raw, intervals[:, 0], intervals[:, 1], n, count_draws)
    mean_draws = _draw_doc_means(m, rng, n_boot)
    prob = m.prob_sum / n
    out["prob"] = MixEstimate("prob", prob, *_around(prob, mean_draws), n, mean_draws)
    if card is None:
        return out
    confusions = _draw_confusions(card, dev_rng, n_boot)
    acc_draws = np.array([solve_simplex(confusions[i], count_draws[i]) for i in range(n_boot)])
    acc_share = acc(m.counts, card)
    out["acc"] = MixEstimate("acc", acc_share, *_around(acc_share, acc_draws), n, acc_draws)
    if card.mean_probs is not None:
        mps = _draw_mean_probs(card, dev_rng, n_boot)
        pacc_draws = np.array([solve_simplex(mps[i], mean_draws[i]) for i in range(n_boot)])
        pacc_share = pacc(prob, card)
        out["pacc"] = MixEstimate("pacc", pacc_share, *_around(pacc_share, pacc_draws), n, pacc_draws)
    return out


def diff_interval(before: MixEstimate, after: MixEstimate) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of after − before from the two estimates' bootstrap draws."""
    return _percentiles(after.draws - before.draws)
