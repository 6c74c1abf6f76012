"""Per-stage wall time of the pipeline flow, and what Prefect adds over plain function calls.

Generates ``--comments`` Reddit comments (default 100,000) as thread snapshots in Reddit's
``/comments`` shape plus one event, then on two fresh databases:

1. the ``pipeline`` flow (collect → classify → trends → brief as subflows, baseline classifier);
   stage times are the subflow runs' wall times as the Prefect API recorded them;
2. the same library functions called directly, in one process, no Prefect
   (``run_source``, ``classify_pending``, ``refresh_trends``, ``build_brief``/``write_brief``).

Both must produce the same rows (counts, label mix and checksums of every document, stance and
shift test). Each side runs ``--repeats`` times on fresh databases, alternating which goes first,
and the fastest of each stage is kept: on a shared machine the other load slows whichever run it
meets. The flow needs a Prefect API: ``PREFECT_API_URL`` if set, otherwise Prefect's temporary
local server (started before timing begins).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the flows/ folder
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("SENTIMENT_AUTHOR_KEY", "benchmark")
# The rule baseline, as the docstring says, unless asked otherwise (a trained preset at 100k
# comments runs for hours): SENTIMENT_CLASSIFIER=fast python benchmarks/pipeline.py
os.environ.setdefault("SENTIMENT_CLASSIFIER", "baseline")

WORDS = ("qwen open weights team lead api closed models local release community hope doubt "
         "worried thanks benchmark license quant gguf alibaba future source great skeptical "
         "concerned support love fear").split()
EVENT_DAY = datetime(2026, 3, 4, tzinfo=timezone.utc)
WEEK = "2026-W10"


def generate(folder: Path, n: int, per_thread: int = 500, seed: int = 7) -> None:
    """``n`` comments in threads of ``per_thread``, around one event, as Reddit /comments bodies."""
    rng = random.Random(seed)
    threads = folder / "threads"
    threads.mkdir(parents=True)
    for t in range(0, n, per_thread):
        post_id = f"p{t // per_thread:05d}"
        start = EVENT_DAY - timedelta(days=10) + timedelta(hours=rng.randrange(24 * 20))
        post = {"kind": "t3", "data": {"id": post_id, "name": f"t3_{post_id}", "title": "Qwen lead leaves",
                                       "selftext": "", "author": "op", "subreddit": "LocalLLaMA",
                                       "created_utc": start.timestamp(),
                                       "permalink": f"/r/LocalLLaMA/comments/{post_id}/x/"}}
        comments = []
        for i in range(t, min(t + per_thread, n)):
            cid = f"c{i:07d}"
            comments.append({"kind": "t1", "data": {
                "id": cid, "name": f"t1_{cid}", "parent_id": f"t3_{post_id}", "link_id": f"t3_{post_id}",
                "author": f"user{rng.randrange(n // 3 + 1)}",
                "body": " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60))),
                "created_utc": (start + timedelta(minutes=rng.randrange(60 * 24 * 4))).timestamp(),
                "replies": ""}})
        body = [{"kind": "Listing", "data": {"children": [post]}},
                {"kind": "Listing", "data": {"children": comments}}]
        (threads / f"{post_id}.json").write_text(json.dumps(body), encoding="utf-8")
    (folder / "events.yaml").write_text(
        "events:\n  - id: qwen-lead-exit\n    name: Qwen lead exit\n"
        f"    date: {EVENT_DAY:%Y-%m-%d}\n    keywords: [qwen]\n", encoding="utf-8")
    (folder / "sentiment.toml").write_text('[[files]]\nname = "generated"\npaths = ["threads", "events.yaml"]\n',
                                           encoding="utf-8")


def run_direct(folder: Path, db: Path, out: Path) -> dict[str, float]:
    """The stages as plain function calls in this process."""
    from sentiment.brief import brief_options, build_brief, write_brief
    from sentiment.classify import load_classifier
    from sentiment.classify.run import classify_pending
    from sentiment.collect import run_source
    from sentiment.settings import get_settings
    from sentiment.collect.config import load_sources
    from sentiment.store import connect
    from sentiment.insight.trends import refresh_trends, trend_options

    settings = get_settings()
    times = {}
    t = time.perf_counter()
    with connect(db) as con:
        for spec in load_sources(folder / "sentiment.toml"):
            run_source(con, spec.kind, spec.params, settings=settings)
    times["collect"] = time.perf_counter() - t
    t = time.perf_counter()
    with connect(db) as con:
        classify_pending(con, load_classifier(settings.classifier, settings), batch_size=settings.batch_size)
    times["classify"] = time.perf_counter() - t
    t = time.perf_counter()
    with connect(db) as con:
        refresh_trends(con, **trend_options(settings))
    times["trends"] = time.perf_counter() - t
    t = time.perf_counter()
    with connect(db, read_only=True) as con:
        write_brief(build_brief(con, WEEK, **brief_options(settings)), out)
    times["brief"] = time.perf_counter() - t
    return times


def run_flow(folder: Path, db: Path, out: Path) -> tuple[dict[str, float], float]:
    """The pipeline flow; stage times from the subflow runs the API recorded."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    from flows.pipeline import pipeline

    t = time.perf_counter()
    state = pipeline(sources=str(folder / "sentiment.toml"), db=str(db), week=WEEK, out_dir=str(out),
                     return_state=True)
    total = time.perf_counter() - t
    assert state.is_completed(), state
    parent_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])))
    stages = {}
    for run in children:
        name = run.name.split("-")[0]
        if run.start_time and run.end_time:
            stages[name] = (run.end_time - run.start_time).total_seconds()
    return stages, total


def cpu_seconds() -> float:
    """CPU seconds (user + system) so far of this process, every thread, and of its children
    (Prefect's temporary API server): the work a run costs, which other load on the machine
    does not inflate the way it inflates wall time."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def _rows(db: Path) -> tuple:
    """Row counts, the label mix, and order-free checksums of every stored document, stance
    (label and probabilities) and shift test, so two runs compare row for row."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM stances), "
            "(SELECT string_agg(label || ':' || cnt, ',' ORDER BY label) FROM "
            " (SELECT label, count(*) cnt FROM stances GROUP BY label)), (SELECT count(*) FROM event_shift), "
            "(SELECT sum(hash(doc_id, text, parent_id, created_at)) FROM documents), "
            "(SELECT sum(hash(doc_id, model_version, label, p_concern, p_skepticism, p_support, p_neutral)) "
            " FROM stances), "
            "(SELECT sum(hash(event_id, source, n_before, n_after, statistic, p_value)) FROM event_shift)"
        ).fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each side, alternating which goes first; the fastest of each is kept "
                             "(a busy machine slows whichever ran at the wrong moment)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("PREFECT_HOME", str(tmp / "prefect-home"))
        t = time.perf_counter()
        generate(tmp / "input", args.comments)
        print(f"generated {args.comments:,} comments in {args.comments // 500 + (args.comments % 500 > 0)} "
              f"thread files ({time.perf_counter() - t:.1f}s)")

        from prefect import flow

        from sentiment.settings import get_settings

        @flow(name="warm-up")
        def warm_up() -> None:
            """Start Prefect's API (temporary server if none is configured) before timing."""

        t = time.perf_counter()
        warm_up()
        print(f"Prefect API ready ({time.perf_counter() - t:.1f}s, not counted)")

        directs: list[dict[str, float]] = []
        flows: list[tuple[dict[str, float], float]] = []
        cpu: dict[str, list[float]] = {"direct": [], "flow": []}
        rows = set()
        for r in range(args.repeats):
            for side in (("direct", "flow") if r % 2 == 0 else ("flow", "direct")):
                db, out = tmp / f"{side}-{r}.duckdb", tmp / f"{side}-{r}-briefs"
                before = cpu_seconds()
                if side == "direct":
                    directs.append(run_direct(tmp / "input", db, out))
                    wall = sum(directs[-1].values())
                else:
                    flows.append(run_flow(tmp / "input", db, out))
                    wall = flows[-1][1]
                cpu[side].append(cpu_seconds() - before)
                print(f"run {r + 1} {side + ':':<8}{wall:.2f}s wall, {cpu[side][-1]:.2f} CPU-s")
                rows.add(_rows(db))
        (row,) = rows if len(rows) == 1 else (None,)
        print(f"\nrows: {(row or next(iter(rows)))[:4]} (documents, stances, labels, event_shift); flow and "
              f"direct {'identical, row for row' if row else 'DIFFER'} in all {2 * args.repeats} runs")
        direct = {name: min(d[name] for d in directs) for name in directs[0]}
        stages = {name: min(f[0].get(name, float("nan")) for f in flows) for name in direct}
        flow_total = min(total for _, total in flows)
        settings = get_settings()
        n_batches = -(-args.comments // settings.batch_size)
        n_tasks = -(-n_batches // settings.classify_task_batches)
        print(f"\nfastest of {args.repeats} runs each; classify: {n_batches} batches of {settings.batch_size} "
              f"in {n_tasks} tasks ({settings.classify_task_batches} batches per task)")
        print(f"{'stage':<10}{'flow (s)':>10}{'direct (s)':>12}{'overhead (s)':>14}{'overhead':>10}")
        for name in ("collect", "classify", "trends", "brief"):
            f, d = stages[name], direct[name]
            print(f"{name:<10}{f:>10.2f}{d:>12.2f}{f - d:>14.2f}{100 * (f - d) / d:>9.0f}%")
        direct_total = sum(direct.values())
        print(f"{'total':<10}{flow_total:>10.2f}{direct_total:>12.2f}{flow_total - direct_total:>14.2f}"
              f"{100 * (flow_total - direct_total) / direct_total:>9.0f}%"
              "   (flow: its fastest run's wall time, orchestration included; direct: its fastest stages added)")
        flow_cpu, direct_cpu = min(cpu["flow"]), min(cpu["direct"])
        print(f"{'CPU-s':<10}{flow_cpu:>10.2f}{direct_cpu:>12.2f}{flow_cpu - direct_cpu:>14.2f}"
              f"{100 * (flow_cpu - direct_cpu) / direct_cpu:>9.0f}%   (this process, every thread, and Prefect's "
              "temporary server; fewest of the runs)")
        outside = min(total - sum(f.values()) for f, total in flows)
        print(f"outside the stages: {outside:.2f}s of the flow's wall time (five flow runs created, started and "
              "finished; Prefect waits up to 1 s for each one's heartbeat thread to stop)")
        print(f"classify: {args.comments / stages['classify']:,.0f} comments/s in the flow, "
              f"{args.comments / direct['classify']:,.0f} direct")
        if not row:
            raise SystemExit("flow and direct runs stored different rows")


if __name__ == "__main__":
    main()
