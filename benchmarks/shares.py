"""Corrected shares on real comments and at scale: PPI++ against the audit labels alone.

Part 1 (when the real-comment development set is there): real-dev is the population, its labels
the audit source; the classifier is trained on nothing from it. Over ``--draws`` seeded audits
of ``--audit`` labels it prints, per stance and overall, how often the 95% interval covers the
population's true share, the mean interval width against the labels-only Wilson interval, and
the mean absolute error of PPI++, of the labels alone and of the model's own shares.

Part 2: shares and intervals for ``--documents`` (1M) probability rows and 1,000 audit labels,
from the probabilities in memory and from a DuckDB table, beside the baseline (Wilson on the
labels alone) in the same run.

    python benchmarks/shares.py [--models models] [--draws 200] [--audit 60] [--documents 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sentiment.insight.ppi import Audit, PopulationMoments, audit_only, ppi_shares  # noqa: E402
from sentiment.settings import LABELS  # noqa: E402

REAL_DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "real-dev" / "comments.jsonl"


def real_dev_probs(path: Path, models: Path, classifier: str) -> tuple[np.ndarray, np.ndarray, str]:
    """The classifier's probabilities for real-dev and its gold labels (nothing is fitted on them)."""
    from sentiment.classify.examples import read_labelled_jsonl
    from sentiment.classify.ensemble import Ensemble
    from sentiment.classify.inference import TransformerClassifier, is_trained

    names = ("accurate", "fast") if classifier == "ensemble" else (classifier,)
    members = [TransformerClassifier(models / n, threads=2) for n in names if is_trained(models / n)]
    if len(members) != len(names):
        raise SystemExit(f"{classifier}: not trained under {models} (sentiment train --preset NAME)")
    model = Ensemble(members) if classifier == "ensemble" else members[0]
    real = read_labelled_jsonl(path)
    preds = model.predict([e.text for e in real], [e.thread_title for e in real])
    return (np.array([p.probs for p in preds]), np.array([LABELS.index(e.label) for e in real]),
            model.model_version)


def coverage(probs: np.ndarray, truth: np.ndarray, n_audit: int, draws: int) -> None:
    k = len(LABELS)
    true_share = np.bincount(truth, minlength=k) / len(truth)
    pop = PopulationMoments.from_probs(probs)
    rng = np.random.default_rng(20261206)
    hit = {m: np.zeros(k) for m in ("ppi", "labels")}
    width = {m: np.zeros(k) for m in ("ppi", "labels")}
    error = {m: np.zeros(k) for m in ("ppi", "labels")}
    for _ in range(draws):
        pick = rng.choice(len(truth), size=n_audit, replace=False)
        audit = Audit(truth[pick], probs[pick])
        for name, est in (("ppi", ppi_shares(pop, audit)), ("labels", audit_only(audit))):
            hit[name] += (est.low <= true_share) & (true_share <= est.high)
            width[name] += est.high - est.low
            error[name] += np.abs(est.share - true_share)
    model_error = np.abs(probs.mean(0) - true_share)
    print(f"{draws} seeded audits of {n_audit} from {len(truth)} real comments (true shares "
          + ", ".join(f"{lab} {s:.2f}" for lab, s in zip(LABELS, true_share)) + ")")
    print(f"  {'stance':<11} {'cover PPI++':>11} {'cover labels':>12} {'width PPI++':>11} {'width labels':>12} "
          f"{'width ratio':>11} {'err PPI++':>9} {'err labels':>10} {'err model':>9}")
    for i, label in enumerate(LABELS):
        print(f"  {label:<11} {hit['ppi'][i] / draws:>11.1%} {hit['labels'][i] / draws:>12.1%} "
              f"{width['ppi'][i] / draws:>11.3f} {width['labels'][i] / draws:>12.3f} "
              f"{width['ppi'][i] / width['labels'][i]:>11.2f} {error['ppi'][i] / draws:>9.3f} "
              f"{error['labels'][i] / draws:>10.3f} {model_error[i]:>9.3f}")
    print(f"  {'all':<11} {hit['ppi'].mean() / draws:>11.1%} {hit['labels'].mean() / draws:>12.1%} "
          f"{width['ppi'].mean() / draws:>11.3f} {width['labels'].mean() / draws:>12.3f} "
          f"{width['ppi'].sum() / width['labels'].sum():>11.2f} {error['ppi'].mean() / draws:>9.3f} "
          f"{error['labels'].mean() / draws:>10.3f} {model_error.mean():>9.3f}")


def best_of(call, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - t)
    return min(times), out


def speed(n_docs: int, n_audit: int) -> None:
    import duckdb

    rng = np.random.default_rng(1)
    logits = rng.normal(size=(n_docs, len(LABELS)))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    pick = rng.choice(n_docs, size=n_audit, replace=False)
    audit = Audit(rng.integers(0, len(LABELS), n_audit), probs[pick])
    con = duckdb.connect()
    con.register("p", {f"p_{a}": probs[:, i] for i, a in enumerate(LABELS)})
    con.execute("CREATE TABLE stances AS SELECT * FROM p")
    sql = ("SELECT count(*), " + ", ".join(f"sum(p_{a})" for a in LABELS) + ", "
           + ", ".join(f"sum(p_{a} * p_{a})" for a in LABELS) + " FROM stances")

    def from_table():
        row = con.execute(sql).fetchone()
        k = len(LABELS)
        pop = PopulationMoments(int(row[0]), np.array(row[1:1 + k]), np.array(row[1 + k:]))
        return ppi_shares(pop, audit)

    base, _ = best_of(lambda: audit_only(audit))
    mem, _ = best_of(lambda: ppi_shares(PopulationMoments.from_probs(probs), audit))
    tab, est = best_of(from_table)
    print(f"{n_docs:,} documents, {n_audit:,} audit labels (best of 3)")
    print(f"  baseline: labels-only Wilson          {base * 1e3:8.2f} ms")
    print(f"  PPI++ from probabilities in memory    {mem * 1e3:8.2f} ms")
    print(f"  PPI++ from a DuckDB table (one scan)  {tab * 1e3:8.2f} ms   (target < 2 s)")
    assert est.corrected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--classifier", default=None, help="default: the configured classifier")
    parser.add_argument("--real-dev", type=Path, default=REAL_DEV)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--audit", type=int, default=60)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--audit-large", type=int, default=1000)
    args = parser.parse_args()
    if args.real_dev.exists():
        from sentiment.settings import get_settings

        name = args.classifier or get_settings().classifier
        probs, truth, version = real_dev_probs(args.real_dev, args.models, name)
        print(f"real-dev ({args.real_dev}) as the population, classified by {version}")
        coverage(probs, truth, args.audit, args.draws)
        print()
    else:
        print(f"(no real-comment development set at {args.real_dev}: scale figures only)\n")
    speed(args.documents, args.audit_large)


if __name__ == "__main__":
    main()
