"""Several classifiers read as one: the mean of their calibrated probabilities.

On real forum comments the two presets make different mistakes, so their average labels better
than either alone (measured on the real-comment development set; see the README), at the cost of
running both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sentiment.classify.base import Classifier, Prediction


class Ensemble:
    """The ``Classifier`` protocol over ``members``, averaging their probabilities."""

    def __init__(self, members: Sequence[Classifier]) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = list(members)
        self.model_version = "ensemble(" + "+".join(m.model_version for m in self.members) + ")"

    def predict(self, texts: Sequence[str], titles: Sequence[str | None] | None = None) -> list[Prediction]:
        """Stances for ``texts``: each member's probabilities, averaged."""
        if not texts:
            return []
        probs = np.mean([[p.probs for p in m.predict(texts, titles)] for m in self.members], axis=0)
        return [Prediction(tuple(float(x) for x in row)) for row in probs]  # type: ignore[arg-type]
