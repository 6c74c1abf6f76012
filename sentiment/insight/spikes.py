"""Spike alerts: days whose volume or worried/doubtful share leaves its recent baseline.

For each source (and 'all') and each calendar day, the baseline is the previous
``baseline_days`` days (the day itself excluded, empty days counted as zero volume):

- volume: z = (n − mean) / sd, with sd at least √mean (Poisson) so a flat baseline does not
  make every small wobble a spike;
- concern share, skepticism share: z = (p − p₀) / √(p₀(1 − p₀)/n), p₀ the pooled share over
  the baseline days, for days with at least ``min_n`` documents and baselines with at least
  ``min_n`` documents.

A day is a spike when |z| ≥ ``z_threshold`` (upward only for volume). Each row says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

SHARE_METRICS = ("concern", "skepticism")


@dataclass(frozen=True)
class SpikeRule:
    baseline_days: int = 14
    z_threshold: float = 3.0
    min_n: int = 10
    min_baseline_days: int = 7  # days of history (non-empty or not) needed before judging


def find_spikes(daily: pd.DataFrame, rule: SpikeRule) -> pd.DataFrame:
    """Spikes from per-day counts: ``daily`` has columns day, source, label, n.

    Returns columns day, source, metric, value, baseline, z, n, n_baseline, reason.
    """
    columns = ["day", "source", "metric", "value", "baseline", "z", "n", "n_baseline", "reason"]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    wide = daily.pivot_table(index=["source", "day"], columns="label", values="n",
                             aggfunc="sum", fill_value=0)
    wide["total"] = wide.sum(axis=1)
    for label in SHARE_METRICS:
        if label not in wide:
            wide[label] = 0
    rows: list[dict] = []
    w = rule.baseline_days
    for source, frame in wide.groupby(level="source", sort=True):
        frame = frame.droplevel("source")
        frame.index = pd.to_datetime(frame.index)
        calendar = pd.date_range(frame.index.min(), frame.index.max(), freq="D")
        frame = frame.reindex(calendar, fill_value=0)
        prev = frame.shift(1)
        volume_mean = prev["total"].rolling(w, min_periods=rule.min_baseline_days).mean()
        volume_sd = prev["total"].rolling(w, min_periods=rule.min_baseline_days).std(ddof=1)
        base_total = prev["total"].rolling(w, min_periods=rule.min_baseline_days).sum()
        base_label = {label: prev[label].rolling(w, min_periods=rule.min_baseline_days).sum()
                      for label in SHARE_METRICS}
        for day, n in frame["total"].items():
            mean = volume_mean.loc[day]
            if not math.isnan(mean):
                sd = max(float(np.nan_to_num(volume_sd.loc[day])), math.sqrt(max(mean, 1.0)))
                z = (n - mean) / sd
                if z >= rule.z_threshold and n >= rule.min_n:
                    rows.append(_row(day, source, "volume", float(n), mean, z, int(n), base_total.loc[day],
                                     f"volume {int(n)} vs {mean:.1f}/day over the previous {w} days "
                                     f"(z = {z:.1f} ≥ {rule.z_threshold:g})"))
            nb = base_total.loc[day]
            if n < rule.min_n or math.isnan(nb) or nb < rule.min_n:
                continue
            for label in SHARE_METRICS:
                k0 = base_label[label].loc[day]
                p0, p = k0 / nb, frame.loc[day, label] / n
                se = math.sqrt(max(p0 * (1 - p0), 1.0 / nb) / n)
                z = (p - p0) / se
                if abs(z) >= rule.z_threshold:
                    direction = "up" if z > 0 else "down"
                    rows.append(_row(day, source, f"{label}_share", p, p0, z, int(n), nb,
                                     f"{label} share {direction}: {p:.0%} of {int(n)} vs {p0:.0%} of "
                                     f"{int(nb)} over the previous {w} days (z = {z:+.1f}, "
                                     f"|z| ≥ {rule.z_threshold:g})"))
    return pd.DataFrame(rows, columns=columns)


def _row(day, source, metric, value, baseline, z, n, n_baseline, reason) -> dict:
    return {"day": pd.Timestamp(day).date(), "source": source, "metric": metric, "value": float(value),
            "baseline": float(baseline), "z": float(z), "n": int(n), "n_baseline": int(n_baseline),
            "reason": reason}
