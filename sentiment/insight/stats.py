"""Small-sample statistics for shares: Wilson intervals, Newcombe's difference interval, z-tests.

Pure functions of counts, so they can be checked against published values and reused by the
trends step, the brief and the dashboard alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (the ``wilson_low``/``wilson_high`` SQL macros)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, center - half), min(1.0, center + half))


def newcombe_diff(k_after: int, n_after: int, k_before: int, n_before: int,
                  z: float = Z95) -> tuple[float, float, float]:
    """Difference of two independent shares (after − before) with Newcombe's hybrid score interval.

    Newcombe (1998), method 10: it combines the two Wilson intervals, so it stays inside [-1, 1]
    and behaves at small counts and at shares near 0 or 1, where the Wald interval does not.
    Returns ``(difference, low, high)``; NaNs when either window is empty.
    """
    if n_after <= 0 or n_before <= 0:
        return (math.nan, math.nan, math.nan)
    pa, pb = k_after / n_after, k_before / n_before
    la, ua = wilson(k_after, n_after, z)
    lb, ub = wilson(k_before, n_before, z)
    d = pa - pb
    low = d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return (d, max(-1.0, low), min(1.0, high))


def two_proportion_p(k_after: int, n_after: int, k_before: int, n_before: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (equals the 2×2 chi-square test)."""
    if n_after <= 0 or n_before <= 0:
        return math.nan
    pooled = (k_after + k_before) / (n_after + n_before)
    if pooled in (0.0, 1.0):
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_after + 1 / n_before))
    z = (k_after / n_after - k_before / n_before) / se
    return float(2 * norm.sf(abs(z)))


@dataclass(frozen=True)
class ShareShift:
    """One label's move between two windows: the effect size with its interval and its test."""

    label: str
    k_before: int
    n_before: int
    k_after: int
    n_after: int
    share_before: float
    share_after: float
    diff: float
    diff_low: float
    diff_high: float
    p_value: float
    too_small: bool


def share_shift(label: str, k_before: int, n_before: int, k_after: int, n_after: int,
                *, min_n: int) -> ShareShift:
    """Effect size (difference in share, Newcombe interval) and z-test for one label."""
    d, low, high = newcombe_diff(k_after, n_after, k_before, n_before)
    return ShareShift(
        label=label, k_before=k_before, n_before=n_before, k_after=k_after, n_after=n_after,
        share_before=k_before / n_before if n_before else math.nan,
        share_after=k_after / n_after if n_after else math.nan,
        diff=d, diff_low=low, diff_high=high,
        p_value=two_proportion_p(k_after, n_after, k_before, n_before),
        too_small=n_before < min_n or n_after < min_n,
    )
