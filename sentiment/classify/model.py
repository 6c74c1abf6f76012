"""The classifier interface every stance model implements, and the registry that loads one.

A classifier turns a batch of texts (each with an optional thread title for context) into one
label and four probabilities per text, ordered as ``LABELS``, and names itself with a
``model_version`` that is stored beside every stance it produces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sentiment.settings import LABELS


@dataclass(frozen=True, slots=True)
class Prediction:
    """One text's stance: the four probabilities (``LABELS`` order) and the winning label."""

    probs: tuple[float, float, float, float]

    @property
    def label(self) -> str:
        return LABELS[max(range(len(LABELS)), key=self.probs.__getitem__)]

    @property
    def confidence(self) -> float:
        return max(self.probs)


class Classifier(Protocol):
    """What the classify step needs from a model."""

    model_version: str

    def predict(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None
    ) -> list[Prediction]:
        """Stances for ``texts``; ``titles[i]`` is the thread title text ``i`` answers, if known."""
        ...


def _baseline(on_progress=None) -> Classifier:
    from sentiment.classify.baseline import RuleBaseline

    return RuleBaseline()


def _trained(preset: str) -> Callable[..., Classifier]:
    def factory(on_progress=None) -> Classifier:
        from sentiment.classify.trained import load_preset
        from sentiment.settings import get_settings

        return load_preset(preset, get_settings(), on_progress=on_progress)

    return factory


def _ensemble(on_progress=None) -> Classifier:
    from sentiment.classify.ensemble import Ensemble

    return Ensemble([_trained(p)(on_progress=on_progress) for p in ("accurate", "fast")])


_REGISTRY: dict[str, Callable[..., Classifier]] = {
    "accurate": _trained("accurate"),
    "fast": _trained("fast"),
    "ensemble": _ensemble,
    "baseline": _baseline,
}


REAL_COMMENT_MACRO_F1: dict[str, float] = {"ensemble": 0.531, "accurate": 0.503, "fast": 0.442, "baseline": 0.252}
"""Macro-F1 on real forum comments (``../shared/real-dev``, 176 comments), as ``benchmarks/levers.py``
printed it (``fast``: mean of 3 training seeds) and the README's "The classifier" quotes it."""


def classifier_name(model_version: str | None) -> str | None:
    """The registered classifier a stored ``model_version`` came from, if it is one of ours."""
    if not model_version:
        return None
    if model_version.startswith("ensemble("):
        return "ensemble"
    head = model_version.split("-", 1)[0]
    return head if head in _REGISTRY else None


def model_share_caveat(model_version: str | None) -> str:
    """One line for shares no audit corrects: what they are, how good the model is, what fixes it."""
    name = classifier_name(model_version)
    f1 = REAL_COMMENT_MACRO_F1.get(name or "")
    quality = (f"the {name} classifier scores macro-F1 {f1:.2f} on real comments (README, The classifier)"
               if f1 is not None else "this classifier has no measured real-comment score")
    return (f"model shares, not corrected: {quality}; label a random audit with "
            "`sentiment label --audit 100` to correct them")


def untrained_presets(name: str) -> list[str]:
    """The presets classifier ``name`` needs that this machine has not trained yet (loading it
    would train them first, for minutes): none for ``baseline``, both at most for ``ensemble``."""
    from sentiment.classify.trained import is_trained, model_dir
    from sentiment.settings import get_settings

    needs = {"accurate": ["accurate"], "fast": ["fast"], "ensemble": ["accurate", "fast"]}.get(name, [])
    return [p for p in needs if not is_trained(model_dir(get_settings(), p))]


def available_classifiers() -> list[str]:
    return sorted(_REGISTRY)


def load_classifier(name: str, *, on_progress: Callable[[str, int, int], None] | None = None) -> Classifier:
    """The classifier registered under ``name`` (see ``available_classifiers``).

    A trained preset (``accurate``, ``fast``; ``ensemble`` averages both) that this machine has
    not trained yet is trained first; ``on_progress(phase, done, total)`` follows that training.
    """
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown classifier {name!r}; choose one of {', '.join(available_classifiers())}"
        ) from None
    return factory(on_progress=on_progress)
