"""The classifiers a user can name (``--model``, ``SENTIMENT_CLASSIFIER``) and how each is loaded.

``baseline`` is the rule baseline; ``accurate`` and ``fast`` are the trained presets (trained
first on a machine that has none yet); ``ensemble`` averages both presets. Where trained models
live and how they run come from the ``Settings`` the caller passes in.
"""

from __future__ import annotations

from collections.abc import Callable

from sentiment.classify.base import Classifier, ProgressFn
from sentiment.classify.baseline import RuleBaseline
from sentiment.classify.ensemble import Ensemble
from sentiment.classify.inference import is_trained
from sentiment.classify.lifecycle import load_preset, model_dir
from sentiment.settings import Settings

Loader = Callable[[Settings | None, ProgressFn | None], Classifier]
"""Builds a registered classifier from the caller's settings (``None`` is enough for ``baseline``)."""


def _baseline(settings: Settings | None, on_progress: ProgressFn | None) -> Classifier:
    return RuleBaseline()


def _needs(settings: Settings | None, name: str) -> Settings:
    if settings is None:
        raise TypeError(f"the {name!r} classifier needs settings (where trained models live, how they run)")
    return settings


def _trained(preset: str) -> Loader:
    def load(settings: Settings | None, on_progress: ProgressFn | None) -> Classifier:
        return load_preset(preset, _needs(settings, preset), on_progress=on_progress)

    return load


def _ensemble(settings: Settings | None, on_progress: ProgressFn | None) -> Classifier:
    settings = _needs(settings, "ensemble")
    return Ensemble([load_preset(p, settings, on_progress=on_progress) for p in ("accurate", "fast")])


_REGISTRY: dict[str, Loader] = {
    "accurate": _trained("accurate"),
    "fast": _trained("fast"),
    "ensemble": _ensemble,
    "baseline": _baseline,
}
_PRESETS_NEEDED: dict[str, tuple[str, ...]] = {"accurate": ("accurate",), "fast": ("fast",),
                                               "ensemble": ("accurate", "fast"), "baseline": ()}


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


def untrained_presets(name: str, settings: Settings) -> list[str]:
    """The presets classifier ``name`` needs that this machine has not trained yet (loading it
    would train them first, for minutes): none for ``baseline``, both at most for ``ensemble``."""
    return [p for p in _PRESETS_NEEDED.get(name, ()) if not is_trained(model_dir(settings, p))]


def available_classifiers() -> list[str]:
    return sorted(_REGISTRY)


def load_classifier(name: str, settings: Settings | None = None, *,
                    on_progress: ProgressFn | None = None) -> Classifier:
    """The classifier registered under ``name`` (see ``available_classifiers``).

    A trained preset (``accurate``, ``fast``; ``ensemble`` averages both) that this machine has
    not trained yet is trained first; ``on_progress(phase, done, total)`` follows that training.
    ``settings`` says where trained presets live and how they run; the rule baseline needs none.
    """
    try:
        load = _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown classifier {name!r}; choose one of {', '.join(available_classifiers())}"
        ) from None
    return load(settings, on_progress)
