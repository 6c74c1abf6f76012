"""``sentiment collect KIND``: run one collector with a progress bar and print its summary.

Thin by design: options become the kind's params dataclass (same names, see
:mod:`sentiment.collect`), the library does the work.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from sentiment.cli.output import console, print_skips, progress_bar
from sentiment.cli.session import open_writer, settings_of


collect_app = typer.Typer(help="Collect from Reddit, Hacker News, dumps, news feeds, pages or files.",
                          no_args_is_help=True, pretty_exceptions_show_locals=False)


def _date(value: Optional[str], option: str) -> Optional[str]:
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-03-01", param_hint=option) from None
    return value


def _run(ctx: typer.Context, kind: str, params) -> None:
    """Run one collector and exit by the outcome rule: 0 when every item was collected, 3 when
    some were stored and some failed, 1 when none could be (see ``sentiment.store.runs``)."""
    from sentiment.collect import COLLECTORS, run_source
    from sentiment.sources.reddit_live import RedditConfigError
    from sentiment.store.runs import EXIT_USAGE, exit_code

    settings = settings_of(ctx)
    paths = list(getattr(params, "paths", ()))
    missing = [p for p in paths if not Path(p).exists()]
    if missing:  # refused before anything is opened: no database, lock or key is created
        console.print(f"no such file or folder: {', '.join(missing)}", style="red", markup=False)
        raise typer.Exit(EXIT_USAGE)
    if kind == "files" and not settings.db.exists():
        from sentiment.sources.files import first_readable, input_files
        from sentiment.store.runs import EXIT_FAILED

        if input_files(paths)[0] and first_readable(paths) is None:
            console.print(f"nothing readable in {', '.join(paths)}: no database created", style="red",
                          markup=False)
            raise typer.Exit(EXIT_FAILED)
    started = time.perf_counter()
    with open_writer(settings) as con:
        with progress_bar() as progress:
            task = progress.add_task(f"collect {kind}", total=None)
            try:
                report = run_source(con, kind, params, settings=settings,
                                    on_progress=lambda done, total: progress.update(task, completed=done, total=total))
            except RedditConfigError as exc:
                progress.stop()
                console.print(str(exc), style="red", markup=False)
                raise typer.Exit(EXIT_USAGE) from None
            except ValueError as exc:
                progress.stop()
                raise typer.BadParameter(str(exc)) from None
    console.print(
        f"collect {kind}: {report.fetched} documents fetched → {report.new} new, {report.updated} updated, "
        f"{report.unchanged} unchanged ({time.perf_counter() - started:.1f}s)", markup=False)
    print_skips(report.skipped, report.examples)
    if report.failed:
        console.print(f"  failed {len(report.failed)} ({COLLECTORS[kind].retried}): " + ", ".join(report.failed[:20])
                      + (" …" if len(report.failed) > 20 else ""), style="red", markup=False)
        what = ("some items stored, some failed" if report.status == "partial"
                else "nothing could be collected")
        console.print(f"collect {kind}: {report.status}: {what}", style="red", markup=False)
    raise typer.Exit(exit_code(report.status))


@collect_app.command()
def reddit(
    ctx: typer.Context,
    subreddit: Annotated[Optional[str], typer.Option(help="Subreddit to read (without r/).")] = None,
    query: Annotated[Optional[str], typer.Option(help="Search the subreddit for this text (newest first).")] = None,
    since: Annotated[Optional[str], typer.Option(help="Only submissions created on or after this date.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Most submissions to read from the listing.")] = None,
    thread: Annotated[Optional[list[str]], typer.Option(help="A thread URL or id (repeatable).")] = None,
) -> None:
    """Reddit through praw: whole comment forests of a listing's new threads, or given threads."""
    if not subreddit and not thread:
        raise typer.BadParameter("give --subreddit NAME or --thread URL", param_hint="--subreddit")
    from sentiment.collect.reddit import RedditParams

    _run(ctx, "reddit", RedditParams(subreddit=subreddit, query=query, since=_date(since, "--since"),
                                     limit=limit, threads=tuple(thread or ())))


@collect_app.command()
def hn(
    ctx: typer.Context,
    query: Annotated[str, typer.Option(help="Search Hacker News stories for this text.")],
    since: Annotated[Optional[str], typer.Option(help="Only stories created on or after this date.")] = None,
) -> None:
    """Hacker News through the Algolia API: matching stories and their whole comment trees."""
    from sentiment.collect.hn import HNParams

    _run(ctx, "hn", HNParams(query=query, since=_date(since, "--since")))


@collect_app.command()
def dump(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Pushshift/Arctic Shift NDJSON dumps, plain or .zst.")],
    subreddit: Annotated[Optional[list[str]], typer.Option(help="Keep only this subreddit (repeatable).")] = None,
    since: Annotated[Optional[str], typer.Option(help="Keep records created on or after this date.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Keep records created before this date.")] = None,
    keyword: Annotated[Optional[list[str]], typer.Option(help="Keep records containing this word (repeatable).")] = None,
) -> None:
    """Backfill Reddit comments and submissions from dump files (streamed, constant memory)."""
    from sentiment.collect.dump import DumpParams

    _run(ctx, "dump", DumpParams(paths=tuple(str(p) for p in paths), subreddits=tuple(subreddit or ()),
                                 since=_date(since, "--since"), until=_date(until, "--until"),
                                 keywords=tuple(keyword or ())))


_RETRY_GIVEN_UP = ("Also retry the permanent failures given up after their last attempt "
                   "(listed by `sentiment doctor`).")


def _urls(urls: Optional[list[str]], retry_given_up: bool, what: str) -> tuple[str, ...]:
    """The URLs to collect; none is refused unless ``--retry-given-up`` asks for the given-up ones."""
    if not urls and not retry_given_up:
        raise typer.BadParameter(f"give one or more {what} URLs, or --retry-given-up", param_hint="URLS")
    return tuple(urls or ())


@collect_app.command()
def feeds(
    ctx: typer.Context,
    urls: Annotated[Optional[list[str]], typer.Argument(help="RSS or Atom feed URLs.")] = None,
    retry_given_up: Annotated[bool, typer.Option("--retry-given-up", help=_RETRY_GIVEN_UP)] = False,
) -> None:
    """News feeds: every entry's article page not stored yet."""
    from sentiment.collect.news import UrlParams

    _run(ctx, "feeds", UrlParams(urls=_urls(urls, retry_given_up, "feed"), retry_given_up=retry_given_up))


@collect_app.command()
def pages(
    ctx: typer.Context,
    urls: Annotated[Optional[list[str]], typer.Argument(help="Article page URLs.")] = None,
    retry_given_up: Annotated[bool, typer.Option("--retry-given-up", help=_RETRY_GIVEN_UP)] = False,
) -> None:
    """Article pages: text, title and date, keyed by canonical URL; quoted forum users become quotes."""
    from sentiment.collect.news import UrlParams

    _run(ctx, "pages", UrlParams(urls=_urls(urls, retry_given_up, "page"), retry_given_up=retry_given_up))


@collect_app.command()
def files(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Local .txt/.html articles, snapshots, events files.")],
) -> None:
    """Local files and folders, as `sentiment ingest` reads them, recorded as a collect run."""
    from sentiment.collect.files import FilesParams

    _run(ctx, "files", FilesParams(paths=tuple(str(p) for p in paths)))
