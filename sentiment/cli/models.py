"""Commands about models: train a preset, evaluate one, label a JSONL file, and the shares of a
labelled file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.table import Table

from sentiment.cli.output import TrainingProgress, console, progress_bar
from sentiment.cli.session import open_if_exists, settings_of
from sentiment.settings import LABELS, Settings


def load_named_classifier(classifier_name: str, settings: Settings):
    """The named classifier; a preset this machine has not trained yet is trained first."""
    from sentiment.classify import load_classifier

    with progress_bar() as progress:
        try:
            return load_classifier(classifier_name, settings,
                                   on_progress=TrainingProgress(progress, f"train {classifier_name}"))
        except ValueError as exc:  # the registry names the choices
            raise typer.BadParameter(str(exc), param_hint="--model") from None


Preset = Annotated[str, typer.Option("--preset", help="accurate (mpnet) or fast (MiniLM).")]


def _check_preset(name: str) -> str:
    from sentiment.classify.presets import PRESET_NAMES

    if name not in PRESET_NAMES:
        raise typer.BadParameter(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}",
                                 param_hint="--preset")
    return name


def train(
    ctx: typer.Context,
    preset: Preset = "accurate",
    teacher_out: Annotated[Optional[Path], typer.Option(
        help="After training accurate, also write its probabilities on the training data here "
             "(the file the fast preset distils from).")] = None,
) -> None:
    """Fine-tune a preset on the bundled labels plus your own; writes models/<preset>/."""
    from sentiment.classify.lifecycle import model_dir, train_preset, write_teacher

    settings = settings_of(ctx)
    _check_preset(preset)
    con = open_if_exists(settings)
    try:
        with progress_bar() as progress:
            card = train_preset(preset, settings, con=con, on_progress=TrainingProgress(progress, f"train {preset}"))
    finally:
        if con is not None:
            con.close()
    dev = card.get("dev") or {}
    console.print(f"trained {card['stored_version']} in {card['train_seconds']} s on {card['n_train']} examples "
                  f"→ {model_dir(settings, preset)}")
    console.print(f"dev ({card['n_dev']} examples, held-out events): macro-F1 {dev.get('macro_f1')}, "
                  f"ECE {card['ece_uncalibrated']} → {card['ece']} (temperature {card['temperature']:.2f}), "
                  f"ONNX int8 agreement {card.get('onnx_int8_agreement')}")
    if teacher_out:
        n = write_teacher(settings, teacher_out)
        console.print(f"wrote the accurate model's probabilities for {n} training examples to {teacher_out}")


def _scores_table(title: str, scores) -> Table:
    out = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    out.add_column("true \\ predicted")
    for label in LABELS:
        out.add_column(label, justify="right")
    out.add_column("F1", justify="right")
    for label, row in zip(LABELS, scores.confusion):
        out.add_row(label, *(str(x) for x in row), f"{scores.per_label_f1[label]:.3f}")
    return out


def evaluate(
    ctx: typer.Context,
    files: Annotated[Optional[list[Path]], typer.Argument(
        help="Labelled JSONL files (text, label, optional thread_title); default: the dev split.")] = None,
    model: Annotated[Optional[str], typer.Option(
        help="ensemble, accurate, fast or baseline (default: the configured classifier).")] = None,
) -> None:
    """Macro-F1, per-label F1 and the confusion matrix of a model on labelled comments."""
    import numpy as np

    from sentiment.classify.examples import bundled_examples, read_labelled_jsonl
    from sentiment.classify.jsonl import LabelFileError
    from sentiment.classify.metrics import score

    try:
        sets = [(str(f), read_labelled_jsonl(f)) for f in files] if files else [("dev split", bundled_examples("dev"))]
    except (LabelFileError, OSError) as exc:
        raise typer.BadParameter(str(exc), param_hint="FILES") from None
    settings = settings_of(ctx)
    classifier = load_named_classifier(model or settings.classifier, settings)
    for name, examples in sets:
        preds = classifier.predict([e.text for e in examples], [e.thread_title for e in examples])
        scores = score([e.label for e in examples], np.array([p.probs for p in preds]))
        console.print(_scores_table(f"{classifier.model_version} on {name}", scores))
        auroc = "n/a" if scores.confidence_auroc is None else f"{scores.confidence_auroc:.3f}"
        console.print(f"n {scores.n}, macro-F1 {scores.macro_f1:.3f}, accuracy {scores.accuracy:.3f}, "
                      f"ECE {scores.ece:.3f}, confidence AUROC (right vs wrong) {auroc}")


def classify_file(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="JSONL input: id, text, optional thread_title per line.")],
    target: Annotated[Path, typer.Argument(help="JSONL output: id, label, confidence, scores, model_version.")],
    preset: Annotated[Optional[str], typer.Option(
        "--preset", help="ensemble (both presets averaged), accurate, fast or baseline "
                         "(default: the configured classifier).")] = None,
) -> None:
    """Label a JSONL file of comments without a database (trains a preset first if missing)."""
    from sentiment.classify.jsonl import InputError, classify_jsonl, read_inputs

    settings = settings_of(ctx)
    preset = preset or settings.classifier
    try:
        rows = read_inputs(source)
    except InputError as exc:
        console.print(f"{exc}", style="red", markup=False)
        raise typer.Exit(2) from None
    classifier = load_named_classifier(preset, settings)
    with progress_bar() as progress:
        task = progress.add_task(f"classify ({classifier.model_version})", total=len(rows))
        n = classify_jsonl(rows, target, classifier, batch_size=settings.batch_size,
                           on_batch=lambda k: progress.advance(task, k))
    console.print(f"classify-file: {n} comments labelled by {classifier.model_version} → {target}")


def shares(
    predictions: Annotated[Path, typer.Argument(help="classify-file output (JSONL: id, scores, ...).")],
    audit: Annotated[Optional[Path], typer.Option(
        "--audit", help="JSONL of id, label for a uniform random subset of the predictions' ids.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """The four stance shares of a classified file with 95% intervals; with --audit, corrected
    for the classifier's error (PPI++). Bad input exits 2 and prints no result."""
    import json

    from sentiment.classify.registry import model_share_caveat
    from sentiment.insight.share_files import ShareInputError, shares_of_files

    try:
        result = shares_of_files(predictions, audit)
    except ShareInputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    est = result.estimate
    notes = list(est.notes)
    if not est.corrected:
        versions = {json.loads(line).get("model_version") for line in predictions.read_text("utf-8").splitlines()
                    if line.strip()}
        notes = [model_share_caveat(versions.pop() if len(versions) == 1 else None)] + notes[1:]
    if as_json:
        print(json.dumps(result.as_dict()))
        for note in notes:
            typer.echo(note, err=True)
        return
    method = {"ppi": "PPI++: model probabilities corrected by the audit",
              "model": "mean model probability, not corrected"}[est.method]
    table = Table(title=f"stance shares · n {est.n} · n_audit {est.n_audit} · {method}", box=box.SIMPLE)
    for column in ("stance", "share", "95% interval"):
        table.add_column(column)
    for i, label in enumerate(LABELS):
        table.add_row(label, f"{est.share[i]:.1%}", f"{est.low[i]:.1%}–{est.high[i]:.1%}")
    console.print(table)
    for note in notes:
        console.print(note, style="yellow", markup=False, soft_wrap=True)
