"""Model shares of a set of documents: hard-label counts and mean probabilities, with intervals.

Neither is corrected for the classifier's error. Corrections come from a random audit of the
documents (``sentiment.insight.ppi``), because error rates measured on the project's own
writing do not hold on real comments (see the README's "The classifier"): the earlier
ACC/PACC correction from the authored dev split's confusion matrix made real shares worse.

Raw intervals are Wilson; the probability-weighted share's interval comes from a normal draw of
the documents' mean probability vector (its covariance from the moments), kept as bootstrap
draws so two windows' difference has an interval too.

The model card (``active_model_card`` meta key, CONTRACTS.md) says what the dev split measured
about the active classifier; the brief quotes it beside the real-comment figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import duckdb
import numpy as np

from sentiment.settings import LABELS
from sentiment.store.writes import get_meta

MODEL_CARD_KEY = "active_model_card"


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


@dataclass(frozen=True)
class MixEstimate:
    """One estimate of the four shares with 95% intervals, in ``LABELS`` order."""

    method: str  # raw, prob
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


def estimate_mix(m: Moments, *, n_boot: int = 200, seed: int = 0) -> dict[str, MixEstimate]:
    """Raw (Wilson) and probability-weighted (normal draws of the mean) shares of one set of documents."""
    from sentiment.insight.stats import wilson

    n = m.n
    k = len(LABELS)
    if n == 0:
        nan = np.full(k, math.nan)
        return {method: MixEstimate(method, nan, nan, nan, 0) for method in ("raw", "prob")}
    rng = np.random.default_rng(seed)
    raw = m.counts / n
    intervals = np.array([wilson(int(c), n) for c in m.counts])
    count_draws = rng.multinomial(n, raw, size=n_boot) / n
    mean_draws = _draw_doc_means(m, rng, n_boot)
    prob = m.prob_sum / n
    return {"raw": MixEstimate("raw", raw, intervals[:, 0], intervals[:, 1], n, count_draws),
            "prob": MixEstimate("prob", prob, *_around(prob, mean_draws), n, mean_draws)}


def diff_interval(before: MixEstimate, after: MixEstimate) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of after − before from the two estimates' bootstrap draws."""
    return _percentiles(after.draws - before.draws)
