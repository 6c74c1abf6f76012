"""What collectors remember between runs: listing watermarks and items to retry.

Both live in DuckDB (migration 002) so that a re-run, on any machine holding the database file,
picks up where the last run stopped. A failed item is a thread, story, URL or file, or a whole
listing or search (``search?query=qwen&since=2026-02-15``, see :func:`query_item`): the next run
of the source repeats the search with the options it failed with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import duckdb

from sentiment.redact import redact, redact_url
from sentiment.store.clock import utcnow


def get_watermark(con: duckdb.DuckDBPyConnection, source: str, scope: str) -> datetime | None:
    """The created_at of the newest item already read for ``(source, scope)``, if any."""
    rows = con.execute(
        "SELECT watermark FROM collect_watermarks WHERE source = ? AND scope = ?", [source, scope]
    ).fetchall()  # fetch to the end: DuckDB 2.0 refuses register() beside an unfinished result
    return rows[0][0] if rows else None


def set_watermark(con: duckdb.DuckDBPyConnection, source: str, scope: str, watermark: datetime) -> None:
    """Move the watermark forward (never back)."""
    con.execute(
        "INSERT INTO collect_watermarks VALUES (?, ?, ?, ?) ON CONFLICT (source, scope) DO UPDATE "
        "SET watermark = greatest(collect_watermarks.watermark, excluded.watermark), "
        "updated_at = excluded.updated_at",
        [source, scope, watermark, utcnow()],
    ).fetchall()


def pending_failures(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Items of ``source`` that an earlier run could not fetch, oldest first."""
    rows = con.execute(
        "SELECT item FROM collect_failures WHERE source = ? ORDER BY first_failed_at, item", [source]
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class RetryPolicy:
    """How pages and feeds retry across runs (settings ``retry_*``): a failed item waits
    ``spacing * 2**(attempts - 1)`` seconds (at most ``spacing_max``) before a later run tries it
    again; a permanent failure is given up after ``give_up_after`` attempts."""

    spacing: float = 600.0
    spacing_max: float = 86_400.0
    give_up_after: int = 4

    @classmethod
    def from_settings(cls, settings) -> "RetryPolicy":
        return cls(settings.retry_spacing_seconds, settings.retry_spacing_max_seconds,
                   settings.retry_give_up_after)

    def next_attempt(self, attempts: int, now: datetime) -> datetime:
        """When an item that has failed ``attempts`` times may be tried again."""
        return now + timedelta(seconds=min(self.spacing * 2 ** max(0, attempts - 1), self.spacing_max))


@dataclass(frozen=True)
class Failure:
    """One ``collect_failures`` row as a retrying run needs it."""

    item: str
    attempts: int
    permanent: bool
    next_attempt_at: datetime | None
    given_up_at: datetime | None
    context: dict | None

    def due(self, now: datetime) -> bool:
        """Whether a run at ``now`` retries it unasked (given-up items never are)."""
        return self.given_up_at is None and (self.next_attempt_at is None or self.next_attempt_at <= now)


def failures_of(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Failure]:
    """Every recorded failure of ``source`` by item, oldest first."""
    rows = con.execute(
        "SELECT item, attempts, coalesce(permanent, false), next_attempt_at, given_up_at, context "
        "FROM collect_failures WHERE source = ? ORDER BY first_failed_at, item", [source]).fetchall()
    return {r[0]: Failure(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else None) for r in rows}


def record_failure(con: duckdb.DuckDBPyConnection, source: str, item: str, reason: str, *,
                   permanent: bool = False, policy: RetryPolicy | None = None, context: dict | None = None,
                   now: datetime | None = None) -> None:
    """Remember that ``item`` could not be fetched, so a later run retries it.

    Without ``policy`` the next run retries it (``next_attempt_at`` NULL). With one (pages and
    feeds) the next attempt is spaced by the number of attempts, and a ``permanent`` failure that
    has had its last attempt is given up (``given_up_at``). A URL is stored redacted (userinfo
    and secret parameters masked, see ``sentiment.redact``); so is the reason.
    """
    now = now or utcnow()
    item = redact_url(item)
    found = con.execute("SELECT attempts FROM collect_failures WHERE source = ? AND item = ?",
                        [source, item]).fetchall()
    attempts = (found[0][0] if found else 0) + 1
    next_at = given_up = None
    if policy is not None:
        if permanent and attempts >= policy.give_up_after:
            given_up = now
        else:
            next_at = policy.next_attempt(attempts, now)
    con.execute(
        "INSERT INTO collect_failures (source, item, reason, attempts, first_failed_at, last_failed_at, permanent, "
        "next_attempt_at, given_up_at, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (source, item) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts, "
        "last_failed_at = excluded.last_failed_at, permanent = excluded.permanent, "
        "next_attempt_at = excluded.next_attempt_at, given_up_at = excluded.given_up_at, "
        "context = coalesce(excluded.context, collect_failures.context)",
        [source, item, redact(reason)[:500], attempts, now, now, permanent, next_at, given_up,
         json.dumps(context, ensure_ascii=False, default=str) if context else None],
    ).fetchall()


def clear_failure(con: duckdb.DuckDBPyConnection, source: str, item: str) -> None:
    """Forget a failure once the item has been stored (``item`` as fetched: it is redacted here as
    :func:`record_failure` stored it)."""
    con.execute("DELETE FROM collect_failures WHERE source = ? AND item = ?", [source, redact_url(item)]).fetchall()


def query_item(kind: str, params: dict[str, object]) -> str:
    """The ``collect_failures`` item of a listing, search or dump file that failed:
    ``kind?name=value&...`` with the options it ran with (empty ones left out, names sorted, a
    list as repeated names), so the next run can repeat it exactly. Thread and story ids never
    contain ``?``, so the two kinds of item cannot be confused."""
    kept: list[tuple[str, str]] = []
    for name, value in sorted(params.items()):
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v not in (None, ""):
                kept.append((name, str(v)))
    return f"{kind}?{urlencode(kept)}"


def parse_query_item(item: str, kind: str) -> dict[str, list[str]] | None:
    """The options of a :func:`query_item` of ``kind`` (each a list of values), or None when
    ``item`` is not one."""
    head, sep, query = item.partition("?")
    if not sep or head != kind:
        return None
    found: dict[str, list[str]] = {}
    for name, value in parse_qsl(query):
        found.setdefault(name, []).append(value)
    return found
