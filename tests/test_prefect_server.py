"""End to end on a real local Prefect server: deployments from prefect.yaml run by a process
worker, two pipelines at once beside an open reader, and classification on a Dask LocalCluster.

One server (``prefect server start`` on 127.0.0.1, temporary PREFECT_HOME) serves the module;
everything started here is stopped by PID in ``finally`` blocks, workers before the server.
Timeouts are generous: CI has two shared cores and the server takes ~20 s to start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("prefect")
pytest.importorskip("distributed")

from tests.conftest import AUTHOR_KEY, MODELS, ROOT, free_port, run_counts  # noqa: E402

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect")
STARTUP_TIMEOUT = 300
RUN_TIMEOUT = 900


def _stop(proc: subprocess.Popen) -> None:
    """Stop the process group we started (its id is the PID): SIGTERM, then SIGINT (a Prefect
    worker escalates a second signal to SIGKILL of its children), then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGINT, 30), (signal.SIGKILL, 30)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


def _run(args, env, cwd=ROOT, timeout=RUN_TIMEOUT) -> str:
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def prefect_env(tmp_path_factory):
    """Environment of a running ``prefect server start``; the server is stopped afterwards."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {**os.environ,
           "PREFECT_HOME": str(home),
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600",
           "PREFECT_API_REQUEST_TIMEOUT": "120",
           "PREFECT_UI_ENABLED": "false",
           "PYTHONUNBUFFERED": "1"}
    log = open(home / "server.log", "w")
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"prefect server exited: {(home / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"prefect server not healthy after {STARTUP_TIMEOUT}s")
            time.sleep(1)
        yield env
    finally:
        _stop(server)
        log.close()


def _sentiment_env(env: dict, tmp_path: Path, classifier: str = "baseline") -> dict:
    return {**env, "SENTIMENT_DB": str(tmp_path / "env.duckdb"),
            "SENTIMENT_CLASSIFIER": classifier, "SENTIMENT_MODELS_DIR": str(MODELS),
            "SENTIMENT_BRIEFS_DIR": str(tmp_path / "briefs"),
            "SENTIMENT_AUTHOR_KEY": AUTHOR_KEY.decode(),
            "SENTIMENT_SEEDS_DIR": str(ROOT / "seeds"),
            "SENTIMENT_SOURCES": str(ROOT / "sentiment.toml")}


_RUN_DEPLOYMENT = """
import json, sys
from prefect.deployments import run_deployment
run = run_deployment(sys.argv[1], parameters=json.loads(sys.argv[2]), timeout=float(sys.argv[3]), poll_interval=2)
print(run.state.type.value, run.name)
"""


def _tables(db: Path) -> dict[str, list]:
    """What a pipeline run leaves behind, minus the timestamps that differ from run to run."""
    with duckdb.connect(str(db), read_only=True) as con:
        out = {
            "documents": con.execute("SELECT doc_id, content_hash FROM documents ORDER BY 1").fetchall(),
            "stances": con.execute("SELECT doc_id, model_version, label, confidence FROM stances ORDER BY 1, 2").fetchall(),
            "events": con.execute("SELECT event_id FROM events ORDER BY 1").fetchall(),
        }
        cols = [name for name, typ, *_ in con.execute("DESCRIBE event_shift").fetchall() if "TIMESTAMP" not in typ]
        out["event_shift"] = con.execute(
            f"SELECT {', '.join(cols)} FROM event_shift ORDER BY event_id, source").fetchall()
    return out


def test_pipeline_deployment_from_prefect_yaml_runs_on_a_process_worker(prefect_env, tmp_path, fast_model):
    env = _sentiment_env(prefect_env, tmp_path, classifier="fast")  # the real model
    _run([PREFECT, "work-pool", "create", "sentiment-process", "--type", "process"], env)
    out = _run([PREFECT, "--no-prompt", "deploy", "--all"], env)
    assert "pipeline/pipeline-daily" in out
    worker_log = open(tmp_path / "worker.log", "w")
    # the worker runs in another folder: the deployment's pull step must find the project
    worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "sentiment-process"],
                              env=env, cwd=tmp_path, stdout=worker_log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    db = tmp_path / "pipeline.duckdb"
    try:
        params = {"db": str(db), "week": "2026-W10", "out_dir": str(tmp_path / "out")}
        out = _run([sys.executable, "-c", _RUN_DEPLOYMENT, "pipeline/pipeline-daily", json.dumps(params),
                    str(RUN_TIMEOUT)], env, timeout=RUN_TIMEOUT + 120)
    finally:
        _stop(worker)
        worker_log.close()
    log = (tmp_path / "worker.log").read_text()
    assert out.startswith("COMPLETED pipeline-"), out + log[-4000:]
    tables = _tables(db)
    assert len(tables["documents"]) > 500 and len(tables["stances"]) > 500
    assert len(tables["event_shift"]) >= 2
    assert (tmp_path / "out" / "2026-W10.html").exists()
    with duckdb.connect(str(db), read_only=True) as con:
        steps = dict(con.execute("SELECT step, status FROM runs").fetchall())
    assert steps == {"collect:files": "ok", "classify": "ok", "trends": "ok"}
    assert {v for _, v, *_ in tables["stances"]} == {fast_model.model_version}


_PIPELINE = """
import sys
from flows.pipeline import pipeline
pipeline(db=sys.argv[1], week="2026-W10", out_dir=sys.argv[2])
"""

_READER = """
import sys, time
from sentiment.store import connect
with connect(sys.argv[1], read_only=True) as con:
    print("open", flush=True)
    reads = 0
    while sys.stdin.readline().strip() != "stop":
        con.execute("SELECT count(*) FROM documents").fetchone()
        reads += 1
print("reads", reads)
"""


def test_two_pipelines_at_once_beside_an_open_reader_equal_one_run(prefect_env, tmp_path):
    env = _sentiment_env(prefect_env, tmp_path)
    sequential, concurrent = tmp_path / "sequential.duckdb", tmp_path / "concurrent.duckdb"
    _run([sys.executable, "-c", _PIPELINE, str(sequential), str(tmp_path / "b0")], env)

    _run([sys.executable, "-c", "import sys; from sentiment.store import connect; connect(sys.argv[1]).close()",
          str(concurrent)], env)
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(concurrent)], env=env, cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    flows = []
    try:
        assert reader.stdout.readline().strip() == "open"
        flows = [subprocess.Popen([sys.executable, "-c", _PIPELINE, str(concurrent), str(tmp_path / f"b{i}")],
                                  env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for i in (1, 2)]
        while any(f.poll() is None for f in flows):  # the reader keeps reading while both write
            reader.stdin.write("read\n")
            reader.stdin.flush()
            time.sleep(0.2)
        outputs = [f.communicate(timeout=RUN_TIMEOUT)[0] for f in flows]
        reader.stdin.write("stop\n")
        reader.stdin.flush()
        assert reader.wait(timeout=60) == 0
    finally:
        for proc in (*flows, reader):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for f, output in zip(flows, outputs):
        assert f.returncode == 0, output[-4000:]
        assert "Finished in state Completed()" in output
    assert _tables(concurrent) == _tables(sequential)
    with duckdb.connect(str(concurrent), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs WHERE status <> 'ok'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM runs WHERE step = 'collect:files'").fetchone()[0] == 2


_DASK = """
import sys
from flows.classify import classify, classify_on_dask
from sentiment.collect.files import ingest_paths
from sentiment.store import connect
for db in sys.argv[1:3]:
    with connect(db) as con:
        ingest_paths(con, [sys.argv[3]], author_key=b"k")
classify(db=sys.argv[1], batch_size=40, task_batches=4)
result = classify_on_dask(n_workers=2)(db=sys.argv[2], batch_size=40, task_batches=4)
print("dask", result["classified"])
"""


def test_classify_on_a_two_worker_dask_cluster_gives_the_same_stances(prefect_env, tmp_path):
    env = _sentiment_env(prefect_env, tmp_path)
    threads, dask = tmp_path / "threads.duckdb", tmp_path / "dask.duckdb"
    out = _run([sys.executable, "-c", _DASK, str(threads), str(dask), str(ROOT / "seeds")], env)
    assert int(out.split("dask ")[-1]) > 500

    def stances(db):
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("SELECT doc_id, model_version, label, confidence, p_concern, p_skepticism, "
                               "p_support, p_neutral FROM stances ORDER BY doc_id").fetchall()

    assert len(stances(threads)) > 500
    assert stances(dask) == stances(threads)
    for db in (threads, dask):  # the flow's runs row: every pending document stored or skipped
        with duckdb.connect(str(db), read_only=True) as con:
            ((n_in, new, updated, unchanged, skipped),) = run_counts(con, "classify")
        assert (new, updated, unchanged) == (len(stances(threads)), 0, 0) and n_in == new + skipped


_COLLECT = """
import sys
from flows.collect import collect
state = collect(sources=sys.argv[1], db=sys.argv[2], return_state=True)
print(state.type.value, state.message)
"""

_DUMP_API = """
import asyncio, json
from prefect.client.orchestration import get_client

async def main():
    async with get_client() as client:
        flows = await client.read_flow_runs()
        tasks = await client.read_task_runs()
        logs = await client.read_logs()
    print(json.dumps({"flow_runs": [r.model_dump(mode="json") for r in flows],
                      "task_runs": [r.model_dump(mode="json") for r in tasks],
                      "logs": [r.model_dump(mode="json") for r in logs]}))

asyncio.run(main())
"""


def test_collect_flow_runs_keep_reddit_credentials_out_of_prefect(prefect_env, tmp_path):
    """Prefect stores flow and task runs and their logs: the collect flow takes a sources file and a
    database path, never credentials, and nothing it logs (errors included) carries a secret."""
    from tests.fakes.reddit import FakeReddit
    from tests.sources.test_secrets import PRAW_INI, TOKENS, WRONG_SECRET, _site, _thread

    secrets = [*PRAW_INI.values(), TOKENS["ini"], WRONG_SECRET, "S3CRET-PAGE-TOKEN", "hunter2"]
    sources = tmp_path / "sources.toml"
    sources.write_text('[[reddit]]\nname = "r-qwen"\nsubreddit = "LocalLLaMA"\nquery = "qwen"\n'
                       '[[reddit]]\nname = "r-thread"\nthreads = ["def"]\n'
                       '[[pages]]\nname = "paywalled"\n'  # nothing listens on port 9: the fetch fails
                       'urls = ["http://reader:hunter2@127.0.0.1:9/a?token=S3CRET-PAGE-TOKEN"]\n', encoding="utf-8")
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    env = {**_sentiment_env(prefect_env, tmp_path), "XDG_CONFIG_HOME": str(xdg),
           "SENTIMENT_BACKOFF_SECONDS": "0.01", "SENTIMENT_COLLECT_RETRIES": "1",
           "SENTIMENT_FLOW_RETRIES": "0"}
    env = {k: v for k, v in env.items() if not k.lower().startswith("praw_")}
    db = tmp_path / "secrets.duckdb"
    outputs = []
    with FakeReddit() as server:
        server.clients[PRAW_INI["client_id"]] = (PRAW_INI["client_secret"], TOKENS["ini"])
        server.add(_thread("abc"))
        server.add(_thread("def"))
        (xdg / "praw.ini").write_text(_site("good", server.url, **PRAW_INI)
                                      + _site("wrong", server.url, **{**PRAW_INI, "client_secret": WRONG_SECRET}),
                                      encoding="utf-8")
        for site in ("good", "wrong"):  # a clean run, then 401s from the token endpoint
            outputs.append(_run([sys.executable, "-c", _COLLECT, str(sources), str(db)],
                                {**env, "SENTIMENT_REDDIT_SITE": site}))
        # a praw.ini configparser cannot read, quoting the broken line (the secret) in its error
        (xdg / "praw.ini").write_text(f"[good]\nclient_secret {PRAW_INI['client_secret']}\n", encoding="utf-8")
        broken = subprocess.run([sys.executable, "-c", _COLLECT, str(sources), str(db)], cwd=ROOT,
                                env={**env, "SENTIMENT_REDDIT_SITE": "good"}, capture_output=True, text=True,
                                timeout=RUN_TIMEOUT)
        outputs.append(broken.stdout + broken.stderr)
    # the page behind port 9 never comes: every run ends Failed, naming what failed
    assert all(out.startswith("FAILED") for out in outputs[:2]) and "paywalled" in outputs[0]
    assert "401" in outputs[1]  # the state message names each source's failures
    assert "RedditConfigError" in outputs[2] and "r-qwen" in outputs[2]
    api = _run([sys.executable, "-c", _DUMP_API], env)
    recorded = json.loads(api)
    # runs of a deployment are the scheduler's (an earlier test deployed prefect.yaml), not this test's
    runs = [r for r in recorded["flow_runs"] if r["name"].startswith("collect-") and r["deployment_id"] is None]
    assert len(runs) >= 3 and all(set(r["parameters"]) == {"sources", "db"} for r in runs)
    names = {t["name"] for t in recorded["task_runs"]}
    assert {"collect-r-qwen", "collect-r-thread", "collect-paywalled"} <= names
    assert any("401" in log["message"] for log in recorded["logs"])  # the failures were logged
    assert any("http://***@127.0.0.1:9/a?token=***" in log["message"] for log in recorded["logs"])
    assert any("RedditConfigError" in log["message"] for log in recorded["logs"])
    leaked = [s for s in secrets if s in api or any(s in out for out in outputs)]
    assert not leaked, f"secrets reached Prefect or its output: {leaked}"
    with duckdb.connect(str(db), read_only=True) as con:
        everything = repr([con.execute(f'SELECT * FROM "{t}"').fetchall() for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()])
    assert not [s for s in secrets if s in everything]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 12  # the clean run's threads


_HN_SOURCES = '[[hn]]\nname = "hn-qwen"\nquery = "qwen"\n[[files]]\nname = "bundled"\npaths = ["{seeds}"]\n'

def _states(env: dict) -> dict:
    """The server's flow runs, task runs and logs (``_DUMP_API``), cut to the fields the test reads.
    Runs of a deployment are left out: the server is shared by the session, and the scheduler creates
    runs of the deployments an earlier test made whenever the clock passes their cron time."""
    api = json.loads(_run([sys.executable, "-c", _DUMP_API], env))
    return {"flows": [[f["id"], f["name"], f["state_type"]] for f in api["flow_runs"] if f["deployment_id"] is None],
            "tasks": [[t["name"], t["state_type"], t["run_count"], t["flow_run_id"], t["id"]]
                      for t in api["task_runs"]],
            "logs": [[r["task_run_id"], r["message"]] for r in api["logs"]]}


def test_a_source_that_keeps_failing_fails_the_run_in_prefect_after_its_retries(prefect_env, tmp_path):
    """The HN API is down: the collect task is retried by Prefect, ends Failed, the pipeline still
    classifies and briefs what the other source stored and then ends Failed; once the API is back
    the next collect run fetches the failed search and ends Completed."""
    from tests.fakes.hn import FakeHN
    from tests.sources.test_hn_live import T0, _story

    sources = tmp_path / "sources.toml"
    sources.write_text(_HN_SOURCES.format(seeds=ROOT / "seeds"), encoding="utf-8")
    db = tmp_path / "failing.duckdb"
    env = {**_sentiment_env(prefect_env, tmp_path), "SENTIMENT_SOURCES": str(sources),
           "SENTIMENT_HN_API_URL": f"http://127.0.0.1:{free_port()}/api/v1",  # nothing listens there
           "SENTIMENT_COLLECT_RETRIES": "0", "SENTIMENT_BACKOFF_SECONDS": "0.01",
           "SENTIMENT_FLOW_RETRIES": "1", "SENTIMENT_FLOW_RETRY_DELAY_SECONDS": "0.1"}
    before = {f[0] for f in _states(env)["flows"]}
    done = subprocess.run([sys.executable, "-c", _PIPELINE, str(db), str(tmp_path / "briefs")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode != 0 and "StepIncomplete" in done.stdout + done.stderr, done.stdout[-3000:]
    recorded = _states(env)
    new = {fid: (name, state) for fid, name, state in recorded["flows"] if fid not in before}
    states = {name.split("-", 1)[0]: state for name, state in new.values()}
    assert states == {"pipeline": "FAILED", "collect": "FAILED", "classify": "COMPLETED", "trends": "COMPLETED",
                      "brief": "COMPLETED"}, new
    tasks = {name: (state, runs) for name, state, runs, fid, _ in recorded["tasks"] if fid in new}
    bundled = {tid for name, _, _, fid, tid in recorded["tasks"] if fid in new and name == "collect-bundled"}
    assert tasks["collect-hn-qwen"] == ("FAILED", 2)  # the first attempt and Prefect's retry
    assert tasks["collect-bundled"] == ("COMPLETED", 1), [m for tid, m in recorded["logs"] if tid in bundled]
    assert (tmp_path / "briefs" / "2026-W10.html").exists()  # the later steps ran on what was stored
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM stances").fetchone()[0] > 500
        assert con.execute("SELECT item, attempts FROM collect_failures").fetchall() == [("search?query=qwen", 2)]
        statuses = dict(con.execute("SELECT step, list(status ORDER BY started_at) FROM runs GROUP BY step").fetchall())
    assert statuses["collect:hn"] == ["failed", "failed"] and statuses["collect"] == ["partial"]
    assert statuses["classify"] == ["ok"] and statuses["trends"] == ["ok"]

    with FakeHN() as hn:
        hn.add(_story(11, T0))
        out = _run([sys.executable, "-c", _COLLECT, str(sources), str(db)],
                   {**env, "SENTIMENT_HN_API_URL": f"{hn.url}/api/v1"})
    assert out.startswith("COMPLETED"), out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM collect_failures").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM documents WHERE source = 'hn' AND doc_id = 'hn:11'").fetchone()[0] == 1
