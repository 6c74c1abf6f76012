"""The classify flow: documents without a stance from the current model, a task per group of batches.

The flow reads the pending documents once, cuts them into batches of ``SENTIMENT_BATCH_SIZE`` and
submits one task per ``SENTIMENT_CLASSIFY_TASK_BATCHES`` consecutive batches. It stores the batches'
stances as the tasks finish, in order, each batch in its own transaction (the finished ones
together, in one short writer connection). Only the flow writes: the tasks are pure computation.
``classify`` runs them as Prefect tasks on threads of its own process; ``classify-dask`` sends them
to Dask workers on this or other machines as plain functions of the installed ``sentiment``
package (``sentiment.classify.cluster``), with the loaded model's bytes shipped to every worker
once, so a worker needs neither Prefect, nor this checkout, nor a trained model of its own. Both
give the same stance rows. An interrupted run keeps every batch it stored and a re-run does the rest.

Why groups: a Prefect task costs tens of milliseconds of orchestration (its run record, state
changes, a thread) whatever it does, as much as the rule baseline needs for a whole batch; a group
of batches pays it once. The batches go to the task in one opaque object (``Batches``) so neither
Prefect nor Dask walks every (doc_id, text, title) tuple looking for futures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Annotated, Literal

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from pydantic import Field

from flows.common import named, open_db, require_trained, settings
from sentiment.classify.cluster import dask_client, ship, submit_groups
from sentiment.classify.base import Classifier
from sentiment.classify.registry import load_classifier
from sentiment.classify.run import activate, pending_documents
from sentiment.classify.shipped import Batch, Batches, stances_table
from sentiment.store import upsert_stances
from sentiment.store.runs import finish_run, start_run


@lru_cache(maxsize=4)
def cached_classifier(name: str) -> Classifier:
    """One loaded model per process and name: the flow's task threads share it, and the Dask path
    ships the same one."""
    return load_classifier(name, settings())


@task(name="classify-batches", task_run_name="classify-batches-{index}", cache_policy=NO_CACHE)
def classify_batches(model: str, index: int, batches: Batches) -> list[pa.Table]:
    """Stances for consecutive batches, one table per batch (each stored in its own transaction);
    no database access."""
    classifier = cached_classifier(model)
    return [stances_table(classifier, batch) for batch in batches.items]


def _store_ready(db: str | None, futures: list, start: int, max_seconds: float = 5.0) -> tuple[int, int, int]:
    """Store the batches of task ``start`` (waiting for it) and of every following task already
    finished, in order, one transaction per batch, in one writer connection held for at most
    ~``max_seconds``; returns (next task, batches stored, rows stored)."""
    tables = futures[start].result()
    i, n_batches, rows = start + 1, 0, 0
    finished = ((lambda f: f.state.is_final()) if isinstance(futures[start], PrefectFuture)
                else (lambda f: f.done()))
    with open_db(db, publish=False) as con:
        began = time.monotonic()
        while True:
            for table in tables:
                rows += upsert_stances(con, table)
                n_batches += 1
            if i == len(futures) or not finished(futures[i]) or time.monotonic() - began >= max_seconds:
                break
            tables = futures[i].result()
            i += 1
    return i, n_batches, rows


ModelName = Literal["ensemble", "accurate", "fast", "baseline"]
"""The classifiers a flow can use (``sentiment.classify.registry``)."""


def _label_pending(db: str | None, model: str, batch_size: int | None, task_batches: int | None,
                   submit: Callable[[list[list[Batch]]], list]) -> dict:
    """The body both flows share: read the pending documents, ``submit`` them as groups of
    batches (one future per group, its result one stances table per batch), store the results in
    order, and record the run."""
    config = settings()
    logger = get_run_logger()
    batch_size = batch_size or config.batch_size
    task_batches = task_batches or config.classify_task_batches
    version = cached_classifier(model).model_version
    with open_db(db, publish=False) as con:
        todo, empty = pending_documents(con, version)
        stats = start_run(con, "classify")
    stats.n_in = len(todo) + empty
    stats.notes["model_version"] = version
    if empty:
        stats.skip("empty text", empty)
    batches = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)]
    groups = [batches[i:i + task_batches] for i in range(0, len(batches), task_batches)]
    logger.info("%d documents to label with %s in %d batches of up to %d, %d tasks "
                "(%d without text skipped)", len(todo), version, len(batches), batch_size, len(groups), empty)
    status = "failed"
    try:
        futures = submit(groups) if groups else []
        done, stored, reported = 0, 0, 0
        while done < len(futures):
            done, n_batches, rows = _store_ready(db, futures, done)
            stored += n_batches
            stats.n_new += rows
            if stored - reported >= 20 or done == len(futures):
                logger.info("stored %d/%d batches (%d stances)", stored, len(batches), stats.n_new)
                reported = stored
        status = "ok"
    except BaseException as exc:
        stats.notes["error"] = f"{type(exc).__name__}: {exc}"[:300]
        raise
    finally:
        with open_db(db) as con:
            if status == "ok":
                activate(con, cached_classifier(model))
            finish_run(con, stats, status)
    return {"classified": stats.n_new, "model_version": version, "skipped": empty}


@flow(name="classify", flow_run_name=named("classify"), log_prints=True)
def classify(
    db: Annotated[str | None, Field(min_length=1)] = None,
    model: ModelName | None = None,
    batch_size: Annotated[int | None, Field(gt=0)] = None,
    task_batches: Annotated[int | None, Field(gt=0)] = None,
) -> dict:
    """Label every pending community document, ``task_batches`` batches per task on threads of
    this process, each batch stored in its own transaction. A trained preset this machine does not
    have fails the run at once with the command that trains it (training takes minutes and belongs
    to ``sentiment train``, not to a scheduled run).

    Args:
        db: The DuckDB file to write; default ``SENTIMENT_DB``.
        model: ensemble, accurate, fast or baseline; default ``SENTIMENT_CLASSIFIER``.
        batch_size: Documents per batch and transaction; default ``SENTIMENT_BATCH_SIZE``.
        task_batches: Batches per task; default ``SENTIMENT_CLASSIFY_TASK_BATCHES``.
    """
    model = model or settings().classifier
    require_trained(model)  # before anything runs or is written
    return _label_pending(db, model, batch_size, task_batches,
                          lambda groups: [classify_batches.submit(model, i, Batches(g)) for i, g in enumerate(groups)])


@flow(name="classify-dask", flow_run_name=named("classify-dask"), log_prints=True)
def classify_dask(
    db: Annotated[str | None, Field(min_length=1)] = None,
    model: ModelName | None = None,
    batch_size: Annotated[int | None, Field(gt=0)] = None,
    task_batches: Annotated[int | None, Field(gt=0)] = None,
    address: Annotated[str | None, Field(min_length=1)] = None,
    n_workers: Annotated[int | None, Field(gt=0)] = None,
) -> dict:
    """The classify flow with its batches on Dask workers (the same stance rows as ``classify``).
    The model this flow loaded travels to every worker once; workers run plain functions of the
    installed package and never train. A scheduler that does not answer, no worker, or a worker
    without this package (in this version) fails the run at once with a one-line reason.

    Args:
        db: The DuckDB file to write; default ``SENTIMENT_DB``.
        model: ensemble, accurate, fast or baseline; default ``SENTIMENT_CLASSIFIER``.
        batch_size: Documents per batch and transaction; default ``SENTIMENT_BATCH_SIZE``.
        task_batches: Batches per Dask task; default 1 (a Dask task of plain functions costs
            milliseconds, and small tasks spread the run over every worker).
        address: Dask scheduler, ``tcp://host:8786``; default ``SENTIMENT_DASK_ADDRESS``, else a
            ``LocalCluster`` started for the run.
        n_workers: Worker processes of that ``LocalCluster``; default ``SENTIMENT_DASK_WORKERS``.
    """
    config = settings()
    model = model or config.classifier
    require_trained(model)
    classifier = cached_classifier(model)
    with dask_client(address or config.dask_address or "local", config, n_workers) as client:
        return _label_pending(db, model, batch_size, task_batches or 1,
                              lambda groups: submit_groups(client, ship(client, classifier),
                                                           classifier.model_version, groups))


def classify_on_dask(address: str | None = None, n_workers: int | None = None) -> Callable[..., dict]:
    """The ``classify-dask`` flow bound to a scheduler ``address`` (or a ``LocalCluster`` of
    ``n_workers`` processes)."""
    return partial(classify_dask, address=address, n_workers=n_workers)
