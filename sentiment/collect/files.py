"""``sentiment collect files``: local files and folders, read as ``sentiment ingest`` reads them
(:mod:`sentiment.ingest`), recorded as a collect run."""

from __future__ import annotations

from dataclasses import dataclass, field

from sentiment.collect.base import Collector, Context, Params, option


@dataclass(frozen=True)
class FilesParams(Params):
    """Files and folders to read (articles, snapshots, events files)."""

    paths: tuple[str, ...] = field(default=(), metadata=option(many=True))


def collect_files(ctx: Context, params: FilesParams) -> None:
    """Read every file under ``params.paths`` (and earlier unreadable ones), one per transaction."""
    from sentiment.ingest import collect_files as files_under, ingest_paths

    paths = list(params.paths)
    files, _ = files_under(paths)
    done = 0

    def step(_path) -> None:
        nonlocal done
        done += 1
        ctx.progress(done, max(done, len(files)))  # earlier failures read again come on top

    report = ingest_paths(ctx.con, paths, author_key=ctx.author_key, on_file=step, record_run=False,
                          max_bytes=ctx.settings.page_max_bytes)
    d = report.documents
    ctx.report.fetched += d.n_in
    ctx.report.new += d.n_new
    ctx.report.updated += d.n_updated
    ctx.report.events.update({"in": report.events.n_in, "new": report.events.n_new,
                              "updated": report.events.n_updated})
    ctx.report.unchanged += d.n_unchanged
    ctx.report.skips.merge(report.skips)
    ctx.report.failed.extend(report.failed_files)
    ctx.report.succeeded += report.files_read


COLLECTOR = Collector("files", FilesParams, collect_files)
