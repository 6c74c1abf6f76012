"""What collectors remember between runs: listing watermarks and items to retry.

Both live in DuckDB (migration 002) so that a re-run, on any machine holding the database file,
picks up where the last run stopped. A failed item is a thread, story, URL or file, or a whole
listing or search (``search?query=qwen&since=2026-02-15``, see :func:`query_item`): the next run
of the source repeats the search with the options it failed with.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode

import duckdb

from sentiment.redact import redact, redact_url
from sentiment.store.db import utcnow


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


def record_failure(con: duckdb.DuckDBPyConnection, source: str, item: str, reason: str) -> None:
    """Remember that ``item`` could not be fetched, so the next run retries it.

    A URL is stored redacted (userinfo and secret parameters masked, see ``sentiment.redact``).
    """
    now = utcnow()
    con.execute(
        "INSERT INTO collect_failures VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (source, item) DO UPDATE "
        "SET reason = excluded.reason, attempts = collect_failures.attempts + 1, "
        "last_failed_at = excluded.last_failed_at",
        [source, redact_url(item), redact(reason)[:500], now, now],
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
