"""Label shares from the model's probabilities, corrected by a random audit: PPI++.

The classifier's mean probability over every document is precise but biased (it is right about
half the time on real comments); the share of a uniformly random audited sample is unbiased but
noisy. Prediction-powered inference (Angelopoulos et al., Science 2023) adds the two: the mean
probability over all ``N`` documents plus a *rectifier*, the audited sample's mean of
(human label − model probability). PPI++ (Angelopoulos, Duchi and Zrnic 2023) weighs the model by
a power-tuning ``λ`` chosen from the sample, clipped to [0, 1], per label:

    θ̂ = λ · mean_N(f) + mean_n(y − λ f),     λ = Cov_n(y, f) / ((1 + n/N) · Var_N(f))

with a 95% interval from the variance ``λ² Var_N(f)/N + Var_n(y − λ f)/n``. At ``λ = 0`` it is the audit's
own share, so it is never much worse than the labels alone, and it tightens as the model improves.
The interval is Wilson's score form at the effective sample size ``p(1 − p)/variance``, so small
shares are not under-covered as a symmetric interval would at audits of 50–100.
``ppi_py.ppi_mean_ci(..., lam_optim_mode="element")`` (the authors' package) computes the same; a
test checks them against each other.

Only moments of the documents are needed (counts, probability sums and squares), so the trends
step estimates from ``stance_day_counts`` without reading the documents again.

Degenerate cases fall back to what the audit alone can say, and say so (``note``):
- fewer than :data:`MIN_AUDIT` audited documents: no correction at all (the model's shares);
- a label the audit never (or always) saw: its Wilson interval from the audit alone, since the
  normal interval of a constant is zero-width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sentiment.insight.stats import Z95, wilson
from sentiment.settings import LABELS

MIN_AUDIT = 10
"""Fewest audited documents a correction uses; below it shares are the model's, not corrected."""


@dataclass(frozen=True)
class Audit:
    """Audited documents: the human label and the model's probability row for each."""

    labels: np.ndarray  # int indices into LABELS, shape (n,)
    probs: np.ndarray  # shape (n, len(LABELS))

    @property
    def n(self) -> int:
        return int(len(self.labels))

    @property
    def onehot(self) -> np.ndarray:
        out = np.zeros((self.n, len(LABELS)))
        out[np.arange(self.n), self.labels.astype(int)] = 1.0
        return out

    @classmethod
    def from_rows(cls, labels: list[str], probs: list[list[float]] | np.ndarray) -> "Audit":
        k = len(LABELS)
        return cls(np.array([LABELS.index(lab) for lab in labels], dtype=int),
                   np.asarray(probs, dtype=float).reshape(-1, k))

    def subset(self, mask: np.ndarray) -> "Audit":
        return Audit(self.labels[mask], self.probs[mask])


@dataclass(frozen=True)
class PopulationMoments:
    """What PPI++ needs of the ``n`` documents being measured: sums of probabilities and squares."""

    n: int
    prob_sum: np.ndarray
    prob_sq_sum: np.ndarray

    @classmethod
    def from_probs(cls, probs: np.ndarray) -> "PopulationMoments":
        probs = np.asarray(probs, dtype=float).reshape(-1, len(LABELS))
        return cls(len(probs), probs.sum(axis=0), (probs * probs).sum(axis=0))


@dataclass(frozen=True)
class ShareEstimate:
    """Four shares (``LABELS`` order) with 95% intervals and how they were made."""

    method: str
    """``ppi`` (model + audit), ``audit`` (labels only), or ``model`` (not corrected)."""
    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    se: np.ndarray
    n: int
    n_audit: int
    lam: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS)))
    notes: tuple[str, ...] = ()

    @property
    def corrected(self) -> bool:
        return self.method == "ppi"


def _model_only(pop: PopulationMoments, n_audit: int, note: str) -> ShareEstimate:
    k = len(LABELS)
    if pop.n == 0:
        nan = np.full(k, math.nan)
        return ShareEstimate("model", nan, nan, nan, nan, 0, n_audit, notes=(note,))
    mean = pop.prob_sum / pop.n
    var = np.maximum(pop.prob_sq_sum / pop.n - mean**2, 0.0)
    se = np.sqrt(var / pop.n)
    return ShareEstimate("model", mean, np.clip(mean - Z95 * se, 0, 1), np.clip(mean + Z95 * se, 0, 1),
                         se, pop.n, n_audit, notes=(note,))


def _effective_wilson(share: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% intervals: Wilson's score interval at the effective sample size ``p(1 − p)/se²``.

    A symmetric normal interval under-covers small shares at audit sizes of 50–100 (as Wald's
    does); Wilson's form at the effective size keeps PPI++'s width and bends away from 0 and 1
    (the effective-sample-size Wilson interval used for survey designs).
    """
    p = np.clip(share, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(se > 0, p * (1 - p) / se**2, np.inf)
    low, high = share.copy(), share.copy()
    for i in range(len(p)):
        if np.isfinite(n_eff[i]) and n_eff[i] > 0:
            z2 = Z95 * Z95 / n_eff[i]
            center = (p[i] + z2 / 2) / (1 + z2)
            half = Z95 * math.sqrt(p[i] * (1 - p[i]) / n_eff[i] + z2 / (4 * n_eff[i])) / (1 + z2)
            low[i], high[i] = center - half, center + half
        elif se[i] > 0:  # a share at 0 or 1 with spread: fall back to the normal interval
            low[i], high[i] = share[i] - Z95 * se[i], share[i] + Z95 * se[i]
    return low, high


def _ppi_mean(y: np.ndarray, f: np.ndarray, u_sum: np.ndarray, u_sq: np.ndarray, big_n: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PPI++ mean of ``big_n`` unlabelled rows (given by sums) with labelled ``y``, ``f``: (θ, se, λ).

    λ follows ``ppi_py``'s element-wise choice (its variance is over labelled and unlabelled
    predictions together, ddof 1), so the two agree to rounding.
    """
    n = len(y)
    mean_u = u_sum / big_n
    var_u = np.maximum(u_sq / big_n - mean_u**2, 0.0)
    m = n + big_n
    var_all = np.maximum((u_sq + (f * f).sum(0) - (u_sum + f.sum(0)) ** 2 / m) / max(m - 1, 1), 0.0)
    cov = ((y - y.mean(0)) * (f - f.mean(0))).mean(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(var_all > 0, cov / ((1 + n / big_n) * var_all), 0.0)
    lam = np.clip(np.nan_to_num(lam), 0.0, 1.0)
    rect = y - lam * f
    return lam * mean_u + rect.mean(0), np.sqrt(lam**2 * var_u / big_n + rect.var(0) / n), lam


def ppi_shares(pop: PopulationMoments, audit: Audit, *, audit_in_population: bool = True,
               min_audit: int = MIN_AUDIT) -> ShareEstimate:
    """PPI++ estimate of the four label shares of ``pop`` from a uniform random ``audit``.

    With ``audit_in_population`` (the audit was drawn from these documents) the audited
    documents count with their true labels and PPI++ estimates the rest, so the estimate is
    exact when everything is audited. Otherwise (an audit pooled from other windows) the whole
    population is estimated, assuming the classifier errs alike there.
    """
    n, big_n = audit.n, pop.n
    if n < min_audit or big_n == 0:
        why = ("no documents" if big_n == 0 else
               f"model shares, not corrected: {n} audited documents (a correction needs {min_audit})")
        return _model_only(pop, n, why)
    y, f = audit.onehot, audit.probs
    exact = audit_in_population and big_n == n
    if audit_in_population:
        rest = big_n - n
        if rest < 0:
            raise ValueError(f"the audit ({n}) is larger than the population ({big_n}) it was drawn from")
        if rest == 0:
            share, se, lam = y.mean(0), np.zeros(len(LABELS)), np.zeros(len(LABELS))
        else:
            theta, _, lam = _ppi_mean(y, f, pop.prob_sum - f.sum(0), pop.prob_sq_sum - (f * f).sum(0), rest)
            share = (y.sum(0) + rest * theta) / big_n
            # The rest's probabilities are known exactly; what is random is which documents the
            # audit drew, so the error is mean_audit(r) − mean_rest(r) for r = y − λf, whose
            # variance under sampling without replacement is S²_r (1/n + 1/rest).
            var_r = (y - lam * f).var(0, ddof=1) if n > 1 else np.zeros(len(LABELS))
            se = np.sqrt(var_r * (1 / n + 1 / rest)) * rest / big_n
    else:
        share, se, lam = _ppi_mean(y, f, pop.prob_sum, pop.prob_sq_sum, big_n)
    low, high = _effective_wilson(share, se)
    notes: list[str] = []
    counts = y.sum(0).astype(int)
    for i, label in enumerate(LABELS):
        if counts[i] in (0, n) and not exact:
            low[i], high[i] = wilson(int(counts[i]), n)
            share[i] = counts[i] / n
            notes.append(f"{label}: {'no' if counts[i] == 0 else 'every'} audited document had it; "
                         "audit-only Wilson interval")
    if not audit_in_population:
        notes.append("audit pooled from other documents: assumes the classifier errs alike here")
    return ShareEstimate("ppi", share, np.clip(low, 0, 1), np.clip(high, 0, 1), se, big_n, n, lam,
                         tuple(notes))


def audit_only(audit: Audit) -> ShareEstimate:
    """The audit's own shares with Wilson intervals: the labels-only baseline PPI++ must beat."""
    n = audit.n
    counts = audit.onehot.sum(0) if n else np.zeros(len(LABELS))
    intervals = np.array([wilson(int(c), n) for c in counts])
    share = counts / n if n else np.full(len(LABELS), math.nan)
    se = np.sqrt(share * (1 - share) / n) if n else share
    return ShareEstimate("audit", share, intervals[:, 0], intervals[:, 1], se, n, n)


def shift(before: ShareEstimate, after: ShareEstimate) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """after − before with a 95% interval, treating the two estimates as independent.

    With a separate audit per window they are; with one pooled audit the two rectifiers are
    positively correlated, so the independent interval is wider than the truth (conservative).
    """
    diff = after.share - before.share
    half = Z95 * np.sqrt(before.se**2 + after.se**2)
    return diff, np.clip(diff - half, -1, 1), np.clip(diff + half, -1, 1)
