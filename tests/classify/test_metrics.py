"""Quality measures against hand-computed values."""

import numpy as np
import pytest

from sentiment.classify.metrics import expected_calibration_error, fit_temperature, score, softmax
from sentiment.settings import LABELS


def _onehot(labels):
    out = np.zeros((len(labels), 4))
    for i, label in enumerate(labels):
        out[i, LABELS.index(label)] = 1.0
    return out


def test_macro_f1_and_confusion_by_hand():
    gold = ["concern", "concern", "skepticism", "support", "neutral", "neutral"]
    pred = ["concern", "skepticism", "skepticism", "support", "neutral", "concern"]
    s = score(gold, _onehot(pred))
    # concern P=1/2 R=1/2 F=.5; skepticism P=1/2 R=1 F=2/3; support 1; neutral P=1 R=1/2 F=2/3
    assert s.per_label_f1["concern"] == pytest.approx(0.5)
    assert s.per_label_f1["skepticism"] == pytest.approx(2 / 3)
    assert s.macro_f1 == pytest.approx((0.5 + 2 / 3 + 1 + 2 / 3) / 4)
    assert s.confusion[0] == [1, 1, 0, 0] and s.confusion[3] == [1, 0, 0, 1]
    assert s.accuracy == pytest.approx(4 / 6)


def test_ece_is_zero_when_confidence_matches_accuracy_and_large_when_overconfident():
    truth = np.array([0, 0, 0, 1])
    calibrated = np.tile([0.75, 0.25 / 3, 0.25 / 3, 0.25 / 3], (4, 1))
    assert expected_calibration_error(truth, calibrated) == pytest.approx(0.0, abs=1e-9)
    over = np.tile([0.99, 0.01 / 3, 0.01 / 3, 0.01 / 3], (4, 1))
    assert expected_calibration_error(truth, over) == pytest.approx(0.24, abs=1e-6)


def test_temperature_scaling_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 4)) * 2.0
    probs = softmax(true_logits)
    gold = [LABELS[rng.choice(4, p=p)] for p in probs]
    assert fit_temperature(true_logits * 3.0, gold) == pytest.approx(3.0, rel=0.1)


def test_confidence_auroc_ranks_right_above_wrong():
    from sentiment.classify.metrics import confidence_auroc

    truth = np.array([0, 0, 1, 1])
    # right labels are the two most confident: perfect ranking
    probs = np.array([[0.9, 0.1, 0, 0], [0.8, 0.2, 0, 0], [0.6, 0.4, 0, 0], [0.7, 0.3, 0, 0]])
    assert confidence_auroc(truth, probs) == 1.0
    # the wrong label is the most confident: the worst ranking
    probs = np.array([[0.6, 0.4, 0, 0], [0.55, 0.45, 0, 0], [0.9, 0.1, 0, 0], [0.2, 0.8, 0, 0]])
    assert confidence_auroc(truth, probs) == 0.0
    # all right: undefined
    assert confidence_auroc(np.array([0]), np.array([[1.0, 0, 0, 0]])) is None
    assert score(["concern", "support"], np.array([[0.9, 0, 0.1, 0], [0.6, 0, 0.4, 0]])).confidence_auroc == 1.0
