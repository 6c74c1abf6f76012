"""Fine-tune an encoder into a 4-way stance classifier and write a self-describing model folder.

The folder holds the torch weights (``hf/``), the int8 ONNX file used for inference, and a model
card (``card.json`` + ``README.md``) with the data hash, dev metrics, calibration and timing.
It is built in a temporary folder and renamed into place, so a crash never leaves half a model.
"""

from __future__ import annotations

import json
import platform
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sentiment.classify.base import ProgressFn
from sentiment.classify.examples import Example, data_hash
from sentiment.classify.encoders import encoder_path
from sentiment.classify.inference import (CARD_FILE, HF_DIR, ONNX_FILE, TransformerClassifier, quiet_libraries,
                                          versioned, weights_digest)
from sentiment.classify.metrics import Scores, fit_temperature, score, softmax
from sentiment.classify.onnx_export import export_int8
from sentiment.classify.presets import Preset
from sentiment.classify.tokens import bucketed_batches, encode, pad
from sentiment.settings import LABELS

def model_version(preset: Preset, digest: str) -> str:
    """Name of the model a preset trains on data with hash ``digest``."""
    return f"{preset.name}-{preset.encoder}-{digest[:10]}-s{preset.seed}"


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class _CachedPrefix:
    """Training with the embeddings and lower layers frozen, their output computed once.

    The frozen prefix gives the same hidden states every epoch, so they are computed a single
    time and the model trains with only its upper layers in the graph: each epoch costs a
    fraction of a full pass. ``restore`` puts the full model back together for export.
    """

    def __init__(self, model, layers: int) -> None:
        import torch

        self.base = model.base_model
        self.layers = layers
        self.embeddings = self.base.embeddings
        self.all_layers = self.base.encoder.layer
        for p in self.embeddings.parameters():
            p.requires_grad = False
        for layer in self.all_layers[:layers]:
            for p in layer.parameters():
                p.requires_grad = False

        class _Stub(torch.nn.Module):
            value = None

            def forward(self, *args, **kwargs):
                return self.value

        self.stub = _Stub()

    def hidden_states(self, ids: list[list[int]], pad_id: int, batch_size: int = 32):
        """Per example, the frozen prefix's output (unpadded), computed in eval mode."""
        import torch

        self.base.encoder.layer = self.all_layers[:self.layers]
        out = [None] * len(ids)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                input_ids, mask = pad([ids[i] for i in batch], pad_id)
                self.base.eval()
                states = self.base(input_ids=torch.from_numpy(input_ids),
                                   attention_mask=torch.from_numpy(mask)).last_hidden_state
                for row, i in enumerate(batch):
                    out[i] = states[row, :len(ids[i])].clone()
        self.base.encoder.layer = self.all_layers[self.layers:]
        self.base.embeddings = self.stub
        return out

    def feed(self, states, batch: list[int]):
        """Load a batch of cached states; returns the attention mask and dummy input ids."""
        import torch

        width = max(states[i].shape[0] for i in batch)
        hidden = torch.zeros((len(batch), width, states[batch[0]].shape[1]))
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            hidden[row, :states[i].shape[0]] = states[i]
            mask[row, :states[i].shape[0]] = 1
        self.stub.value = hidden
        return torch.zeros((len(batch), width), dtype=torch.long), mask

    def restore(self) -> None:
        self.base.embeddings = self.embeddings
        self.base.encoder.layer = self.all_layers


def _class_weights(labels: Sequence[int]) -> np.ndarray:
    counts = np.bincount(np.asarray(labels), minlength=len(LABELS)).astype(np.float64)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / len(LABELS), 0.0)
    return np.sqrt(weights)  # soften: balanced enough, without over-trusting a rare class


def torch_logits(model, tokenizer, examples: Sequence[Example], max_length: int,
                 batch_size: int = 32) -> np.ndarray:
    """Logits of a torch model for ``examples`` (title-paired), in order."""
    import torch

    ids = encode(tokenizer, [e.text for e in examples], [e.thread_title for e in examples], max_length)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), len(LABELS)))
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            input_ids, mask = pad([ids[i] for i in batch], tokenizer.pad_token_id)
            logits = model(input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(mask)).logits
            out[batch] = logits.float().numpy()
    return out


@dataclass
class FineTuned:
    """A fine-tuned torch model with what the model card needs to know about its run."""

    model: object
    tokenizer: object
    version: str
    digest: str
    n_distilled: int
    final_train_loss: float | None
    train_seconds: float


def _silent(phase: str, done: int, total: int) -> None:
    """The ``ProgressFn`` used when the caller follows no progress."""


def _renamed(report: ProgressFn, phase: str, as_phase: str) -> ProgressFn:
    """``report`` with phase ``phase`` reported as ``as_phase``."""
    return lambda name, done, total: report(as_phase if name == phase else name, done, total)


def _base_model(preset: Preset, cache: Path, report: ProgressFn):
    """The preset's pretrained encoder with a fresh 4-way head, and its tokenizer."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    base = encoder_path(preset.encoder, cache, report)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    return model, tokenizer


def _soft_targets(preset: Preset, examples: Sequence[Example],
                  teacher: dict[str, list[float]] | None) -> tuple[np.ndarray, np.ndarray]:
    """The teacher's probabilities per example and which examples have them (none without
    ``distill_weight``)."""
    soft = np.zeros((len(examples), len(LABELS)), dtype=np.float32)
    has_soft = np.zeros(len(examples), dtype=bool)
    if teacher and preset.distill_weight > 0:
        for i, ex in enumerate(examples):
            if ex.id in teacher:
                soft[i] = teacher[ex.id]
                has_soft[i] = True
    return soft, has_soft


def _fit(model, tokenizer, preset: Preset, ids: list[list[int]], gold: np.ndarray, soft: np.ndarray,
         has_soft: np.ndarray, report: ProgressFn) -> list[float]:
    """Train ``model`` for the preset's epochs (frozen layers' output cached); returns the losses."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    ce = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(_class_weights(gold), dtype=torch.float32) if preset.class_weights else None,
        label_smoothing=preset.label_smoothing, reduction="none",
    )
    prefix = _CachedPrefix(model, preset.freeze_layers) if preset.freeze_layers > 0 else None
    params = [p for p in model.parameters() if p.requires_grad]
    rng = np.random.default_rng(preset.seed)
    epochs = [bucketed_batches([len(r) for r in ids], preset.batch_size, rng) for _ in range(preset.epochs)]
    total_steps = sum(len(e) for e in epochs)
    optimizer = torch.optim.AdamW(params, lr=preset.learning_rate, weight_decay=preset.weight_decay)
    schedule = get_linear_schedule_with_warmup(optimizer, int(preset.warmup * total_steps), total_steps)

    states = None
    if prefix is not None:
        report("cache", 0, 1)
        states = prefix.hidden_states(ids, tokenizer.pad_token_id)
        report("cache", 1, 1)
    model.train()
    step = 0
    losses: list[float] = []
    for batches in epochs:
        for batch in batches:
            if prefix is not None:
                input_ids_t, mask_t = prefix.feed(states, batch)
            else:
                input_ids, mask = pad([ids[i] for i in batch], tokenizer.pad_token_id)
                input_ids_t, mask_t = torch.from_numpy(input_ids), torch.from_numpy(mask)
            logits = model(input_ids=input_ids_t, attention_mask=mask_t).logits
            loss = ce(logits, torch.from_numpy(gold[batch]))
            if has_soft[batch].any():
                w = preset.distill_weight
                kl = torch.nn.functional.kl_div(
                    torch.log_softmax(logits, dim=-1), torch.from_numpy(soft[batch]), reduction="none"
                ).sum(dim=-1)
                mask_soft = torch.from_numpy(has_soft[batch]).float()
                loss = (1 - w * mask_soft) * loss + w * mask_soft * kl
            loss = loss.mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            step += 1
            report("train", step, total_steps)
    if prefix is not None:
        prefix.restore()
        del states
    model.eval()
    return losses


def fine_tune(
    preset: Preset,
    train_examples: Sequence[Example],
    *,
    cache: Path,
    threads: int,
    teacher: dict[str, list[float]] | None = None,
    on_progress: ProgressFn | None = None,
) -> FineTuned:
    """Fine-tune ``preset``'s encoder on ``train_examples`` (title-paired) and return the torch model.

    ``teacher`` maps example ids to another model's probabilities; with ``distill_weight`` > 0
    those examples also learn to match them (knowledge distillation).
    """
    import torch

    quiet_libraries()
    report = on_progress or _silent
    started = time.perf_counter()
    torch.set_num_threads(threads)
    _seed_everything(preset.seed)
    digest = data_hash(train_examples)
    model, tokenizer = _base_model(preset, cache, report)
    ids = encode(tokenizer, [e.text for e in train_examples], [e.thread_title for e in train_examples],
                 preset.max_length)
    gold = np.array([LABELS.index(e.label) for e in train_examples])
    soft, has_soft = _soft_targets(preset, train_examples, teacher)
    if preset.probe_epochs > 0:
        probe = replace(preset, freeze_layers=model.config.num_hidden_layers, epochs=preset.probe_epochs,
                        learning_rate=preset.probe_learning_rate, warmup=0.0)
        _fit(model, tokenizer, probe, ids, gold, soft, has_soft, _renamed(report, "train", "probe"))
        for p in model.parameters():
            p.requires_grad = True
    losses = _fit(model, tokenizer, preset, ids, gold, soft, has_soft, report)
    return FineTuned(model, tokenizer, model_version(preset, digest), digest, int(has_soft.sum()),
                     float(np.mean(losses[-20:])) if losses else None, time.perf_counter() - started)


@dataclass
class Calibration:
    """The fine-tuned model on the dev split: its logits, the temperature fitted to them, and its
    scores before (``raw``) and after (``calibrated``) scaling (``None`` without dev examples)."""

    logits: np.ndarray
    gold: list[str]
    temperature: float
    raw: Scores | None
    calibrated: Scores | None


def calibrate(tuned: FineTuned, dev_examples: Sequence[Example], max_length: int) -> Calibration:
    """Score ``tuned`` on the dev split and fit its temperature (1.0 without dev examples)."""
    logits = torch_logits(tuned.model, tuned.tokenizer, dev_examples, max_length)
    gold = [e.label for e in dev_examples]
    if not dev_examples:
        return Calibration(logits, gold, 1.0, None, None)
    temperature = fit_temperature(logits, gold)
    return Calibration(logits, gold, temperature, score(gold, softmax(logits)),
                       score(gold, softmax(logits, temperature)))


def export_weights(tuned: FineTuned, folder: Path) -> None:
    """Write the torch weights and tokenizer (``hf/``) and the int8 ONNX file into ``folder``."""
    tuned.model.save_pretrained(folder / HF_DIR)
    tuned.tokenizer.save_pretrained(folder / HF_DIR)
    export_int8(tuned.model, tuned.tokenizer, folder / ONNX_FILE)


def model_card(preset: Preset, tuned: FineTuned, calibration: Calibration, train_examples: Sequence[Example],
               dev_examples: Sequence[Example], *, weights: str, threads: int) -> dict:
    """The model card of a run: recipe, data, dev scores, calibration, timing and versions;
    ``weights`` is the int8 weights' digest."""
    import torch
    import transformers

    calibrated, raw = calibration.calibrated, calibration.raw
    return {
        "model_version": tuned.version,
        "weights_sha256": weights,
        "stored_version": versioned(tuned.version, weights),
        "preset": preset.name,
        "encoder": preset.encoder,
        "labels": list(LABELS),
        "max_length": preset.max_length,
        "uses_thread_title": True,
        "temperature": calibration.temperature,
        "data_hash": tuned.digest,
        "n_train": len(train_examples),
        "n_dev": len(dev_examples),
        "dev_data": {
            "what": "comments written by the project (not real forum comments) about events never "
                    "trained on; real comments score lower: the README's figures on real comments "
                    "come from benchmarks/classifier.py",
            "sources": dict(Counter(e.source for e in dev_examples)),
            "events": sorted({e.event for e in dev_examples if e.event}),
        },
        "train_label_counts": dict(Counter(e.label for e in train_examples)),
        "train_sources": dict(Counter(e.source for e in train_examples)),
        "n_events_train": len({e.event for e in train_examples if e.event}),
        "n_distilled": tuned.n_distilled,
        "hyperparameters": asdict(preset),
        "final_train_loss": tuned.final_train_loss,
        "train_seconds": round(tuned.train_seconds, 1),
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "threads": threads,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "python": platform.python_version()},
        "dev": calibrated.as_dict() if calibrated else None,
        "ece_uncalibrated": raw.ece if raw else None,
        "ece": calibrated.ece if calibrated else None,
    }


def int8_agreement(folder: Path, dev_examples: Sequence[Example], calibration: Calibration,
                   threads: int) -> dict:
    """How the int8 ONNX path in ``folder`` (the one inference runs) agrees with the torch
    reference on the dev split, and its own dev scores; nothing without dev examples."""
    if not dev_examples:
        return {}
    onnx = TransformerClassifier(folder, backend="onnx", threads=threads)
    logits = onnx.logits([e.text for e in dev_examples], [e.thread_title for e in dev_examples])
    return {"onnx_int8_agreement": float((logits.argmax(1) == calibration.logits.argmax(1)).mean()),
            "dev_onnx_int8": score(calibration.gold, softmax(logits, calibration.temperature)).as_dict()}


def write_card(folder: Path, card: dict) -> None:
    """The model card in ``folder``: ``card.json`` for programs, ``README.md`` for people."""
    (folder / CARD_FILE).write_text(json.dumps(card, indent=2), encoding="utf-8")
    (folder / "README.md").write_text(render_card(card), encoding="utf-8")


def train(
    preset: Preset,
    train_examples: Sequence[Example],
    dev_examples: Sequence[Example],
    target: Path,
    *,
    cache: Path,
    threads: int,
    teacher: dict[str, list[float]] | None = None,
    on_progress: ProgressFn | None = None,
) -> dict:
    """Train ``preset`` and write the model folder at ``target``; returns the model card.

    The phases: fine-tune, calibrate on dev, export the weights, write the card, check the int8
    path against torch; all in a temporary folder renamed into place at the end.
    """
    report = on_progress or _silent
    tuned = fine_tune(preset, train_examples, cache=cache, threads=threads, teacher=teacher,
                      on_progress=on_progress)
    report("evaluate", 0, 1)
    calibration = calibrate(tuned, dev_examples, preset.max_length)
    report("evaluate", 1, 1)

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as tmp:
        work = Path(tmp) / "model"
        work.mkdir()
        report("export", 0, 2)
        export_weights(tuned, work)
        report("export", 1, 2)
        card = model_card(preset, tuned, calibration, train_examples, dev_examples,
                          weights=weights_digest(work), threads=threads)
        write_card(work, card)  # the int8 check loads the folder, card included
        card.update(int8_agreement(work, dev_examples, calibration, threads))
        write_card(work, card)
        report("export", 2, 2)
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    return card


def render_card(card: dict) -> str:
    """The model card as Markdown, for people."""
    dev = card.get("dev") or {}
    lines = [
        f"# Stance model `{card['model_version']}`",
        "",
        f"Preset `{card['preset']}`, encoder `{card['encoder']}`, fine-tuned with a 4-way head "
        f"({', '.join(card['labels'])}) on (thread title, comment) pairs, max {card['max_length']} tokens.",
        "",
        f"- Trained {card['trained_at']} in {card['train_seconds']} s on {card['threads']} CPU threads",
        f"- Training data: {card['n_train']} examples from {card['n_events_train']} events, "
        f"sources {card['train_sources']}, sha256 `{card['data_hash']}`",
        f"- Distilled examples: {card['n_distilled']}",
        f"- Stances it labels are stored as `{card.get('stored_version', card['model_version'])}` "
        "(the recipe and the first 8 hex digits of the int8 weights' sha256)",
        f"- Dev split ({card['n_dev']} examples from events never trained on): macro-F1 "
        f"{dev.get('macro_f1')}, accuracy {dev.get('accuracy')}",
        f"- Where the dev figures come from: {(card.get('dev_data') or {}).get('what', 'the dev split')}",
        f"- Per-label F1: {dev.get('per_label_f1')}",
        f"- Calibration: temperature {card['temperature']:.3f}; ECE {card['ece_uncalibrated']} → {card['ece']}",
        f"- ONNX int8 agreement with torch on dev: {card.get('onnx_int8_agreement')}",
        "",
        "Confusion matrix on dev (rows true, columns predicted):",
        "",
        "| true \\ predicted | " + " | ".join(card["labels"]) + " |",
        "|---|" + "---|" * len(card["labels"]),
    ]
    for label, row in zip(card["labels"], dev.get("confusion", [])):
        lines.append(f"| {label} | " + " | ".join(str(x) for x in row) + " |")
    lines += ["", "Hyper-parameters: `" + json.dumps(card["hyperparameters"]) + "`", ""]
    return "\n".join(lines)
