"""What every collector shares: the run's context and report, typed params, the watermark cursor.

A collector is one module in :mod:`sentiment.collect` with a frozen params dataclass (the options
of ``sentiment collect KIND``, the keys of its ``[[KIND]]`` table in ``sentiment.toml``, what
``doctor`` prints to run it again) and a function ``(Context, params) -> None`` that fetches,
stores through :meth:`Context.store` and counts into :class:`CollectReport`.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from typing import Any, Generic, TypeVar

import duckdb

from sentiment.records import Parsed
from sentiment.redact import redact, redact_url
from sentiment.settings import Settings
from sentiment.skips import DUPLICATE, HasSkips, Skips
from sentiment.sources import ParseError
from sentiment.sources.retry import FetchFailed
from sentiment.store import upsert_documents
from sentiment.store.collect_state import RetryPolicy, clear_failure, get_watermark, record_failure, set_watermark
from sentiment.store.clock import utcnow
from sentiment.store.runs import outcome
from sentiment.store.writes import UpsertResult

Progress = Callable[[int, "int | None"], None]


@dataclass
class CollectReport(HasSkips):
    """What one collect run did (the same counts land in its ``runs`` row)."""

    source: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skips: Skips = field(default_factory=Skips)
    """What was skipped and why, with the first few items per reason (doc ids, URLs, ``FILE:LINE``)."""
    failed: list[str] = field(default_factory=list)
    succeeded: int = 0
    """Units of work done: threads, stories, pages, feeds, files, listings and searches read."""
    events: Counter[str] = field(default_factory=Counter)
    """Events files are counted on their own (``in``, ``new``, ``updated``): the other counts
    are documents, so new + updated + unchanged + duplicates is what was fetched."""

    @property
    def status(self) -> str:
        """``ok``, ``partial`` or ``failed`` by the outcome rule (``sentiment.store.runs.outcome``)."""
        return outcome(len(self.failed), self.succeeded)

    def add(self, result: UpsertResult) -> None:
        """Count one batch of upserted documents."""
        self.fetched += result.n_in
        self.new += result.n_new
        self.updated += result.n_updated
        self.unchanged += result.n_unchanged
        if result.n_duplicate:
            self.skips.add(DUPLICATE, count=result.n_duplicate)


@dataclass
class Context:
    """One collect run as its collector sees it: the writer connection, settings, report, clock."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    author_key: bytes
    report: CollectReport
    on_progress: Progress | None
    clock: Callable[[], datetime] = utcnow
    """Now, in UTC: when failures are recorded and which are due (tests move it forward)."""

    def now(self) -> datetime:
        return self.clock()

    def store(self, parsed: Parsed) -> None:
        """Store parsed documents (one transaction) and count them and their skips."""
        self.report.skips.merge(parsed.skips)
        self.report.add(upsert_documents(self.con, parsed.documents, author_key=self.author_key))

    def done(self, n: int = 1) -> None:
        """Count ``n`` units of work done (a thread stored, a search read)."""
        self.report.succeeded += n

    def progress(self, done: int, total: int | None) -> None:
        if self.on_progress:
            self.on_progress(done, total)

    def fail(self, source: str, item: str, reason: str, what: str, verb: str = "fetched",
             shown: str | None = None, *, permanent: bool = False, policy: RetryPolicy | None = None,
             context: dict | None = None) -> None:
        """Record an item that could not be fetched, in the report and in ``collect_failures`` (a
        later run of ``source`` retries it: the next one, or when ``policy`` says); redacted: a
        URL's credentials are masked."""
        record_failure(self.con, source, item, reason, permanent=permanent, policy=policy, context=context,
                       now=self.now())
        self.report.failed.append(redact_url(shown or item))
        self.report.skips.add(f"{what} not {verb}: {redact(reason)}", redact_url(shown or item))


def as_datetime(value: date | datetime | str | None) -> datetime | None:
    """A ``--since``/``--until`` value as a naive UTC datetime (a bare date is its midnight)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time())


def unique(items: Iterable[str]) -> dict[str, None]:
    """An insertion-ordered set: ids to fetch, each once, in the order they were found."""
    return dict.fromkeys(items)


def fetch_each(ctx: Context, source: str, ids: list[str], fetch: Callable[[str], Parsed], what: str) -> None:
    """Fetch and store each thread or story in its own transaction; one that fails is recorded
    for the next run and the others go on."""
    for n, item_id in enumerate(ids, start=1):
        try:
            parsed = fetch(item_id)
        except FetchFailed as exc:
            ctx.fail(source, item_id, exc.reason, what)
        except ParseError as exc:
            ctx.fail(source, item_id, f"unexpected body: {exc}", what)
        else:
            ctx.store(parsed)
            clear_failure(ctx.con, source, item_id)
            ctx.done()
        ctx.progress(n, len(ids))


def widest_since(a: date | datetime | str | None, b: date | datetime | str | None) -> str | None:
    """The earlier of two ``since`` options of one scope (none beats any date), as text: when a
    run repeats a failed run's scope, it reads the frame both asked for."""
    since_a, since_b = as_datetime(a), as_datetime(b)
    return None if since_a is None or since_b is None else str(min(since_a, since_b))


Found = Iterable[tuple[str, datetime | None]]
"""What one scope yields: ``(id, created)`` of each item to take (created None: no time)."""


class Watermarks:
    """The incremental cursor of one source, per scope (a listing, a search), after dlt's
    ``incremental``: the newest creation time seen in this run becomes the next run's start,
    saved only for scopes read to the end (a scope that failed keeps its old watermark).

    A collector reads each scope with :meth:`scan`, fetches what it found, then calls :meth:`save`.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, source: str) -> None:
        self.con, self.source = con, source
        self.newest: dict[str, datetime] = {}

    def last(self, scope: str) -> datetime | None:
        """Where the last complete run of ``scope`` stopped, or None."""
        return get_watermark(self.con, self.source, scope)

    def see(self, scope: str, created: datetime | None) -> None:
        """Note an item of ``scope`` created at ``created`` (None: no time, ignored)."""
        if created is not None:
            self.newest[scope] = max(self.newest[scope], created) if scope in self.newest else created

    def scan(self, ctx: Context, scope: str, read: Callable[[datetime | None], Found], *, item: str,
             earlier: set[str], what: str, shown: str,
             errors: tuple[type[Exception], ...] = (FetchFailed,)) -> list[str]:
        """The ids ``read(last)`` yields for ``scope`` from its watermark ``last`` on, each
        item's time seen. Read to the end, the scope is a unit of work done and the ``earlier``
        runs' failures of it are cleared; when ``read`` raises one of ``errors``, the ids found
        before are kept, the watermark stays, and one failure row (``item``: this run's options)
        replaces the earlier ones, so the next run reads the scope again."""
        found: list[str] = []
        try:
            for found_id, created in read(self.last(scope)):
                self.see(scope, created)
                found.append(found_id)
        except errors as exc:
            self.newest.pop(scope, None)
            for old in earlier - {item}:
                clear_failure(ctx.con, self.source, old)
            ctx.fail(self.source, item, str(getattr(exc, "reason", exc)), what, shown=shown)
        else:
            ctx.done()
            for old in earlier:
                clear_failure(ctx.con, self.source, old)
        return found

    def save(self) -> None:
        """Store the newest time of every scope read to the end."""
        for scope, when in self.newest.items():
            set_watermark(self.con, self.source, scope, when)


def option(flag: str | None = None, *, many: bool = False) -> dict[str, Any]:
    """Field metadata: the CLI option a param is given with (None: a positional argument), and
    whether it repeats (a list)."""
    return {"option": flag, "many": many}


class Params:
    """Base of each kind's frozen params dataclass: built by the CLI, read from a ``[[KIND]]``
    table (unknown keys refused) and rendered back as command-line arguments by ``doctor``."""

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, strict: bool = True) -> Any:
        """The params from the CLI option names; an unknown key raises ValueError when ``strict``,
        a list option given one value (or none) is a list of it."""
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        unknown = sorted(set(values) - set(names))
        if unknown and strict:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; expected {', '.join(names)}")
        kwargs: dict[str, Any] = {}
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name not in values:
                continue
            value = values[f.name]
            if f.metadata.get("many"):
                if strict and value is not None and not isinstance(value, (list, tuple)):
                    raise ValueError(f"{f.name} must be a list")
                value = tuple(value) if isinstance(value, (list, tuple)) else (() if value is None else (value,))
            kwargs[f.name] = value
        return cls(**kwargs)

    def as_dict(self) -> dict[str, Any]:
        """The params by option name, lists as lists (as the ``runs`` notes record them)."""
        return {f.name: list(getattr(self, f.name)) if f.metadata.get("many") else getattr(self, f.name)
                for f in fields(self)}  # type: ignore[arg-type]

    def cli_args(self) -> list[str]:
        """The command-line arguments that give these params again, shell-quoted: positional
        arguments, then single options, then flags, then repeated options."""
        positional, single, flags, repeated = [], [], [], []
        for f in fields(self):  # type: ignore[arg-type]
            value, flag = getattr(self, f.name), f.metadata.get("option")
            if flag is None:
                positional.extend(shlex.quote(str(v)) for v in value or ())
            elif isinstance(value, bool):
                flags.extend([flag] if value else [])
            elif f.metadata.get("many"):
                for v in value or ():
                    repeated.extend([flag, shlex.quote(str(v))])
            elif value not in (None, ""):
                single.extend([flag, shlex.quote(str(value))])
        return positional + single + flags + repeated


P = TypeVar("P", bound=Params)


@dataclass(frozen=True)
class Collector(Generic[P]):
    """One source kind: its name, its params type and the function that collects it."""

    kind: str
    params: type[P]
    run: Callable[[Context, P], None]
    retried: str = "retried by the next run"
    """When its failed items are tried again (the CLI's summary says it)."""
