"""A trained stance model read from its folder, run through ONNX Runtime (int8) or torch.

ONNX Runtime with int8 weights is the default: several times faster on a CPU with the same
predictions on almost every comment. The torch path is the reference the ONNX path is checked
against, and what training uses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from sentiment.classify.metrics import softmax
from sentiment.classify.base import Prediction
from sentiment.classify.tokens import encode, pad, sorted_batches

BACKENDS: tuple[str, ...] = ("onnx", "torch")
ONNX_FILE = "model.int8.onnx"
CARD_FILE = "card.json"
HF_DIR = "hf"


def quiet_libraries() -> None:
    """Keep transformers' load reports, its progress bars and the exporters' warnings off the
    user's console: the CLI shows its own progress."""
    import logging
    import warnings

    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
    warnings.filterwarnings("ignore", module=r"torch\.onnx.*")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"transformers.*")


def read_card(folder: Path) -> dict:
    """The model card (``card.json``) of a trained model folder."""
    return json.loads((Path(folder) / CARD_FILE).read_text(encoding="utf-8"))


def weights_digest(folder: Path) -> str:
    """SHA-256 of a trained model's int8 ONNX weights (the bytes inference runs): two models
    with one training recipe but other weights (retrained on other labels, or on another
    machine) get different digests."""
    digest = hashlib.sha256()
    with open(Path(folder) / ONNX_FILE, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def versioned(recipe_version: str, digest: str) -> str:
    """The ``model_version`` stored beside a stance: the card's recipe name (preset, encoder,
    data hash, seed) and the first 8 hex digits of the weights' digest (``-w1a2b3c4d``)."""
    return f"{recipe_version}-w{digest[:8]}"


def is_trained(folder: Path) -> bool:
    """Whether ``folder`` holds a complete trained model (the card is written last)."""
    folder = Path(folder)
    return (folder / CARD_FILE).exists() and (folder / ONNX_FILE).exists() and (folder / HF_DIR).is_dir()


class TransformerClassifier:
    """The ``Classifier`` protocol over a trained model folder."""

    def __init__(self, folder: Path, *, backend: str = "onnx", threads: int = 2,
                 batch_size: int = 32) -> None:
        from transformers import AutoTokenizer

        quiet_libraries()
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.folder = Path(folder)
        self.card = read_card(self.folder)
        self.weights_sha256: str = weights_digest(self.folder)
        self.model_version: str = versioned(self.card["model_version"], self.weights_sha256)
        self.temperature: float = float(self.card.get("temperature", 1.0))
        self.max_length: int = int(self.card["max_length"])
        self.backend = backend
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder / HF_DIR)
        self._run = self._onnx_runner(threads) if backend == "onnx" else self._torch_runner(threads)

    def _onnx_runner(self, threads: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(self.folder / ONNX_FILE), options,
                                       providers=["CPUExecutionProvider"])
        names = {i.name for i in session.get_inputs()}

        def run(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            feed = {"input_ids": input_ids, "attention_mask": mask}
            if "token_type_ids" in names:
                feed["token_type_ids"] = np.zeros_like(input_ids)
            return session.run(["logits"], feed)[0]

        return run

    def _torch_runner(self, threads: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        import torch
        from transformers import AutoModelForSequenceClassification

        torch.set_num_threads(threads)
        model = AutoModelForSequenceClassification.from_pretrained(self.folder / HF_DIR)
        model.eval()

        def run(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                out = model(input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(mask))
            return out.logits.float().numpy()

        return run

    def logits(self, texts: Sequence[str], titles: Sequence[str | None] | None = None) -> np.ndarray:
        """Raw (uncalibrated) logits, one row per text, in input order."""
        ids = encode(self.tokenizer, texts, titles, self.max_length)
        out = np.zeros((len(ids), 4), dtype=np.float64)
        for batch in sorted_batches([len(r) for r in ids], self.batch_size):
            input_ids, mask = pad([ids[i] for i in batch], self.tokenizer.pad_token_id)
            out[batch] = self._run(input_ids, mask)
        return out

    def predict(self, texts: Sequence[str], titles: Sequence[str | None] | None = None) -> list[Prediction]:
        """Calibrated stances (temperature-scaled probabilities), in input order."""
        if not texts:
            return []
        probs = softmax(self.logits(texts, titles), self.temperature)
        return [Prediction(tuple(float(p) for p in row)) for row in probs]  # type: ignore[arg-type]
