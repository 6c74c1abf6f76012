"""The brief's charts, drawn offline with matplotlib (Agg) as PNG bytes.

PNGs keep untrusted text (event names) out of the HTML markup: the pages embed them as
``data:`` images and the Markdown links the files written beside it. Event names are drawn as
plain text (``parse_math=False``): a ``$`` in a name is not mathtext, which could fail the brief.
"""

from __future__ import annotations

import io
from datetime import date

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sentiment.settings import LABELS  # noqa: E402

COLORS = {"concern": "#d95f02", "skepticism": "#7570b3", "support": "#1b9e77", "neutral": "#8c8c8c"}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def share_over_time(daily: pd.DataFrame, events: list[tuple[str, date]], week: tuple[date, date]) -> bytes:
    """Stance share over time: 7-day rolling share per label (lines), daily share (dots, sized by
    volume), events as dashed vertical lines, the brief's week shaded.

    ``daily`` has columns day, label, n, n_day, share, share_7d (``stance_trend_daily``, source 'all').
    """
    fig, (ax, vol) = plt.subplots(2, 1, figsize=(9, 4.6), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1], "hspace": 0.08})
    ax.axvspan(pd.Timestamp(week[0]), pd.Timestamp(week[1]) + pd.Timedelta(hours=23), color="#fff3c4", lw=0)
    if not daily.empty:
        frame = daily.assign(day=pd.to_datetime(daily["day"]))
        top = max(float(frame["n_day"].max()), 1.0)
        for label in LABELS:
            rows = frame[frame["label"] == label].sort_values("day")
            ax.plot(rows["day"], rows["share_7d"], color=COLORS[label], lw=2, label=label)
            ax.scatter(rows["day"], rows["share"], color=COLORS[label], alpha=0.35,
                       s=8 + 60 * rows["n_day"] / top, lw=0)
        volume = frame.drop_duplicates("day").sort_values("day")
        vol.bar(volume["day"], volume["n_day"], width=0.8, color="#9aa5b1")
    for i, (name, day) in enumerate(events):
        for axis in (ax, vol):
            axis.axvline(pd.Timestamp(day), color="black", ls="--", lw=1)
        ax.annotate(name[:48], (pd.Timestamp(day), 1.0 - 0.09 * (i % 3)), xytext=(3, -2),
                    textcoords="offset points", fontsize=7, va="top", parse_math=False)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel("share (7-day rolling)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    vol.set_ylabel("documents/day", fontsize=8)
    vol.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    fig.autofmt_xdate()
    return _png(fig)


def before_after(rows: list[dict], title: str) -> bytes:
    """Before/after shares per label with 95% intervals. ``rows``: label, method, window,
    share, ci_low, ci_high (one event, 'all' sources)."""
    methods = [m for m in ("raw", "ppi") if any(r["method"] == m for r in rows)]
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 3), sharey=True, squeeze=False)
    for ax, method in zip(axes[0], methods):
        for j, window in enumerate(("-7..-1", "0..+6")):
            for i, label in enumerate(LABELS):
                r = next((r for r in rows if r["method"] == method and r["window"] == window
                          and r["label"] == label), None)
                if r is None or r["share"] is None:
                    continue
                x = i + (j - 0.5) * 0.3
                ax.errorbar(x, r["share"], yerr=[[r["share"] - r["ci_low"]], [r["ci_high"] - r["share"]]],
                            fmt="o" if j else "s", color=COLORS[label], mfc="white" if j == 0 else COLORS[label],
                            capsize=3)
        ax.set_xticks(range(len(LABELS)), LABELS, fontsize=8)
        ax.set_title({"raw": "classifier labels (Wilson)", "ppi": "corrected by the audit (PPI++)"}[method],
                     fontsize=9)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{title[:70]}: before (open, -7..-1) vs after (filled, 0..+6)", fontsize=9, parse_math=False)
    return _png(fig)
