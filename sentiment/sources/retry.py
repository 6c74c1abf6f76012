"""Back-off and retry for live sources: rate limits, server errors, timeouts, broken bodies.

A fetch is retried with exponential back-off (a ``Retry-After`` header wins when the server sends
one); when the retries run out, :class:`FetchFailed` says why and the caller records the item so
that the next run retries it. Pauses come from settings so tests can make them tiny.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")


class FetchFailed(RuntimeError):
    """An item could not be fetched after every retry; ``reason`` is short and loggable.
    ``permanent`` says that repeating the request will not help (HTTP 404, 410 and other client
    errors): pages and feeds give such an item up after a few spaced attempts."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transient(Exception):
    """Raised by a fetch function for a failure worth retrying (carries an optional Retry-After)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


@dataclass
class Backoff:
    """Retry policy: ``retries`` more attempts after the first, pauses ``base * 2**n`` capped at ``cap``
    (a server's ``Retry-After`` is obeyed as sent)."""

    retries: int = 4
    base: float = 2.0
    cap: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)  # every pause taken, for the run's notes

    def run(self, fn: Callable[[], T], classify: Callable[[BaseException], Transient | None]) -> T:
        """Call ``fn`` until it succeeds; ``classify`` maps an exception to a Transient (retry)
        or None (give up at once). Raises FetchFailed when giving up."""
        for attempt in range(self.retries + 1):
            try:
                return fn()
            except FetchFailed:
                raise
            except Exception as exc:  # noqa: BLE001 - classify decides what is retryable
                transient = exc if isinstance(exc, Transient) else classify(exc)
                if transient is None:
                    raise FetchFailed(f"{type(exc).__name__}: {exc}"[:300]) from exc
                if attempt == self.retries:
                    raise FetchFailed(f"{transient.reason} (gave up after {attempt + 1} attempts)") from exc
                # The server's Retry-After is obeyed as sent (waiting less only earns another 429).
                wait = (transient.retry_after if transient.retry_after is not None
                        else min(self.base * 2 ** attempt, self.cap))
                self.waits.append(wait)
                self.sleep(wait)
        raise AssertionError("unreachable")


def backoff_from_settings(settings) -> Backoff:
    """The project's retry policy (``SENTIMENT_COLLECT_RETRIES``, ``SENTIMENT_BACKOFF_SECONDS`` ...)."""
    return Backoff(retries=settings.collect_retries, base=settings.backoff_seconds,
                   cap=settings.backoff_max_seconds)
