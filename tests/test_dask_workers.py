"""Classification on a real Dask scheduler and two real worker processes, as on a second machine:
the package installed there by pip (a copy built from this checkout into a temporary folder, the
only thing on the workers' path), started in another folder, with an empty models folder and no
Prefect. The stance rows must equal the in-process run's, no worker may train, and a worker given
other weights must refuse the batches.

Every process started here is stopped by PID in ``finally`` blocks.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, SEEDS, free_port, run_counts

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 180


def _stop(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            continue


def _install_copy(target: Path) -> Path:
    """``pip install`` of this checkout's package into ``target/site``: a wheel built from a copy of
    its sources (so the checkout gets no build folders), installed without dependencies (they are
    this interpreter's); returns the site folder."""
    src = target / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "sentiment", src / "sentiment", ignore=shutil.ignore_patterns("__pycache__"))
    # The PEP 517 hook pip would call, called directly: pip 23.2's own build of a tree with this
    # setuptools (84) fails in bdist_wheel (AttributeError: 'NoneType' ... has_pure_modules).
    build = [sys.executable, "-c", "import sys; from setuptools import build_meta; "
             "print(build_meta.build_wheel(sys.argv[1]))", str(target / "dist")]
    done = subprocess.run(build, cwd=src, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    wheel = target / "dist" / done.stdout.strip().splitlines()[-1]
    site = target / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return site


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(scheduler address, workers' empty models folder, the processes' logs) of a running scheduler
    and two workers, one thread and one inference thread each."""
    root = tmp_path_factory.mktemp("dask")
    site = _install_copy(root)
    elsewhere, models = root / "elsewhere", root / "empty-models"
    elsewhere.mkdir()
    models.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTIMENT_", "PREFECT_", "PYTHONPATH"))}
    env.update(PYTHONPATH=str(site), SENTIMENT_MODELS_DIR=str(models), SENTIMENT_THREADS="1",
               HF_HUB_OFFLINE="1")
    address = f"tcp://127.0.0.1:{free_port()}"
    commands = [[str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                 "--no-dashboard"]]
    commands += [[str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                  "--name", f"w{i}"] for i in (1, 2)]
    procs, logs = [], []
    try:
        for i, command in enumerate(commands):
            log = root / f"proc{i}.log"
            logs.append(log)
            procs.append(subprocess.Popen(command, cwd=elsewhere, env=env, stdout=log.open("w"),
                                          stderr=subprocess.STDOUT, start_new_session=True))
            if i == 0:
                time.sleep(2)
        with distributed.Client(address, timeout=STARTUP_TIMEOUT) as client:
            client.wait_for_workers(2, timeout=STARTUP_TIMEOUT)
            where = client.run(lambda: __import__("sentiment").__file__)
        assert all(str(site) in path for path in where.values()), where  # the installed copy, not the checkout
        yield address, models, logs
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _stances(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT doc_id, model_version, label, p_concern, p_skepticism, p_support, p_neutral "
                           "FROM stances ORDER BY doc_id").fetchall()


def test_two_workers_elsewhere_label_as_in_process(cluster, fast_model, tmp_path, monkeypatch):
    address, models, logs = cluster
    monkeypatch.setenv("SENTIMENT_BATCH_SIZE", "64")
    monkeypatch.setenv("SENTIMENT_CLASSIFY_TASK_BATCHES", "2")
    from sentiment.cli import app
    from sentiment.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    local, remote = tmp_path / "local.duckdb", tmp_path / "remote.duckdb"
    for db in (local, remote):
        assert runner.invoke(app, ["--db", str(db), "ingest", str(SEEDS)]).exit_code == 0
    done = runner.invoke(app, ["--db", str(local), "classify", "--model", "fast"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["--db", str(remote), "classify", "--model", "fast", "--dask", address])
    assert done.exit_code == 0, done.output

    here, there = _stances(local), _stances(remote)
    assert len(here) > 500 and [r[:3] for r in there] == [r[:3] for r in here]  # ids, version, labels
    assert here[0][1] == fast_model.model_version and "-w" in here[0][1]
    assert max(abs(a - b) for r, s in zip(here, there) for a, b in zip(r[3:], s[3:])) <= 1e-6
    with duckdb.connect(str(remote), read_only=True) as con:
        ((n_in, new, _, _, skipped),) = run_counts(con, "classify")
        assert new == len(here) and n_in == new + skipped
    assert list(models.iterdir()) == []  # no worker trained (it would write base/ and fast/ here)


def test_a_worker_given_other_weights_refuses_the_batches(cluster, fast_model):
    """The bytes a worker holds decide the version it labels under: weights that differ from the
    model the batches ask for (one bias changed) are refused with a clear error."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    from sentiment.classify.inference import ONNX_FILE
    from sentiment.classify.shipped import Batches, ModelBundle, WrongModel, bundle_of, classify_batches

    address, _, _ = cluster
    bundle = bundle_of(fast_model)
    model = onnx.load_from_string(bundle.files[ONNX_FILE])
    bias = next(t for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT and len(t.dims) == 1)
    bias.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(bias) + np.float32(0.5), bias.name))
    other = ModelBundle("transformer", bundle.model_version,
                        {**bundle.files, ONNX_FILE: model.SerializeToString()}, backend=bundle.backend)
    batch = [("d1", "They will close the weights now, I am worried.", "Lead leaves")]
    with distributed.Client(address, timeout=STARTUP_TIMEOUT) as client:
        shipped = client.scatter(other, broadcast=True, hash=False)
        future = client.submit(classify_batches, shipped, fast_model.model_version, Batches([batch]), pure=False)
        with pytest.raises(WrongModel, match=r"this worker holds fast-minilm-\S+-w[0-9a-f]{8}, the batches ask for "
                                             + fast_model.model_version.replace("+", r"\+")):
            future.result(timeout=STARTUP_TIMEOUT)
