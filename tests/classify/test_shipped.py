"""The model as bytes for Dask workers, the task they run, and the checks before work is sent
(the real scheduler and worker processes are in tests/test_dask_workers.py)."""

from __future__ import annotations

import importlib.metadata
import pickle

import pytest
from typer.testing import CliRunner

from sentiment.classify.baseline import RuleBaseline
from sentiment.classify.cluster import ClusterError, check_workers, dask_client
from sentiment.classify.shipped import Batches, WrongModel, bundle_of, classify_batches, held_classifier
from sentiment.cli import app
from sentiment.settings import Settings
from tests.conftest import SEEDS, free_port

BATCH = [("d1", "This will kill the open models, I am worried.", "Lead leaves"), ("d2", "Great news!", None)]


def test_the_baseline_travels_and_labels_as_in_process():
    bundle = pickle.loads(pickle.dumps(bundle_of(RuleBaseline())))
    (table,) = classify_batches(bundle, "baseline-rules-1", Batches([BATCH]))
    assert table.column("model_version").to_pylist() == ["baseline-rules-1"] * 2
    assert table.column("label").to_pylist() == [p.label for p in RuleBaseline().predict([t for _, t, _ in BATCH])]
    assert held_classifier(bundle, Settings()) is held_classifier(bundle, Settings())  # built once per process


def test_a_batch_asking_for_another_model_is_refused():
    with pytest.raises(WrongModel, match="holds baseline-rules-1, the batches ask for fast-minilm-x-s13-w0"):
        classify_batches(bundle_of(RuleBaseline()), "fast-minilm-x-s13-w0", Batches([BATCH]))


def test_an_unknown_classifier_cannot_be_shipped():
    class Other:
        model_version = "other-1"

    with pytest.raises(TypeError, match="cannot ship a Other"):
        bundle_of(Other())


class _Client:
    """A ``distributed.Client`` stand-in: what the scheduler and each worker answer."""

    def __init__(self, scheduler, workers, joined=True, threads=1, nthreads=1, cpus=2):
        self.scheduler, self.workers, self.joined = scheduler, workers, joined
        self.facts = {w: {"version": v, "threads": threads, "cpus": cpus} for w, v in workers.items()}
        self.info = {w: {"host": "10.0.0.5", "nthreads": nthreads} for w in workers}

    def wait_for_workers(self, n, timeout=None):
        if not self.joined:
            raise TimeoutError

    def run_on_scheduler(self, fn):
        if isinstance(self.scheduler, BaseException):
            raise self.scheduler
        return self.scheduler

    def run(self, fn, on_error="raise"):
        return dict(self.facts) if fn.__name__ == "worker_facts" else dict(self.workers)

    def scheduler_info(self, n_workers=-1):
        return {"workers": self.info}


OURS = importlib.metadata.version("community-stance")


@pytest.mark.parametrize("client, message", [
    (_Client(OURS, {}, joined=False), "no Dask worker joined the scheduler at tcp://h:8786 within"),
    (_Client(OURS, {"tcp://w1": OURS, "tcp://w2": importlib.metadata.PackageNotFoundError("community-stance")}),
     "the worker tcp://w2 does not have community-stance (PackageNotFoundError): `pip install "
     f"'community-stance[dask]=={OURS}'` there, then restart it"),
    (_Client(OURS, {"tcp://w1": "0.0.9"}), f"the worker tcp://w1 has community-stance 0.0.9, this process {OURS}"),
    (_Client(ModuleNotFoundError("sentiment"), {"tcp://w1": OURS}),
     "the scheduler at tcp://h:8786 does not have community-stance (ModuleNotFoundError)"),
])
def test_workers_are_checked_before_any_work_with_one_line_errors(client, message):
    with pytest.raises(ClusterError) as caught:
        check_workers(client, "tcp://h:8786", wait=0.1)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_good_workers_are_counted_and_oversubscribed_cores_named(caplog):
    assert check_workers(_Client(OURS, {"tcp://w1": OURS, "tcp://w2": OURS}), "tcp://h:8786", wait=0.1) == 2
    assert not caplog.records
    check_workers(_Client(OURS, {"tcp://w1": OURS, "tcp://w2": OURS}, threads=2, nthreads=2), "tcp://h:8786", wait=0.1)
    (record,) = caplog.records
    assert record.getMessage() == (
        "Dask workers on 10.0.0.5 run 8 inference threads on 2 cores (2 worker processes; task threads "
        "× SENTIMENT_THREADS each): start them with --nthreads 1 and SENTIMENT_THREADS=1")


def test_no_scheduler_is_one_line_exit_2_and_no_run(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setenv("SENTIMENT_DASK_WAIT", "1")
    from sentiment.settings import get_settings

    get_settings.cache_clear()
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ClusterError, match="no Dask scheduler answers at"):
        with dask_client(address, get_settings()):
            pass
    db = tmp_path / "x.duckdb"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(db), "ingest", str(SEEDS)]).exit_code == 0
    result = runner.invoke(app, ["--db", str(db), "classify", "--model", "baseline", "--dask", address])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"classify: no Dask scheduler answers at {address} (OSError): start one with `dask scheduler` there, "
        "or use --dask local"]
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs WHERE step = 'classify'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM stances").fetchone()[0] == 0
