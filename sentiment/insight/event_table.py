"""One event's window table as display rows, shared by the CLI's event table and the weekly brief.

Each row is one window (e.g. ``-7..-1``) with its dates, its document count ``n``, whether that
count is under the smallest readable window (``small``), and per stance its count, share and
Wilson 95% interval (no share or interval for an empty window). Both tables format these the
same numbers, so what they show cannot drift apart.
"""

from __future__ import annotations

import pandas as pd


def window_rows(group: pd.DataFrame, min_n: int) -> list[dict]:
    """``group``, one event's rows of ``event_window_table`` (window and label order), as one dict
    per window: ``window``, ``date_from``, ``date_to``, ``n``, ``small`` and ``cells`` (per label:
    ``n``, ``share``, ``low``, ``high``, the last three None when the window is empty)."""
    windows = []
    for window, rows in group.groupby("window", sort=False):
        first = rows.iloc[0]
        cells = {r.label: {"n": int(r.n), "share": None if r.n_window == 0 else float(r.share),
                           "low": None if r.n_window == 0 else float(r.ci_low),
                           "high": None if r.n_window == 0 else float(r.ci_high)}
                 for r in rows.itertuples()}
        windows.append({"window": window, "date_from": first.date_from, "date_to": first.date_to,
                        "n": int(first.n_window), "small": int(first.n_window) < min_n, "cells": cells})
    return windows
