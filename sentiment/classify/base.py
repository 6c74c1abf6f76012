"""The classifier interface every stance model implements.

A classifier turns a batch of texts (each with an optional thread title for context) into one
label and four probabilities per text, ordered as ``LABELS``, and names itself with a
``model_version`` that is stored beside every stance it produces. The models (``baseline``,
``ensemble``, ``inference``) and everything that uses one (``registry``, ``run``, ``shipped``)
import this module and nothing else of each other's.
"""

from __future__ import annotations

from collections.abc import Sequence
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
