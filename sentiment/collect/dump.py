"""``sentiment collect dump``: Pushshift / Arctic Shift dump files through the bulk importer
(:mod:`sentiment.store.bulk`), one transaction per batch; unreadable files are retried."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from sentiment.collect.base import Collector, Context, Params, as_datetime, option
from sentiment.sources.dump import DumpReader
from sentiment.store.collect_state import clear_failure, parse_query_item, pending_failures, query_item

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DumpParams(Params):
    """Dump files and the filters their records are kept by."""

    paths: tuple[str, ...] = field(default=(), metadata=option(many=True))
    subreddits: tuple[str, ...] = field(default=(), metadata=option("--subreddit", many=True))
    since: str | date | None = field(default=None, metadata=option("--since"))
    until: str | date | None = field(default=None, metadata=option("--until"))
    keywords: tuple[str, ...] = field(default=(), metadata=option("--keyword", many=True))


def collect_dump(ctx: Context, params: DumpParams) -> None:
    """``sentiment collect dump``: stream each file in batches through :class:`DumpImporter`.

    A file that is missing or cannot be read is recorded in ``collect_failures`` with the filters
    it was read with (a ``file?path=...`` item), and the next dump run reads it again with them;
    what it imported before the failure is kept (one transaction per batch).
    """
    from sentiment.store.bulk import DumpFilters, DumpImporter  # numpy and pyarrow: only when needed

    def options(values: dict) -> dict:
        """Filter options in one shape, from the command's params or a recorded item's lists."""
        def one(v):
            v = (v[0] if v else None) if isinstance(v, list) else v
            return None if v in (None, "") else str(v)

        return {"subreddits": sorted(values.get("subreddits") or []), "keywords": list(values.get("keywords") or []),
                "since": one(values.get("since")), "until": one(values.get("until"))}

    jobs: dict[str, tuple[Path, dict]] = {}  # failure item -> (file, filter options)
    for item in pending_failures(ctx.con, "dump"):
        found = parse_query_item(item, "file")
        if found and found.get("path"):
            jobs[item] = (Path(found["path"][0]), options(found))
    for p in params.paths:
        opts = options({k: getattr(params, k) for k in ("subreddits", "keywords", "since", "until")})
        path = Path(p)
        jobs.setdefault(query_item("file", {"path": str(path.resolve()), **opts}), (path, opts))
    existing = [(item, path, opts) for item, (path, opts) in jobs.items() if path.is_file()]
    for item, (path, _) in jobs.items():
        if not path.is_file():
            ctx.fail("dump", item, "no such file", "dump file", "read", shown=str(path))
    total = sum(path.stat().st_size for _, path, _ in existing) or None
    done = 0
    importers: dict[str, DumpImporter] = {}
    for item, path, opts in existing:
        key = repr(sorted(opts.items()))
        if key not in importers:
            importers[key] = DumpImporter(ctx.con, ctx.author_key, DumpFilters(
                subreddits=list(opts["subreddits"]), since=as_datetime(opts["since"]),
                until=as_datetime(opts["until"]), keywords=[k for k in opts["keywords"] if k.strip()]))
        importer = importers[key]
        with DumpReader(path) as reader:
            try:
                for n, batch in enumerate(reader.batches(ctx.settings.dump_batch_rows), start=1):
                    result = importer.import_lines(batch, reader.line_numbers, path.name)
                    log.info("dump %s: committed batch %d (%d lines, %d new, %d in all)",
                             path.name, n, len(batch), result.n_new, importer.result.n_new)
                    ctx.progress(done + reader.position, total)
            except Exception as exc:  # a corrupt .zst frame: keep what was imported, report the file
                if isinstance(exc, duckdb.Error):
                    raise
                ctx.fail("dump", item, f"{type(exc).__name__}: {exc}"[:200], "dump file", "read",
                         shown=str(path))
            else:
                clear_failure(ctx.con, "dump", item)
                ctx.done()
            done += reader.size
    ctx.progress(total or 0, total)
    for importer in importers.values():
        importer.close()
        ctx.report.add(importer.result)
        ctx.report.skips.merge(importer.skips)


COLLECTOR = Collector("dump", DumpParams, collect_dump)
