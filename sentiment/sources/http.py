"""HTTP for the live sources that are not praw (Hacker News, feeds, pages): httpx with timeouts,
a User-Agent, and the project's back-off on 429, 5xx, timeouts and broken bodies."""

from __future__ import annotations

from typing import Any

import httpx

from sentiment.sources.retry import Backoff, FetchFailed, Transient, parse_retry_after


def make_client(settings, base_url: str = "") -> httpx.Client:
    """An httpx client with the configured timeout and User-Agent (redirects followed)."""
    return httpx.Client(base_url=base_url, timeout=settings.http_timeout, follow_redirects=True,
                        headers={"User-Agent": settings.http_user_agent})


def _classify(exc: BaseException) -> Transient | None:
    if isinstance(exc, httpx.TimeoutException):
        return Transient("timed out")
    if isinstance(exc, httpx.TransportError):
        return Transient(f"network error ({type(exc).__name__})")
    return None


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code == 429 or response.status_code >= 500:
        raise Transient(f"HTTP {response.status_code}", parse_retry_after(response.headers.get("retry-after")))
    if response.status_code == 408:
        raise Transient("HTTP 408")
    if response.status_code >= 400:  # 404, 410, 403 ...: asking again will not change the answer
        raise FetchFailed(f"HTTP {response.status_code}", permanent=True)
    return response


def get(client: httpx.Client, url: str, backoff: Backoff, params: dict | None = None,
        timeout: float | None = None) -> httpx.Response:
    """GET with retries; the whole body is read inside the retry, so a cut-off body is retried.
    ``timeout`` (seconds) replaces the client's for this request, e.g. to keep a retry within a
    run's retry budget."""
    extra = {} if timeout is None else {"timeout": timeout}
    return backoff.run(lambda: _checked(client.get(url, params=params, **extra)), _classify)


def get_json(client: httpx.Client, url: str, backoff: Backoff, params: dict | None = None) -> Any:
    """GET a JSON body with retries; a truncated or invalid body counts as a transient failure."""
    def fetch() -> Any:
        response = _checked(client.get(url, params=params))
        try:
            return response.json()
        except ValueError:
            raise Transient("truncated or invalid JSON body") from None
    return backoff.run(fetch, _classify)
