"""The classifier interface every stance model implements.

A classifier turns a batch of texts (each with an optional thread title for context) into one
label and four probabilities per text, ordered as ``LABELS``, and names itself with a
``model_version`` that is stored beside every stance it produces. The models (``baseline``,
``ensemble``, ``inference``) and what runs them (``run``, ``shipped``, ``jsonl``) depend on this
module, never on the ``registry`` that names and loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sentiment.settings import LABELS

ProgressFn = Callable[[str, int, int], None]
"""``(phase, done, total)`` of long work a caller may follow: installing an encoder, training
(``cache``, ``train``, ``evaluate``, ``export``)."""


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
