"""Stance classification: the model interface, the models, and the classify step."""

from sentiment.classify.base import Classifier, Prediction
from sentiment.classify.registry import available_classifiers, load_classifier

__all__ = ["Classifier", "Prediction", "available_classifiers", "load_classifier"]
