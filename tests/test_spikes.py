from datetime import date, timedelta

import pandas as pd

from sentiment.insight.spikes import SpikeRule, find_spikes

START = date(2026, 2, 1)


def _daily(volumes, concern=None, source="hn"):
    """Per-day counts: ``volumes[i]`` documents on day i, ``concern[i]`` of them concern, rest neutral."""
    rows = []
    for i, n in enumerate(volumes):
        c = concern[i] if concern else 0
        day = START + timedelta(days=i)
        if c:
            rows.append({"day": day, "source": source, "label": "concern", "n": c})
        if n - c:
            rows.append({"day": day, "source": source, "label": "neutral", "n": n - c})
    return pd.DataFrame(rows)


def test_a_volume_burst_is_a_spike_with_its_reason():
    volumes = [20, 22, 19, 21, 20, 18, 23, 20, 21, 19, 22, 20, 21, 20, 95, 21]
    spikes = find_spikes(_daily(volumes), SpikeRule(baseline_days=14, z_threshold=3.0, min_n=10))
    assert list(zip(spikes.day, spikes.metric)) == [(START + timedelta(days=14), "volume")]
    reason = spikes.reason.iloc[0]
    assert "volume 95" in reason and "previous 14 days" in reason and "≥ 3" in reason


def test_a_jump_in_concern_share_is_a_spike_but_noise_is_not():
    volumes = [40] * 20
    concern = [8, 9, 7, 8, 10, 8, 7, 9, 8, 8, 9, 7, 8, 8, 9, 26, 8, 9, 10, 7]
    spikes = find_spikes(_daily(volumes, concern), SpikeRule(baseline_days=14, z_threshold=3.0, min_n=10))
    assert list(zip(spikes.day, spikes.metric)) == [(START + timedelta(days=15), "concern_share")]
    assert spikes.value.iloc[0] == 26 / 40 and "concern share up" in spikes.reason.iloc[0]


def test_too_little_history_or_volume_is_not_judged():
    assert find_spikes(_daily([5, 5, 60]), SpikeRule(min_baseline_days=7)).empty
    assert find_spikes(_daily([2] * 15 + [9], [0] * 15 + [9]), SpikeRule(min_n=10)).empty
    assert find_spikes(pd.DataFrame(columns=["day", "source", "label", "n"]), SpikeRule()).empty


def test_quiet_days_count_as_zero_volume_in_the_baseline():
    volumes = [10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12]  # rows only on days 0 and 14
    spikes = find_spikes(_daily(volumes), SpikeRule(baseline_days=14, z_threshold=3.0, min_n=10))
    assert list(spikes.metric) == ["volume"]
