"""``sentiment shares``: the four label shares of a ``classify-file`` output, corrected by an audit.

The file contract for analysts: PRED is ``classify-file`` output (``id``, ``scores`` by label);
LABELS (optional) has ``id`` and ``label`` for a uniform random subset of PRED's ids, labelled by
a person. With LABELS the shares are PPI++ estimates (``sentiment.insight.ppi``); without, they
are the model's mean probabilities and say they are not corrected. Either file breaking the
contract is an error naming its lines, and nothing is estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentiment.classify.jsonl import LabelFileError, json_objects
from sentiment.insight.ppi import Audit, PopulationMoments, ShareEstimate, ppi_shares
from sentiment.settings import LABELS


class ShareInputError(ValueError):
    """PRED or LABELS breaks the contract; the message names the bad lines."""


def _objects(path: Path, errors: list[str]):
    try:
        yield from json_objects(path)
    except LabelFileError as exc:
        errors.append(str(exc))
    except OSError as exc:
        errors.append(f"{path}: cannot read ({exc.strerror or exc})")


def _raise(path: Path, errors: list[str], max_errors: int = 20) -> None:
    if errors:
        shown = "; ".join(errors[:max_errors])
        more = f" (and {len(errors) - max_errors} more)" if len(errors) > max_errors else ""
        raise ShareInputError(f"{path}: {len(errors)} bad lines, no shares computed: {shown}{more}")


def read_predictions(path: Path) -> tuple[list[str], np.ndarray]:
    """Ids and probability rows (``LABELS`` order) of a ``classify-file`` output."""
    ids, rows, errors, seen = [], [], [], set()
    for number, row, problem in _objects(path, errors):
        if problem:
            errors.append(f"line {number}: {problem}")
            continue
        rid, scores = row.get("id"), row.get("scores")
        if not isinstance(rid, (str, int)) or isinstance(rid, bool) or str(rid) == "":
            errors.append(f"line {number}: missing id")
        elif str(rid) in seen:
            errors.append(f"line {number}: duplicate id {rid!r}")
        elif not isinstance(scores, dict) or sorted(scores) != sorted(LABELS) or not all(
                isinstance(scores[k], (int, float)) and not isinstance(scores[k], bool) and 0 <= scores[k] <= 1
                for k in LABELS):
            errors.append(f"line {number}: scores must give a probability for each of {', '.join(LABELS)}")
        else:
            seen.add(str(rid))
            ids.append(str(rid))
            rows.append([float(scores[k]) for k in LABELS])
    if not errors and not ids:
        errors.append("no predictions")
    _raise(path, errors)
    return ids, np.asarray(rows, dtype=float).reshape(-1, len(LABELS))


def read_audit_labels(path: Path, known: dict[str, int]) -> list[tuple[int, str]]:
    """(row in PRED, label) per line of LABELS; every id must be one of PRED's, once."""
    out, errors, seen = [], [], set()
    for number, row, problem in _objects(path, errors):
        if problem:
            errors.append(f"line {number}: {problem}")
            continue
        rid, label = row.get("id"), row.get("label")
        rid = str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else None
        if not rid:
            errors.append(f"line {number}: missing id")
        elif rid in seen:
            errors.append(f"line {number}: duplicate id {rid!r}")
        elif rid not in known:
            errors.append(f"line {number}: id {rid!r} is not in the predictions")
        elif label not in LABELS:
            errors.append(f"line {number}: unknown label {label!r} (use {', '.join(LABELS)})")
        else:
            seen.add(rid)
            out.append((known[rid], label))
    _raise(path, errors)
    return out


@dataclass(frozen=True)
class SharesResult:
    estimate: ShareEstimate

    def as_dict(self) -> dict:
        e = self.estimate
        return {
            "n": e.n, "n_audit": e.n_audit, "method": e.method, "corrected": e.corrected,
            "shares": {label: {"share": float(e.share[i]), "ci_low": float(e.low[i]), "ci_high": float(e.high[i])}
                       for i, label in enumerate(LABELS)},
        }


def shares_of_files(predictions: Path, audit: Path | None = None) -> SharesResult:
    """The shares of PRED, PPI++-corrected by LABELS when given (both files checked first)."""
    ids, probs = read_predictions(predictions)
    labelled = read_audit_labels(audit, {rid: i for i, rid in enumerate(ids)}) if audit else []
    pop = PopulationMoments.from_probs(probs)
    rows = [i for i, _ in labelled]
    sample = Audit.from_rows([lab for _, lab in labelled], probs[rows] if rows else np.zeros((0, len(LABELS))))
    return SharesResult(ppi_shares(pop, sample, audit_in_population=True))
