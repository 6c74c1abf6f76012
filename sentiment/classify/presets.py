"""The two trained classifiers users choose between: ``accurate`` and ``fast``.

A preset fixes everything that decides what a training run produces (encoder, schedule, seed),
so ``sentiment train --preset NAME`` is reproducible and its ``model_version`` names it.
"""

from __future__ import annotations

from dataclasses import dataclass

PRESET_NAMES: tuple[str, ...] = ("accurate", "fast")


@dataclass(frozen=True)
class Preset:
    """Hyper-parameters of one trained classifier."""

    name: str
    encoder: str
    """``mpnet`` or ``minilm`` (see ``sentiment.classify.encoders``)."""
    learning_rate: float
    epochs: int
    batch_size: int
    max_length: int
    """Tokens per (title, comment) pair; longer pairs lose the end of the longer part."""
    freeze_layers: int
    """Lower transformer layers (and the embeddings) kept frozen: cheaper training. ``accurate``
    tunes every layer: on real comments that scored 0.550 macro-F1 (3 seeds) against 0.503 with 8 of 12
    frozen (README, "The classifier")."""
    seed: int = 13
    warmup: float = 0.1
    weight_decay: float = 0.01
    label_smoothing: float = 0.05
    class_weights: bool = True
    """Weigh the loss by (the square root of) inverse label frequency."""
    distill_weight: float = 0.0
    """Share of the loss that matches the ``accurate`` model's probabilities, when available."""
    probe_epochs: int = 0
    """Epochs training only the fresh head on the frozen encoder before fine-tuning (LP-FT,
    Kumar et al., 2022: a random head distorts pretrained features on the way to fitting). Off in
    both presets: it raised authored dev but not real-dev macro-F1 (README, "The classifier")."""
    probe_learning_rate: float = 1e-3


PRESETS: dict[str, Preset] = {
    "accurate": Preset(
        name="accurate", encoder="mpnet", learning_rate=2e-5, epochs=3, batch_size=16,
        max_length=128, freeze_layers=0,
    ),
    "fast": Preset(
        name="fast", encoder="minilm", learning_rate=1.2e-4, epochs=3, batch_size=16,
        max_length=128, freeze_layers=2, distill_weight=0.5,
    ),
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}") from None
