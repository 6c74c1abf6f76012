"""The ensemble averages its members' probabilities and names them in its model version."""

import numpy as np
import pytest

from sentiment.classify import available_classifiers
from sentiment.classify.ensemble import Ensemble
from sentiment.classify.base import Prediction


class _Fixed:
    """A classifier that gives every text the same probabilities."""

    def __init__(self, version, probs):
        self.model_version, self.probs = version, probs

    def predict(self, texts, titles=None):
        return [Prediction(self.probs) for _ in texts]


def test_ensemble_averages_member_probabilities():
    a = _Fixed("a-1", (0.7, 0.1, 0.1, 0.1))
    b = _Fixed("b-2", (0.1, 0.1, 0.6, 0.2))
    preds = Ensemble([a, b]).predict(["x", "y"], ["t", None])
    assert len(preds) == 2
    np.testing.assert_allclose(preds[0].probs, (0.4, 0.1, 0.35, 0.15))
    assert preds[0].label == "concern" and abs(sum(preds[0].probs) - 1) < 1e-12
    assert Ensemble([a, b]).model_version == "ensemble(a-1+b-2)"
    assert Ensemble([a]).predict([], None) == []


def test_an_empty_ensemble_is_refused_and_the_registry_offers_it():
    with pytest.raises(ValueError):
        Ensemble([])
    assert "ensemble" in available_classifiers()
