"""Training levers measured on real comments: each recipe over several seeds, in one run.

For every lever (a preset with some hyper-parameters or training data changed) and seed, it
fine-tunes the encoder on the bundled training data, then prints macro-F1, ECE and the AUROC of
confidence on the real-comment development set (``../shared/real-dev/comments.jsonl`` or
``--real-dev FILE``) and macro-F1 on the authored dev split: the mean over seeds with the spread
(min–max), and the same for the seeds' averaged probabilities (a seed ensemble). The temperature
is fitted on the authored dev split, never on real comments; nothing is fitted on real-dev.

    python benchmarks/levers.py [--levers fast,fast-full] [--seeds 13,14,15] [--out models/levers]

A lever written ``NAME@DIR`` also trains on every ``*.jsonl`` in DIR: new comments measured
before they join the bundled data.

Each run's dev logits are kept in ``--out`` (one ``.npz`` per lever, digest of the data it
trained on, and seed), so a later run with more levers or seeds trains only what is new, a change
to the bundled data trains again instead of reusing stale logits, and ``--combine A+B`` prints
ensembles of levers already measured (the mean of their calibrated probabilities).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sentiment.classify.examples import Example, bundled_examples, data_hash, read_labelled_jsonl  # noqa: E402
from sentiment.classify.metrics import fit_temperature, score, softmax  # noqa: E402
from sentiment.classify.presets import get_preset  # noqa: E402
from sentiment.settings import LABELS, Settings  # noqa: E402

REAL_DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "real-dev" / "comments.jsonl"


def _all(examples: list[Example]) -> list[Example]:
    return examples


def _no_short(examples: list[Example]) -> list[Example]:
    """Without the 400 short, explicit starting comments (cues unlike real threads)."""
    return [e for e in examples if not e.id.startswith("ss-")]


def _only_short(examples: list[Example]) -> list[Example]:
    """Only the 400 short, explicit starting comments (the data an earlier scratch run used)."""
    return [e for e in examples if e.id.startswith("ss-")]


def _only_shared(examples: list[Example]) -> list[Example]:
    """Only the comments of the shared labelled set (short and long), not the authored threads."""
    return [e for e in examples if e.id.startswith(("ss-", "sl-"))]


_REBUTTAL = re.compile(
    r"outrage|\banger\b|angry|people (keep|forget|are|calling|acting)|unpopular|overblown|overreact|panic|"
    r"i get the|nobody (here )?wants to hear|minority|\brelax\b|calm down|drama|pitchfork|entitle|owe (us|you)|"
    r"doom|hysteri|meltdown|the crowd|this thread|everyone here|in here", re.IGNORECASE)


def _no_rebuttal(examples: list[Example]) -> list[Example]:
    """Without the support comments that rebut the crowd ("I don't get the outrage"): they teach
    that arguing about a controversy is support, which real critical comments also do."""
    return [e for e in examples if not (e.label == "support" and _REBUTTAL.search(e.text))]


LEVERS: dict[str, tuple[str, dict, object]] = {
    # name: (preset, overrides, training-data filter); the preset's own name is the shipped recipe
    "fast": ("fast", {}, _all),
    "fast-5ep": ("fast", {"epochs": 5}, _all),
    "fast-2ep": ("fast", {"epochs": 2}, _all),
    "fast-top2": ("fast", {"freeze_layers": 4}, _all),
    "fast-full": ("fast", {"freeze_layers": 0, "learning_rate": 8e-5}, _all),
    "fast-norebuttal": ("fast", {}, _no_rebuttal),
    "fast-nodistill": ("fast", {"distill_weight": 0.0}, _all),
    "fast-noweights": ("fast", {"class_weights": False}, _all),
    "fast-noshort": ("fast", {}, _no_short),
    "fast-short": ("fast", {}, _only_short),
    "accurate": ("accurate", {}, _all),
    "accurate-top4": ("accurate", {"freeze_layers": 8, "learning_rate": 5e-5}, _all),
    "accurate-top6": ("accurate", {"freeze_layers": 6, "learning_rate": 5e-5}, _all),
    "accurate-lpft": ("accurate", {"probe_epochs": 5}, _all),
    "fast-lpft": ("fast", {"probe_epochs": 5}, _all),
    "accurate-full-short": ("accurate", {"epochs": 4}, _only_short),
    "accurate-full-shared": ("accurate", {}, _only_shared),
}


def extra_examples(folder: Path) -> list[Example]:
    """Candidate training comments not bundled yet (every ``*.jsonl`` in ``folder``)."""
    return [e for path in sorted(folder.glob("*.jsonl")) for e in read_labelled_jsonl(path, default_source="authored")]


def lever_examples(lever: str, train_examples: list[Example]) -> list[Example]:
    """What ``lever`` trains on: its share of the bundled training data, plus DIR's comments for
    ``NAME@DIR``."""
    base, _, extra = lever.partition("@")
    return LEVERS[base][2](train_examples) + (extra_examples(Path(extra)) if extra else [])


def cache_path(out: Path, lever: str, examples: list[Example], seed: int) -> Path:
    """Where one lever's logits for one seed are kept, named by the data it trained on."""
    return out / f"{lever.replace('/', '_')}-{data_hash(examples)[:10]}-s{seed}.npz"


def run_one(lever: str, seed: int, examples: list[Example], sets: dict[str, list[Example]], out: Path,
            threads: int, teacher) -> dict[str, np.ndarray]:
    """Dev logits of one lever trained on ``examples`` with one seed, trained now unless ``out``
    already holds them."""
    path = cache_path(out, lever, examples, seed)
    if path.exists():
        return dict(np.load(path))
    from sentiment.classify.finetune import fine_tune, torch_logits

    name, overrides, _ = LEVERS[lever.partition("@")[0]]
    preset = replace(get_preset(name), seed=seed, **overrides)
    started = time.perf_counter()
    last = [0.0]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if phase == "train" and (now - last[0] > 60 or done == total):
            last[0] = now
            print(f"  {lever} seed {seed}: step {done}/{total} ({now - started:.0f} s)", flush=True)

    tuned = fine_tune(preset, examples, cache=Path("models") / "base", threads=threads,
                      teacher=teacher if preset.distill_weight > 0 else None, on_progress=progress)
    logits = {key: torch_logits(tuned.model, tuned.tokenizer, rows, preset.max_length)
              for key, rows in sets.items()}
    out.mkdir(parents=True, exist_ok=True)
    np.savez(path, **logits, seconds=np.array(tuned.train_seconds), n_train=np.array(len(examples)))
    print(f"  {lever} seed {seed}: trained on {len(examples)} in {tuned.train_seconds:.0f} s", flush=True)
    return logits


def calibrated(logits: dict[str, np.ndarray], dev_gold: list[str],
               rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Probabilities at the temperature fitted on authored dev (its ``rows`` only, when given)."""
    rows = rows if rows is not None else np.ones(len(dev_gold), dtype=bool)
    t = fit_temperature(logits["dev"][rows], [g for g, keep in zip(dev_gold, rows) if keep])
    return {key: softmax(value, t) for key, value in logits.items() if key == "dev" or key.startswith("real")}


def em_prior_shift(probs: np.ndarray, prior: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Probabilities re-weighted to the label mix EM estimates on the documents being
    classified (Saerens et al., 2002): no labels used, only the set's own predictions."""
    mix = prior.copy()
    for _ in range(iterations):
        weighted = probs * (mix / prior)
        weighted /= weighted.sum(axis=1, keepdims=True)
        new = weighted.mean(axis=0)
        if np.abs(new - mix).max() < 1e-6:
            break
        mix = new
    return weighted


def head_tail(examples: list[Example], words: int = 90) -> list[Example]:
    """Long comments cut to their first and last ``words // 2`` words (the end often carries the
    stance), instead of the tokenizer keeping only the start."""
    out = []
    for e in examples:
        parts = e.text.split()
        text = e.text if len(parts) <= words else " ".join(parts[:words // 2] + ["…"] + parts[-(words // 2):])
        out.append(replace(e, text=text))
    return out


def summary(name: str, runs: list[dict[str, np.ndarray]], real_gold, dev_gold) -> str:
    per = [(score(real_gold, r["real"]), score(dev_gold, r["dev"])) for r in runs]

    def spread(values: list[float]) -> str:
        return f"{np.mean(values):.3f} ({min(values):.3f}–{max(values):.3f})"

    ens_real = score(real_gold, np.mean([r["real"] for r in runs], axis=0))
    ens_dev = score(dev_gold, np.mean([r["dev"] for r in runs], axis=0))
    support = [s.per_label_f1["support"] for s, _ in per]
    return (f"{name:<28} {len(runs)}  {spread([s.macro_f1 for s, _ in per]):<22} "
            f"{spread([s.ece for s, _ in per]):<22} {spread([s.confidence_auroc or 0.5 for s, _ in per]):<22} "
            f"{np.mean(support):.3f}   {spread([d.macro_f1 for _, d in per]):<22} "
            f"| {ens_real.macro_f1:.3f} {ens_real.ece:.3f} {ens_real.confidence_auroc or 0.5:.3f} "
            f"{ens_dev.macro_f1:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levers", default="fast,fast-full")
    parser.add_argument("--seeds", default="13,14,15")
    parser.add_argument("--combine", default="", help="comma-separated A+B ensembles of measured levers")
    parser.add_argument("--real-dev", type=Path, default=REAL_DEV)
    parser.add_argument("--out", type=Path, default=Path("models") / "levers")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cached-only", action="store_true",
                        help="train nothing: report only the levers and seeds already in --out")
    parser.add_argument("--calibrate-on", choices=("dev", "real-like"), default="dev",
                        help="fit the temperature on all of authored dev, or only on its comments written "
                             "in real threads' voices (r-* files) and its long implicit ones")
    parser.add_argument("--teacher", type=Path, default=None,
                        help="distil from this teacher file (lines of id and probs, as sentiment train "
                             "--teacher-out writes) instead of the bundled teacher/accurate.jsonl; "
                             "use a separate --out, since cached runs do not record their teacher")
    args = parser.parse_args()
    if not args.real_dev.exists():
        sys.exit(f"no real-comment development set at {args.real_dev} (use --real-dev FILE)")

    real = read_labelled_jsonl(args.real_dev)
    dev = bundled_examples("dev")
    train_examples = bundled_examples("train")
    real_gold, dev_gold = [e.label for e in real], [e.label for e in dev]
    rows = (np.array([e.id[:2] in {"ra", "rb", "rc", "rd", "re", "sl"} for e in dev])
            if args.calibrate_on == "real-like" else None)
    from sentiment.classify.lifecycle import read_teacher, teacher_probs

    if args.teacher:
        teacher = read_teacher(args.teacher)
    else:
        teacher, _ = teacher_probs(Settings(models_dir=args.out / "no-local-teacher"), train_examples)
    seeds = [int(s) for s in args.seeds.split(",")]
    sets = {"real": real, "dev": dev, "real_notitle": [replace(e, thread_title=None) for e in real],
            "real_headtail": head_tail(real)}
    levers = [lever for lever in args.levers.split(",") if lever]
    measured: dict[str, list[dict[str, np.ndarray]]] = {}
    for lever in levers:
        if lever.partition("@")[0] not in LEVERS:
            sys.exit(f"unknown lever {lever!r}; choose from {', '.join(LEVERS)}")
        examples = lever_examples(lever, train_examples)
        done = [seed for seed in seeds if cache_path(args.out, lever, examples, seed).exists()]
        measured[lever] = [
            calibrated(run_one(lever, seed, examples, sets, args.out,
                               args.threads, teacher), dev_gold, rows)
            for seed in (done if args.cached_only else seeds)]
        if not measured[lever]:
            del measured[lever]
    for combo in [c for c in args.combine.split(",") if c]:
        parts = combo.split("+")
        for part in parts:
            if part not in measured:
                if part.partition("@")[0] not in LEVERS:
                    sys.exit(f"unknown lever {part!r} in --combine; choose from {', '.join(LEVERS)}")
                examples = lever_examples(part, train_examples)
                cached = [cache_path(args.out, part, examples, seed) for seed in seeds]
                measured[part] = [calibrated(dict(np.load(path)), dev_gold, rows)
                                  for path in cached if path.exists()]
                if not measured[part]:
                    sys.exit(f"--combine: no runs of {part} on the current data in {args.out}; measure it first")
        # one member per seed; a lever with fewer seeds repeats its own
        runs = max(len(measured[p]) for p in parts)
        measured[combo] = [{k: np.mean([measured[p][i % len(measured[p])][k] for p in parts], axis=0)
                            for k in ("real", "dev")} for i in range(runs)]
    print(f"\nreal-dev: {len(real)} real comments; authored dev: {len(dev)}; seeds {seeds}; "
          f"temperature fitted on {args.calibrate_on}; "
          "mean (min–max) over seeds | the seeds' averaged probabilities")
    print(f"{'lever':<28} n  {'real-dev macro-F1':<22} {'real-dev ECE':<22} {'confidence AUROC':<22} "
          f"support  {'authored-dev macro-F1':<22} | seed-ensemble F1 ECE AUROC dev-F1")
    for name, runs in measured.items():
        print(summary(name, runs, real_gold, dev_gold))
    prior = np.array([dev_gold.count(label) for label in LABELS], dtype=float) / len(dev_gold)
    for name, runs in measured.items():
        print(summary(f"{name} [EM prior re-estimate]",
                      [{"real": em_prior_shift(r["real"], prior), "dev": r["dev"]} for r in runs],
                      real_gold, dev_gold))
    for variant, what in (("real_notitle", "read without the thread title"),
                          ("real_headtail", "long comments as head + tail")):
        for name, runs in measured.items():
            if runs and all(variant in r for r in runs):
                print(summary(f"{name} [{what}]", [{"real": r[variant], "dev": r["dev"]} for r in runs],
                              real_gold, dev_gold))


if __name__ == "__main__":
    main()
