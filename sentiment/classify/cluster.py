"""Classification batches on a Dask cluster, for the CLI and the classify flow alike.

``dask_client`` connects to a scheduler (or starts a ``LocalCluster``) and checks, before any work
is sent, what a worker needs: the same version of this package on the scheduler and every worker
(each problem is one line naming the worker and what to do). ``ship`` sends the loaded model's
bytes to every worker once; ``submit_groups`` sends batches as plain-function tasks
(``sentiment.classify.shipped.classify_batches``), so workers need neither Prefect nor the
checkout nor a trained model of their own. Only the calling process writes DuckDB.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pyarrow as pa

from sentiment.classify.base import Classifier
from sentiment.classify.shipped import Batch, Batches, bundle_of, classify_batches, worker_facts
from sentiment.settings import Settings

log = logging.getLogger(__name__)

DISTRIBUTION = "community-stance"
"""The package a worker must have installed (``pip install community-stance``)."""


class ClusterError(RuntimeError):
    """The cluster cannot take the work: no scheduler, no worker, or a worker without this package
    (the message is one line and says what to do)."""


def _installed() -> str:
    """This package's installed version where it runs (a stdlib call, so it unpickles anywhere)."""
    return importlib.metadata.version(DISTRIBUTION)


def local_worker_threads(n_workers: int, configured: int = 0) -> int:
    """Inference threads per ``LocalCluster`` worker process: ``configured``
    (``SENTIMENT_DASK_WORKER_THREADS``), else this machine's cores shared out (one each on 2 cores
    with 2 workers)."""
    return configured or max(1, (os.cpu_count() or 1) // n_workers)


def check_workers(client, address: str, wait: float) -> int:
    """Wait for workers (``wait`` seconds: ``SENTIMENT_DASK_WAIT``) and check that the scheduler
    and each worker have this package, in this version; returns the number of workers."""
    ours = importlib.metadata.version(DISTRIBUTION)
    try:
        client.wait_for_workers(1, timeout=wait)
    except Exception:
        raise ClusterError(f"no Dask worker joined the scheduler at {address} within {wait:g} s: "
                           f"start one with `dask worker {address} --nthreads 1` on each machine") from None
    where = {f"the scheduler at {address}": _scheduler_version(client)}
    where.update({f"the worker {w}": v for w, v in client.run(_installed, on_error="return").items()})
    for name, version in where.items():
        if isinstance(version, BaseException):
            raise ClusterError(f"{name} does not have {DISTRIBUTION} ({type(version).__name__}): "
                               f"`pip install '{DISTRIBUTION}[dask]=={ours}'` there, then restart it")
        if version != ours:
            raise ClusterError(f"{name} has {DISTRIBUTION} {version}, this process {ours}: "
                               f"`pip install '{DISTRIBUTION}[dask]=={ours}'` there, then restart it")
    _warn_oversubscribed(client)
    return len(where) - 1


def _warn_oversubscribed(client) -> None:
    """One warning per machine whose workers would run more inference threads than it has cores
    (task threads × ``SENTIMENT_THREADS``, summed over its worker processes): they would slow
    each other down, not speed up."""
    facts = client.run(worker_facts)
    info = client.scheduler_info(n_workers=-1)["workers"]
    hosts: dict[str, list[tuple[int, dict]]] = {}
    for address, worker in info.items():
        if address in facts:
            hosts.setdefault(worker["host"], []).append((worker["nthreads"], facts[address]))
    for host, workers in hosts.items():
        wanted = sum(n * f["threads"] for n, f in workers)
        cpus = workers[0][1]["cpus"]
        if wanted > cpus:
            log.warning("Dask workers on %s run %d inference threads on %d cores (%d worker processes; task threads "
                        "× SENTIMENT_THREADS each): start them with --nthreads 1 and SENTIMENT_THREADS=%d",
                        host, wanted, cpus, len(workers), max(1, cpus // len(workers)))


def _scheduler_version(client) -> str | BaseException:
    try:
        return client.run_on_scheduler(_installed)
    except Exception as exc:  # noqa: BLE001 - reported as one line by the caller
        return exc


@contextmanager
def dask_client(target: str, settings: Settings, n_workers: int | None = None) -> Iterator:
    """A checked ``distributed.Client``: ``target`` is a scheduler address (``tcp://host:8786``) or
    ``local`` for a ``LocalCluster`` of ``n_workers`` processes (default ``SENTIMENT_DASK_WORKERS``),
    one task at a time each, started for this run and closed after it. ``settings`` gives the
    wait for workers and the ``LocalCluster``'s size and threads."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError(f"Dask is not installed: `pip install '{DISTRIBUTION}[dask]'`") from None
    cluster = None
    if target == "local":
        n = n_workers or settings.dask_workers
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                               env={"SENTIMENT_THREADS": str(local_worker_threads(n, settings.dask_worker_threads))})
        client = Client(cluster)
    else:
        try:
            client = Client(target, timeout=settings.dask_wait)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"no Dask scheduler answers at {target} ({type(exc).__name__}): start one with "
                               "`dask scheduler` there, or use --dask local") from None
    try:
        check_workers(client, cluster.scheduler_address if cluster else target, settings.dask_wait)
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def ship(client, classifier: Classifier):
    """The loaded model's bytes on every worker, sent once (a worker that joins later fetches them
    from a peer); pass the returned future to ``submit_groups``."""
    bundle = bundle_of(classifier)
    log.info("shipping %s (%.1f MB) to every Dask worker", bundle.model_version, bundle.size / 1e6)
    return client.scatter(bundle, broadcast=True, hash=False)


def submit_groups(client, shipped, model_version: str, groups: Sequence[list[Batch]]) -> list:
    """One Dask task per group of batches; each future's result is one ``stances`` table per batch."""
    return [client.submit(classify_batches, shipped, model_version, Batches(group), pure=False)
            for group in groups]


def dask_tables(client, classifier: Classifier, task_batches: int = 1):
    """A ``classify_pending`` runner: the batches' stances tables computed on ``client``'s
    workers, ``task_batches`` batches per task, yielded in order as they arrive. One batch per task
    by default: a Dask task of plain functions costs milliseconds (no Prefect task run to pay for),
    and small tasks spread a run over every worker."""

    def run(batches: list[Batch]) -> Iterator[pa.Table]:
        shipped = ship(client, classifier)
        groups = [batches[i:i + task_batches] for i in range(0, len(batches), task_batches)]
        for future in submit_groups(client, shipped, classifier.model_version, groups):
            yield from future.result()

    return run
