"""Corrected shares on generated data: a known true mix seen through a known noisy classifier."""

import json

import numpy as np
import pytest

from sentiment.insight.quantify import (MODEL_CARD_KEY, Moments, acc, estimate_mix, load_model_card, pacc,
                                parse_model_card, solve_simplex)
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


def test_adjusted_shares_land_closer_to_the_truth_than_raw():
    rng = np.random.default_rng(11)
    card = parse_model_card(json.dumps(_card(rng, n_dev=4000)))
    _, predicted, probs = _simulate(rng, 4000)
    est = estimate_mix(Moments.from_documents(predicted, probs), card, n_boot=200)
    error = {m: np.abs(e.share - TRUE_MIX).sum() for m, e in est.items()}
    assert error["acc"] < error["raw"] / 2
    assert error["pacc"] < error["prob"] / 2
    assert error["pacc"] < error["raw"] / 2
    for method in ("acc", "pacc"):  # intervals include the truth for every label
        e = est[method]
        assert np.all(e.low <= TRUE_MIX) and np.all(TRUE_MIX <= e.high), method
        assert e.share.sum() == pytest.approx(1.0) and np.all(e.share >= 0)


def test_corrected_intervals_are_wider_than_raw_because_they_carry_classifier_error():
    rng = np.random.default_rng(5)
    card = parse_model_card(json.dumps(_card(rng, n_dev=200)))
    _, predicted, probs = _simulate(rng, 3000)
    est = estimate_mix(Moments.from_documents(predicted, probs), card, n_boot=300)
    raw_width = (est["raw"].high - est["raw"].low).mean()
    assert (est["acc"].high - est["acc"].low).mean() > raw_width


def test_solutions_stay_on_the_simplex():
    p = solve_simplex(NOISE, np.array([0.0, 0.0, 0.05, 0.95]))  # no exact solution inside
    assert np.all(p >= 0) and p.sum() == pytest.approx(1.0)
    assert acc(np.array([10, 0, 0, 0]), parse_model_card(json.dumps(_card(np.random.default_rng(1))))).sum() \
        == pytest.approx(1.0)


def test_exact_inversion_recovers_the_mix():
    assert solve_simplex(NOISE, NOISE.T @ TRUE_MIX) == pytest.approx(TRUE_MIX, abs=1e-6)


def test_card_labels_are_reordered_to_the_stance_order():
    rng = np.random.default_rng(2)
    card = _card(rng)
    order = [3, 2, 1, 0]
    shuffled = dict(card, labels=[LABELS[i] for i in order])
    conf = np.array(card["dev"]["confusion"])
    shuffled["dev"] = dict(card["dev"], confusion=conf[np.ix_(order, order)].tolist(),
                           mean_probs=np.array(card["dev"]["mean_probs"])[np.ix_(order, order)].tolist())
    assert np.array_equal(parse_model_card(json.dumps(shuffled)).confusion, conf)


def test_without_a_card_only_raw_and_probability_weighted_shares():
    rng = np.random.default_rng(4)
    _, predicted, probs = _simulate(rng, 300)
    assert set(estimate_mix(Moments.from_documents(predicted, probs), None)) == {"raw", "prob"}
    with pytest.raises(ValueError, match="mean_probs"):
        pacc(probs.mean(axis=0), parse_model_card(json.dumps(
            dict(_card(rng), dev=dict(_card(rng)["dev"], mean_probs=None)))))


def test_the_card_of_another_model_is_ignored(con):
    set_meta(con, ACTIVE_MODEL_KEY, "m2")
    set_meta(con, MODEL_CARD_KEY, json.dumps(_card(np.random.default_rng(0), version="m1")))
    assert load_model_card(con) is None
    set_meta(con, ACTIVE_MODEL_KEY, "m1")
    assert load_model_card(con).model_version == "m1"
