"""JSONL in and out: any JSONL file read line by line, and ``sentiment classify-file``'s contract.

``json_objects`` reads labelled comments, shares files and classify-file inputs alike, naming
each bad line. ``read_inputs`` and ``classify_jsonl`` are ``sentiment classify-file``, which labels
a JSONL file of comments with no database involved, a stable contract for scripts and other
tools: each input line has ``id``, ``text`` and an optional ``thread_title``; each output line
has ``id``, ``label``, ``confidence``, ``scores`` (the four probabilities by label) and
``model_version``, in input order.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sentiment.classify.base import Classifier
from sentiment.settings import LABELS


class LabelFileError(ValueError):
    """A JSONL file that cannot be read (missing, not UTF-8, a bad line); the message names the line."""


def json_objects(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """``(line number, object, None)`` per non-blank line, or ``(number, None, reason)`` for a
    line that is not a JSON object; a file that is missing, unreadable or not UTF-8 raises
    ``LabelFileError`` (one line)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise LabelFileError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except FileNotFoundError:
        raise LabelFileError(f"{path}: cannot read (no such file)") from None
    except OSError as exc:  # a folder, no permission: one line, not a traceback
        raise LabelFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not JSON ({exc.msg})"
            continue
        if isinstance(row, dict):
            yield number, row, None
        else:
            yield number, None, "expected an object"


class InputError(ValueError):
    """The input file breaks the contract; the message names every bad line."""


@dataclass(frozen=True)
class InputRow:
    id: str
    text: str
    thread_title: str | None


def read_inputs(path: Path, *, max_errors: int = 20) -> list[InputRow]:
    """All rows of ``path``, or an ``InputError`` listing what is wrong (nothing is labelled then)."""
    rows, errors, seen = [], [], set()
    try:
        objects = list(json_objects(path))
    except LabelFileError as exc:
        raise InputError(str(exc)) from None
    for number, row, problem in objects:
        if problem:
            errors.append(f"line {number}: {problem}")
            continue
        rid, text, title = row.get("id"), row.get("text"), row.get("thread_title")
        if not isinstance(rid, (str, int)) or isinstance(rid, bool) or str(rid) == "":
            errors.append(f"line {number}: missing id")
        elif str(rid) in seen:
            errors.append(f"line {number}: duplicate id {rid!r}")
        elif not isinstance(text, str):
            errors.append(f"line {number}: missing text")
        elif title is not None and not isinstance(title, str):
            errors.append(f"line {number}: thread_title must be a string")
        else:
            seen.add(str(rid))
            rows.append(InputRow(str(rid), text, title or None))
    if errors:
        shown = "; ".join(errors[:max_errors])
        more = f" (and {len(errors) - max_errors} more)" if len(errors) > max_errors else ""
        raise InputError(f"{path}: {len(errors)} bad lines, nothing labelled: {shown}{more}")
    return rows


def classify_jsonl(rows: list[InputRow], target: Path, classifier: Classifier, *, batch_size: int,
                   on_batch: Callable[[int], None] | None = None) -> int:
    """Write one output line per row to ``target`` (atomically: a crash leaves no half file)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for start in range(0, len(rows), batch_size):
                batch = rows[start:start + batch_size]
                preds = classifier.predict([r.text for r in batch], [r.thread_title for r in batch])
                for row, pred in zip(batch, preds):
                    out.write(json.dumps({
                        "id": row.id, "label": pred.label, "confidence": round(pred.confidence, 6),
                        "scores": {label: round(p, 6) for label, p in zip(LABELS, pred.probs)},
                        "model_version": classifier.model_version,
                    }, ensure_ascii=False) + "\n")
                if on_batch:
                    on_batch(len(batch))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(rows)
