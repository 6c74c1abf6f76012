"""A loaded classifier as bytes that travel to Dask workers, and the task a worker runs.

The process that holds the database loads (never trains, on a worker) the model once and packs
what inference reads into a ``ModelBundle``: each trained member's model card, int8 ONNX weights
and tokenizer files. A worker unpacks a bundle into a temporary folder, builds the same
classifier from it (once per process and model) and labels batches with it. Nothing here imports
Prefect or Dask: a worker needs only this package, and never reads its own models folder, so a
worker with an empty one labels exactly as the process that shipped the model. What it does read
is its own threads and batch size, through ``worker_settings``, at its two entry points
(``classify_batches``, ``worker_facts``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

import sentiment
from sentiment.classify.base import Classifier
from sentiment.classify.baseline import RuleBaseline
from sentiment.classify.ensemble import Ensemble
from sentiment.classify.inference import CARD_FILE, HF_DIR, ONNX_FILE, TransformerClassifier
from sentiment.settings import LABELS, Settings, get_settings
from sentiment.store.clock import utcnow

Batch = list[tuple[str, str, str | None]]
"""(doc_id, text, thread title) rows of ``pending_documents``, at most ``SENTIMENT_BATCH_SIZE``."""

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt")
"""Files in a model's ``hf/`` folder only the torch backend reads: left behind for ONNX."""


def stances_table(
    classifier: Classifier, batch: list[tuple[str, str, str | None]]
) -> pa.Table:
    """Classify one batch of ``pending_documents`` rows into rows of the ``stances`` table."""
    predictions = classifier.predict([b for _, b, _ in batch], [t for _, _, t in batch])
    now = utcnow()
    return pa.table({
        "doc_id": [d for d, _, _ in batch],
        "model_version": [classifier.model_version] * len(batch),
        "label": [p.label for p in predictions],
        "confidence": [p.confidence for p in predictions],
        **{f"p_{label}": [p.probs[i] for p in predictions] for i, label in enumerate(LABELS)},
        "classified_at": pa.array([now] * len(batch), pa.timestamp("us")),
    })


class WrongModel(RuntimeError):
    """A worker was asked for stances from a model other than the one its weights make."""


class Batches:
    """Consecutive batches handed to a task as one opaque value.

    Prefect walks a task's arguments looking for futures, every tuple of every batch, unless the
    argument is wrapped (its advice for large arguments is ``quote``), and Dask's graph parser
    walks nested lists and tuples looking for keys. The batches travel in this plain object
    instead: neither looks inside it, and it pickles.
    """

    __slots__ = ("items",)

    def __init__(self, items: list[Batch]) -> None:
        self.items = items


@dataclass(frozen=True)
class ModelBundle:
    """What a worker needs to rebuild a classifier: its kind, the ``model_version`` it must
    produce, and for a trained model the files of its folder (relative path → bytes)."""

    kind: str
    """``transformer``, ``ensemble`` (of ``members``) or ``baseline`` (rules, no files)."""
    model_version: str
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    members: tuple[ModelBundle, ...] = ()
    backend: str = "onnx"

    @property
    def size(self) -> int:
        """Bytes shipped, members included."""
        return sum(map(len, self.files.values())) + sum(m.size for m in self.members)


def _folder_files(folder: Path, backend: str) -> dict[str, bytes]:
    """The files inference reads: the card, the int8 ONNX weights and ``hf/`` (the tokenizer;
    with the torch backend also its weights)."""
    paths = [folder / CARD_FILE, folder / ONNX_FILE]
    paths += sorted(p for p in (folder / HF_DIR).rglob("*") if p.is_file()
                    and (backend == "torch" or not p.name.endswith(_WEIGHT_SUFFIXES)))
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in paths}


def bundle_of(classifier: Classifier) -> ModelBundle:
    """Pack a loaded classifier (a trained preset, an ensemble of them, or the rule baseline)."""
    if isinstance(classifier, Ensemble):
        return ModelBundle("ensemble", classifier.model_version,
                           members=tuple(bundle_of(m) for m in classifier.members))
    if isinstance(classifier, TransformerClassifier):
        return ModelBundle("transformer", classifier.model_version,
                           _folder_files(classifier.folder, classifier.backend), backend=classifier.backend)
    if isinstance(classifier, RuleBaseline):
        return ModelBundle("baseline", classifier.model_version)
    raise TypeError(f"cannot ship a {type(classifier).__name__} to Dask workers")


def _build(bundle: ModelBundle, settings: Settings) -> Classifier:
    """The classifier ``bundle`` packs, run with ``settings``' threads and batch size."""
    if bundle.kind == "baseline":
        return RuleBaseline()
    if bundle.kind == "ensemble":
        return Ensemble([_build(m, settings) for m in bundle.members])
    with tempfile.TemporaryDirectory(prefix="sentiment-model-") as tmp:
        for rel, data in bundle.files.items():
            target = Path(tmp, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        # ONNX Runtime and the tokenizer read everything at load: the folder can go afterwards.
        return TransformerClassifier(Path(tmp), backend=bundle.backend, threads=settings.threads,
                                     batch_size=settings.infer_batch_size)


def _content_key(bundle: ModelBundle) -> str:
    digest = hashlib.sha256(bundle.kind.encode())
    for rel, data in sorted(bundle.files.items()):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    for member in bundle.members:
        digest.update(_content_key(member).encode())
    return digest.hexdigest()


_HELD: OrderedDict[str, Classifier] = OrderedDict()
_LOCK = threading.Lock()
_HOLD = 2
"""Models a worker process keeps loaded (two flows with different models may share a cluster)."""


def held_classifier(bundle: ModelBundle, settings: Settings) -> Classifier:
    """The classifier ``bundle``'s bytes make, built once per worker process (keyed by the bytes,
    not by the name a bundle claims) with ``settings``' threads and batch size."""
    key = _content_key(bundle)
    with _LOCK:
        if key not in _HELD:
            _HELD[key] = _build(bundle, settings)
            while len(_HELD) > _HOLD:
                _HELD.popitem(last=False)
        _HELD.move_to_end(key)
        return _HELD[key]


def worker_settings() -> Settings:
    """The settings of the Dask worker process this runs in (its own ``SENTIMENT_THREADS`` and
    ``SENTIMENT_INFER_BATCH_SIZE``, not the shipping process's). Dask calls ``classify_batches``
    and ``worker_facts`` in a worker process that has no entry point of ours to pass settings in,
    so this is the one place in the library that reads them itself."""
    return get_settings()


def classify_batches(bundle: ModelBundle, model_version: str, batches: Batches) -> list[pa.Table]:
    """The Dask task (a worker's entry point): stances for consecutive batches, one ``stances``
    table per batch, from the model ``bundle`` holds; no database access. Refuses (``WrongModel``)
    when the weights this worker holds make another ``model_version`` than the one the batches ask
    for, so no stance is ever stored under a version that did not produce it."""
    classifier = held_classifier(bundle, worker_settings())
    if classifier.model_version != model_version:
        raise WrongModel(f"this worker holds {classifier.model_version}, the batches ask for {model_version}: "
                         "refusing to label them with other weights")
    with _LOCK:  # one forward pass at a time per process (tokenizers are not thread-safe)
        return [stances_table(classifier, batch) for batch in batches.items]


def worker_facts() -> dict:
    """What a worker process brings (run there by ``client.run``, a worker's entry point): package
    version, inference threads, CPU cores (checked by the process that ships work before it sends
    any)."""
    return {"version": sentiment.__version__, "threads": worker_settings().threads, "cpus": os.cpu_count() or 1}
