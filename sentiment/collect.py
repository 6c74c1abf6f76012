"""Collect one configured source into the database (minimal stand-in: ``files`` only).

The issue-5 collectors replace this module with live Reddit, HN, dump, feed and page
collectors behind the same ``run_source`` signature; until then the ``files`` kind stores local
files and snapshot folders through ``sentiment.ingest.ingest_paths``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from sentiment.settings import get_settings, load_author_key


@dataclass
class CollectReport:
    """What one source run did; ``failed`` lists ids/urls to retry on the next run."""

    source: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)


def run_source(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    params: dict,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> CollectReport:
    """Collect ``kind`` with ``params`` (the CLI option names); writes its own ``runs`` row."""
    if kind != "files":
        raise NotImplementedError(f"collector {kind!r} is not available in this build (only 'files')")
    from sentiment.ingest import collect_files, ingest_paths

    paths = params["paths"]
    total = len(collect_files(paths)[0])
    done = 0

    def advance(_path) -> None:
        nonlocal done
        done += 1
        if on_progress:
            on_progress(done, total)

    report = ingest_paths(con, paths, author_key=load_author_key(get_settings()), on_file=advance)
    d = report.documents
    return CollectReport(source="files", fetched=d.n_in, new=d.n_new, updated=d.n_updated,
                         unchanged=d.n_unchanged, skipped=Counter(report.skipped),
                         failed=sorted(report.failed_files))
