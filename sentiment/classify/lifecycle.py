"""The trained presets' life cycle: what they train on, where they live, training on first use.

Training data is the bundled labelled comments plus the user's own labels (the ``labels``
table). The ``fast`` preset also learns from the ``accurate`` model's probabilities: from a
local ``accurate`` model when one is trained, else from the bundled ``teacher/accurate.jsonl``
that the project's own ``accurate`` run produced.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb

from sentiment.classify.base import ProgressFn
from sentiment.classify.examples import Example, bundled_examples
from sentiment.classify.finetune import train
from sentiment.classify.inference import TransformerClassifier, is_trained
from sentiment.classify.presets import get_preset
from sentiment.settings import Settings

# Weights come from installed packages only; never let transformers reach a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def model_dir(settings: Settings, preset: str) -> Path:
    """Where preset ``preset`` is (or will be) trained."""
    return settings.models_dir / preset


def user_examples(con: duckdb.DuckDBPyConnection | None) -> list[Example]:
    """The user's own training labels, as examples; audit labels measure models and never train one."""
    if con is None:
        return []
    rows = con.execute(
        "SELECT id, text, label, thread_title, source FROM labels WHERE purpose = 'train' ORDER BY id"
    ).fetchall()
    return [Example(id=f"user:{i}", text=t, label=lab, thread_title=title, source=src, split="train")
            for i, t, lab, title, src in rows]


def training_data(con: duckdb.DuckDBPyConnection | None = None) -> tuple[list[Example], list[Example]]:
    """(train, dev): bundled examples plus the user's labels (always train)."""
    return bundled_examples("train") + user_examples(con), bundled_examples("dev")


def read_teacher(path: Path | Traversable) -> dict[str, list[float]]:
    """A teacher file (as ``write_teacher`` writes it): example id → probabilities."""
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["id"]: row["probs"] for row in rows}


def _bundled_teacher() -> dict[str, list[float]]:
    path = resources.files("sentiment.classify") / "data" / "teacher" / "accurate.jsonl"
    return read_teacher(path) if path.is_file() else {}


def _local_teacher(settings: Settings, examples: Sequence[Example]) -> tuple[dict[str, list[float]], str | None]:
    local = model_dir(settings, "accurate")
    if not examples or not is_trained(local):
        return {}, None
    model = TransformerClassifier(local, threads=settings.threads, batch_size=settings.infer_batch_size)
    probs = model.predict([e.text for e in examples], [e.thread_title for e in examples])
    return {e.id: list(p.probs) for e, p in zip(examples, probs)}, model.model_version


def teacher_probs(settings: Settings, examples: Sequence[Example]) -> tuple[dict[str, list[float]], str]:
    """The ``accurate`` model's probabilities for ``examples`` and where they came from.

    The bundled file covers the bundled data, so every machine distils from the same targets;
    examples it does not cover (the user's labels) are scored by a local ``accurate`` model
    when this machine has one, else trained on their gold label alone.
    """
    bundled = _bundled_teacher()
    found = {e.id: bundled[e.id] for e in examples if e.id in bundled}
    local, version = _local_teacher(settings, [e for e in examples if e.id not in found])
    found.update(local)
    source = "bundled teacher/accurate.jsonl" + (f" + {version}" if version else "")
    return found, source


def write_teacher(settings: Settings, target: Path) -> int:
    """Save the local ``accurate`` model's probabilities on the bundled training data to
    ``target`` (the file the ``fast`` preset distils from on machines without it)."""
    train_examples = bundled_examples("train")
    probs, version = _local_teacher(settings, train_examples)
    if not version:
        raise RuntimeError("train the accurate preset first: sentiment train --preset accurate")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        for ex in train_examples:
            out.write(json.dumps({"id": ex.id, "probs": [round(x, 5) for x in probs[ex.id]],
                                  "model_version": version}) + "\n")
    return len(train_examples)


def train_preset(name: str, settings: Settings, *, con: duckdb.DuckDBPyConnection | None = None,
                 on_progress: ProgressFn | None = None) -> dict:
    """Train preset ``name`` on the current data into the models folder; returns its card."""
    preset = get_preset(name)
    train_examples, dev_examples = training_data(con)
    teacher: dict[str, list[float]] = {}
    teacher_source = None
    if preset.distill_weight > 0:
        teacher, teacher_source = teacher_probs(settings, train_examples)
    card = train(preset, train_examples, dev_examples, model_dir(settings, name),
                 cache=settings.models_dir / "base", threads=settings.threads,
                 teacher=teacher or None, on_progress=on_progress)
    if teacher_source:
        card_path = model_dir(settings, name) / "card.json"
        card["teacher"] = teacher_source
        card_path.write_text(json.dumps(card, indent=2), encoding="utf-8")
    return card


def load_preset(name: str, settings: Settings, *, con: duckdb.DuckDBPyConnection | None = None,
                on_progress: ProgressFn | None = None, backend: str | None = None) -> TransformerClassifier:
    """The trained preset ``name``, trained first if this machine has none yet."""
    get_preset(name)
    folder = model_dir(settings, name)
    if not is_trained(folder):
        train_preset(name, settings, con=con, on_progress=on_progress)
    return TransformerClassifier(folder, backend=backend or settings.infer_backend,
                                 threads=settings.threads, batch_size=settings.infer_batch_size)
