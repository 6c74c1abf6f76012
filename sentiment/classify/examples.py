"""Labelled examples: the bundled training and dev data, users' own labels, any labelled JSONL.

Every bundled row carries its ``source`` (``authored`` by the project, ``user`` for a user's
own labels) and its ``split``: the dev split holds whole events the model never trains on, so
its score says how the model reads comments about an event it has not seen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from sentiment.classify.jsonl import LabelFileError, json_objects
from sentiment.settings import LABELS

SPLITS = ("train", "dev")
PURPOSES = ("train", "audit")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled comment."""

    id: str
    text: str
    label: str
    thread_title: str | None = None
    event: str | None = None
    source: str = "authored"
    split: str = "train"
    purpose: str = "train"
    """``train``, or ``audit``: a label that measures a model and never trains one."""


def bundled_files() -> list[Path]:
    """The JSONL files shipped with the package, in a stable order."""
    folder = resources.files("sentiment.classify") / "data" / "authored"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".jsonl"))


def read_labelled_jsonl(path: Path, *, default_source: str = "user") -> list[Example]:
    """Examples from a JSONL file with ``text`` and ``label`` (and optional ``id``,
    ``thread_title``, ``event``, ``source``, ``split``, ``purpose``) per line."""
    examples = []
    for number, row, problem in json_objects(path):
        if problem:
            raise LabelFileError(f"{path}:{number}: {problem}")
        text, label = row.get("text"), row.get("label")
        if not isinstance(text, str) or not text.strip():
            raise LabelFileError(f"{path}:{number}: missing text")
        if label not in LABELS:
            raise LabelFileError(f"{path}:{number}: label {label!r} is not one of {LABELS}")
        split = row.get("split", "train")
        if split not in SPLITS:
            raise LabelFileError(f"{path}:{number}: split {split!r} is not one of {SPLITS}")
        purpose = row.get("purpose", "train")
        if purpose not in PURPOSES:
            raise LabelFileError(f"{path}:{number}: purpose {purpose!r} is not one of {PURPOSES}")
        examples.append(Example(
            id=str(row.get("id") or f"{Path(path).stem}:{number}"),
            text=text,
            label=label,
            thread_title=row.get("thread_title") or None,
            event=row.get("event"),
            source=row.get("source") or default_source,
            split=split,
            purpose=purpose,
        ))
    return examples


def bundled_examples(split: str | None = None) -> list[Example]:
    """The project's own labelled data, optionally one split."""
    rows = [ex for path in bundled_files() for ex in read_labelled_jsonl(path, default_source="authored")]
    return [ex for ex in rows if split is None or ex.split == split]


def data_hash(examples: Iterable[Example]) -> str:
    """A digest of exactly what a model was trained on (order-independent). Training examples
    are all ``purpose = 'train'``, so the field stays out and digests from before it still match."""
    lines = sorted(json.dumps({k: v for k, v in asdict(ex).items() if k != "purpose"}, sort_keys=True,
                              ensure_ascii=False) for ex in examples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
