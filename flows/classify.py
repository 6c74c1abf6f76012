"""The classify flow: documents without a stance from the current model, one task per batch.

The flow reads the pending documents once, submits one ``classify-batch`` task per batch to its
task runner, and stores the batches' stances as they arrive, in batch order (the finished ones together, in
one short writer connection). Only the flow writes:
the tasks are pure computation, so they can run on threads (default) or on Dask workers on this
or other machines (``classify_on_dask``) and give the same stance rows either way. Each batch is
its own transaction, so an interrupted run keeps what it stored and a re-run does the rest.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Annotated, Literal

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from flows.common import db_path, named, require_trained
from sentiment.classify.model import Classifier, load_classifier
from sentiment.classify.run import activate, pending_documents, stances_table
from sentiment.settings import get_settings
from sentiment.store import connect, upsert_stances
from sentiment.store.runs import finish_run, start_run


@lru_cache(maxsize=4)
def cached_classifier(name: str) -> Classifier:
    """One loaded model per process and name: a worker loads weights once, not once per batch."""
    return load_classifier(name)


@task(name="classify-batch", task_run_name="classify-batch-{index}", cache_policy=NO_CACHE)
def classify_batch(model: str, index: int, batch: list[tuple[str, str, str | None]]) -> pa.Table:
    """Stances for one batch of (doc_id, text, thread title); no database access."""
    return stances_table(cached_classifier(model), batch)


def _store_ready(db: str | None, futures: list, start: int, max_seconds: float = 5.0) -> tuple[int, int]:
    """Store batch ``start`` (waiting for it) and every following batch already finished, in order,
    in one writer connection held for at most ~``max_seconds``; returns (next batch, rows)."""
    first = futures[start].result()
    rows, i = 0, start
    with connect(db_path(db), publish=False) as con:
        began = time.monotonic()
        rows += upsert_stances(con, first)
        i += 1
        while i < len(futures) and futures[i].state.is_final() and time.monotonic() - began < max_seconds:
            rows += upsert_stances(con, futures[i].result())
            i += 1
    return i, rows


ModelName = Literal["ensemble", "accurate", "fast", "baseline"]
"""The classifiers a flow can use (``sentiment.classify.model``)."""


@flow(name="classify", flow_run_name=named("classify"), log_prints=True)
def classify(
    db: Annotated[str | None, Field(min_length=1)] = None,
    model: ModelName | None = None,
    batch_size: Annotated[int | None, Field(gt=0)] = None,
) -> dict:
    """Label every pending community document, one task per batch. A trained preset this machine
    does not have fails the run at once with the command that trains it (training takes minutes
    and belongs to ``sentiment train``, not to a scheduled run).

    Args:
        db: The DuckDB file to write; default ``SENTIMENT_DB``.
        model: ensemble, accurate, fast or baseline; default ``SENTIMENT_CLASSIFIER``.
        batch_size: Documents per batch task and transaction; default ``SENTIMENT_BATCH_SIZE``.
    """
    settings = get_settings()
    model = model or settings.classifier
    require_trained(model)  # before anything runs or is written
    logger = get_run_logger()
    batch_size = batch_size or settings.batch_size
    version = cached_classifier(model).model_version
    with connect(db_path(db), publish=False) as con:
        todo, empty = pending_documents(con, version)
        stats = start_run(con, "classify")
    stats.n_in = len(todo) + empty
    stats.notes["model_version"] = version
    if empty:
        stats.skip("empty text", empty)
    batches = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)]
    logger.info("%d documents to label with %s in %d batches of up to %d (%d without text skipped)",
                len(todo), version, len(batches), batch_size, empty)
    status = "failed"
    try:
        futures = [classify_batch.submit(model, i, b) for i, b in enumerate(batches)]
        done, reported = 0, 0
        while done < len(futures):
            done, rows = _store_ready(db, futures, done)
            stats.n_new += rows
            if done - reported >= 20 or done == len(futures):
                logger.info("stored %d/%d batches (%d stances)", done, len(futures), stats.n_new)
                reported = done
        status = "ok"
    except BaseException as exc:
        stats.notes["error"] = f"{type(exc).__name__}: {exc}"[:300]
        raise
    finally:
        with connect(db_path(db)) as con:
            if status == "ok":
                activate(con, cached_classifier(model))
            finish_run(con, stats, status)
    return {"classified": stats.n_new, "model_version": version, "skipped": empty}


def dask_runner(address: str | None = None, n_workers: int | None = None):
    """A ``DaskTaskRunner``: the scheduler at ``address`` (default ``SENTIMENT_DASK_ADDRESS``), else
    a ``LocalCluster`` of ``n_workers`` processes (default ``SENTIMENT_DASK_WORKERS``)."""
    from prefect_dask import DaskTaskRunner

    settings = get_settings()
    address = address or settings.dask_address
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": n_workers or settings.dask_workers,
                                          "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None})


def classify_on_dask(address: str | None = None, n_workers: int | None = None):
    """The classify flow with its batches on Dask (same stance rows as the in-process runner)."""
    return classify.with_options(name="classify-dask", task_runner=dask_runner(address, n_workers))


classify_dask = classify_on_dask()
"""Entry point for the ``classify-dask`` deployment (scheduler from ``SENTIMENT_DASK_ADDRESS``)."""
