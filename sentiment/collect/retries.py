"""Which earlier failures a run of ``collect pages`` or ``collect feeds`` tries again, and for how long.

The failure policy of pages and feeds (README, Guarantees): every failed page, feed and feed
entry is in ``collect_failures`` under the source that retries it (``web`` for ``collect pages``,
``feeds`` for ``collect feeds``, so neither retries the other's), with a next-attempt time that
doubles with each failed attempt (:class:`sentiment.store.collect_state.RetryPolicy`). A run
fetches what it was asked for whatever its schedule; earlier failures it was not asked for are
tried only when due, once each, within ``retry_budget_seconds`` (the request's timeout cut to
what is left), so a run asked for one good URL never spends minutes on old failures. Permanent
failures are given up after ``retry_give_up_after`` attempts and tried again only when asked for
by name or with ``--retry-given-up``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from sentiment.redact import is_redacted, redact_url
from sentiment.sources.retry import Backoff, backoff_from_settings
from sentiment.store.collect_state import Failure, RetryPolicy, failures_of

WAITING = "earlier failure waiting for its next attempt (spaced retries)"
GIVEN_UP = "earlier failure given up (permanent; --retry-given-up tries it again)"
OVER_BUDGET = "earlier failure not retried: this run's retry time budget was spent"
CREDENTIALS = "earlier failure not retried: its URL held credentials, give it again"
_MIN_TIMEOUT = 0.5
"""Shortest request timeout a retry is given (a budget nearly spent does not start one)."""


class RetryRun:
    """The earlier failures of one ``collect_failures`` source during one run."""

    def __init__(self, ctx, source: str, *, retry_given_up: bool = False) -> None:
        self.ctx = ctx
        self.source = source
        self.retry_given_up = retry_given_up
        self.policy = RetryPolicy.from_settings(ctx.settings)
        self.now = ctx.now()
        self.failures = failures_of(ctx.con, source)
        self.budget = ctx.settings.retry_budget_seconds
        self.spent = 0.0
        self.backoff: Backoff = backoff_from_settings(ctx.settings)
        self.backoff.retries = 0  # one attempt per run: the spacing between runs is the back-off

    def failure(self, url: str) -> Failure | None:
        """The recorded failure of ``url`` (as fetched: it is looked up redacted), if any."""
        return self.failures.get(redact_url(url))

    def _skip(self, reason: str, item: str) -> None:
        self.ctx.report.skips.add(reason, item)

    def may_fetch(self, url: str) -> bool:
        """Whether a URL this run found itself (a feed's entry) is fetched now: never failed, due, or
        given up while ``--retry-given-up`` was asked; otherwise it is skipped with the reason."""
        found = self.failure(url)
        if found is None or found.due(self.now) or (found.given_up_at is not None and self.retry_given_up):
            return True
        self._skip(GIVEN_UP if found.given_up_at is not None else WAITING, found.item)
        return False

    def pending(self, asked: Iterable[str], keep=lambda failure: True) -> tuple[list[Failure], list[Failure]]:
        """Failures not among ``asked`` (and kept by ``keep``), oldest first, as ``(given up to
        retry now, due)``; the others are skipped with their reason."""
        asked_items = {redact_url(u) for u in asked}
        given_up: list[Failure] = []
        due: list[Failure] = []
        for item, found in self.failures.items():
            if item in asked_items or not keep(found):
                continue
            if is_redacted(item):
                self._skip(CREDENTIALS, item)
            elif found.given_up_at is not None:
                if self.retry_given_up:
                    given_up.append(found)
                else:
                    self._skip(GIVEN_UP, item)
            elif found.due(self.now):
                due.append(found)
            else:
                self._skip(WAITING, item)
        return given_up, due

    def within_budget(self, failures: list[Failure]) -> Iterator[tuple[Failure, float]]:
        """Each failure with the request timeout it may use, while the retry budget lasts; the time
        spent between two yields is charged to the budget, and those left are skipped."""
        for n, found in enumerate(failures):
            left = self.budget - self.spent
            if left < _MIN_TIMEOUT:
                for rest in failures[n:]:
                    self._skip(OVER_BUDGET, rest.item)
                return
            started = time.monotonic()
            try:
                yield found, min(self.ctx.settings.http_timeout, left)
            finally:
                self.spent += time.monotonic() - started
