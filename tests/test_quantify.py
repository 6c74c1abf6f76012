"""Model shares on generated data: a known true mix seen through a known noisy classifier."""

import json

import numpy as np
import pytest

from sentiment.insight.quantify import (MODEL_CARD_KEY, Moments, diff_interval, estimate_mix, load_model_card,
                                        parse_model_card)
from sentiment.settings import LABELS
from sentiment.store.writes import ACTIVE_MODEL_KEY, set_meta

# P(predicted j | true i): concern and skepticism are often confused, support leaks to neutral.
NOISE = np.array([
    [0.60, 0.25, 0.03, 0.12],
    [0.20, 0.55, 0.05, 0.20],
    [0.02, 0.05, 0.75, 0.18],
    [0.08, 0.10, 0.07, 0.75],
])
TRUE_MIX = np.array([0.45, 0.10, 0.15, 0.30])


def _simulate(rng, n, mix=TRUE_MIX):
    """True labels, predicted labels drawn through NOISE, and probability rows that agree with them."""
    truth = rng.choice(4, size=n, p=mix)
    predicted = np.array([rng.choice(4, p=NOISE[t]) for t in truth])
    probs = 0.55 * np.eye(4)[predicted] + 0.45 * NOISE[truth]
    return truth, predicted, probs


def _card(rng, n_dev=800, version="m1"):
    truth, predicted, probs = _simulate(rng, n_dev, mix=np.full(4, 0.25))
    confusion = np.zeros((4, 4), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)
    mean_probs = np.array([probs[truth == i].mean(axis=0) for i in range(4)])
    return {"model_version": version, "labels": list(LABELS),
            "dev": {"n": n_dev, "macro_f1": 0.61, "per_label_f1": {lab: 0.6 for lab in LABELS},
                    "confusion": confusion.tolist(), "mean_probs": mean_probs.tolist()},
            "ece": 0.05}


def test_model_shares_are_biased_by_the_classifier_and_their_intervals_say_so_only_for_sampling():
    rng = np.random.default_rng(11)
    _, predicted, probs = _simulate(rng, 4000)
    est = estimate_mix(Moments.from_documents(predicted, probs), n_boot=200)
    assert set(est) == {"raw", "prob"}
    # neither is corrected: with this noise both miss the true concern share by far more than their width
    for e in est.values():
        assert e.share.sum() == pytest.approx(1.0)
        assert not (e.low[0] <= TRUE_MIX[0] <= e.high[0])
        assert np.all(e.low <= e.share) and np.all(e.share <= e.high)


def test_the_difference_of_two_windows_has_an_interval_around_it():
    rng = np.random.default_rng(5)
    _, p1, probs1 = _simulate(rng, 800)
    _, p2, probs2 = _simulate(rng, 800, mix=np.array([0.25, 0.25, 0.25, 0.25]))
    before = estimate_mix(Moments.from_documents(p1, probs1), n_boot=300, seed=1)["prob"]
    after = estimate_mix(Moments.from_documents(p2, probs2), n_boot=300, seed=2)["prob"]
    low, high = diff_interval(before, after)
    diff = after.share - before.share
    assert np.all(low <= diff) and np.all(diff <= high)
    assert high[0] < 0  # concern fell from 0.45 to 0.25: the interval excludes no change


def test_card_labels_are_reordered_to_the_stance_order():
    rng = np.random.default_rng(2)
    card = _card(rng)
    order = [3, 2, 1, 0]
    shuffled = dict(card, labels=[LABELS[i] for i in order])
    conf = np.array(card["dev"]["confusion"])
    shuffled["dev"] = dict(card["dev"], confusion=conf[np.ix_(order, order)].tolist(),
                           mean_probs=np.array(card["dev"]["mean_probs"])[np.ix_(order, order)].tolist())
    assert np.array_equal(parse_model_card(json.dumps(shuffled)).confusion, conf)


def test_the_card_of_another_model_is_ignored(con):
    set_meta(con, ACTIVE_MODEL_KEY, "m2")
    set_meta(con, MODEL_CARD_KEY, json.dumps(_card(np.random.default_rng(0), version="m1")))
    assert load_model_card(con) is None
    set_meta(con, ACTIVE_MODEL_KEY, "m1")
    assert load_model_card(con).model_version == "m1"
