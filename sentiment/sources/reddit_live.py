"""Reddit through praw 8: listings and whole comment forests, turned into ``/comments/{id}``
bodies for the one Reddit parser (:func:`sentiment.sources.reddit.parse_thread`).

Credentials and endpoints are praw's business: a ``praw.ini`` site (name from settings) and
praw's ``praw_*`` environment variables. This module never reads, logs or stores them. praw's
update check, which calls a package index, is turned off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sentiment.records import Parsed
from sentiment.sources import ParseError, fields
from sentiment.sources.fields import BadRecord
from sentiment.sources.reddit import parse_thread
from sentiment.sources.retry import Backoff, FetchFailed, Transient, parse_retry_after

_THREAD_URL = re.compile(r"/comments/([a-z0-9]+)", re.IGNORECASE)
_BARE_ID = re.compile(r"^(?:t3_)?([a-z0-9]+)$", re.IGNORECASE)


class RedditConfigError(ValueError):
    """praw could not be set up from the configured ``praw.ini`` site."""


def thread_id_from(value: str) -> str:
    """The base-36 post id of a thread URL, a ``t3_`` name or a bare id."""
    value = value.strip()
    match = _THREAD_URL.search(value) or _BARE_ID.match(value)
    if not match:
        raise ValueError(f"not a Reddit thread URL or id: {value!r}")
    return match.group(1).lower()


def _classify(exc: BaseException) -> Transient | None:
    """Which praw/prawcore errors are worth another try (rate limits, 5xx, timeouts, bad bodies)."""
    import prawcore

    if isinstance(exc, prawcore.TooManyRequests):
        header = exc.response.headers.get("retry-after") if exc.response is not None else None
        return Transient("rate limited (429)", parse_retry_after(header))
    if isinstance(exc, prawcore.ServerError):
        return Transient(f"server error ({exc.response.status_code})")
    if isinstance(exc, prawcore.BadJSON):
        return Transient("truncated or invalid JSON body")
    if isinstance(exc, prawcore.RequestException):
        return Transient(f"network error ({type(exc.original_exception).__name__})")
    return None


def _utc(timestamp: float | None) -> datetime | None:
    """A listing item's time; None when it is missing or not a Unix time (the thread is still read)."""
    try:
        return fields.unix_time({"created_utc": timestamp}, "created_utc")
    except BadRecord:
        return None


def _author(value: Any) -> str:
    return str(value) if value is not None else "[deleted]"


def _listing(children: list[dict]) -> dict:
    return {"kind": "Listing", "data": {"after": None, "before": None, "children": children}}


def forest_body(submission: Any) -> list[dict]:
    """The ``/comments/{id}`` body for a fetched praw Submission and its (expanded) forest.

    Reads only attributes praw already holds (``vars``), so no lazy fetch is triggered. Comments
    are listed flat; each keeps its ``parent_id``, which is what the parser links by.
    """
    from praw.models import MoreComments

    post = vars(submission)
    post_data = {k: post.get(k) for k in ("id", "name", "title", "selftext", "created_utc", "permalink", "url")}
    post_data["author"] = _author(post.get("author"))
    children = []
    for item in submission.comments.list():
        data = vars(item)
        if isinstance(item, MoreComments):
            children.append({"kind": "more", "data": {
                "id": data.get("id"), "parent_id": data.get("parent_id"),
                "count": data.get("count"), "children": list(data.get("children") or [])}})
            continue
        children.append({"kind": "t1", "data": {
            "id": data.get("id"), "name": data.get("name"), "parent_id": data.get("parent_id"),
            "link_id": data.get("link_id"), "body": data.get("body"), "author": _author(data.get("author")),
            "created_utc": data.get("created_utc"), "permalink": data.get("permalink"),
            "edited": data.get("edited"), "replies": ""}})
    return [_listing([{"kind": "t3", "data": post_data}]), _listing(children)]


class RedditLive:
    """The live twin of :class:`~sentiment.sources.reddit.RedditSnapshot`."""

    def __init__(self, site: str, backoff: Backoff) -> None:
        import praw
        from praw.exceptions import MissingRequiredAttributeException

        try:
            self.reddit = praw.Reddit(site, check_for_updates=False)
        except MissingRequiredAttributeException as exc:
            raise RedditConfigError(
                f"praw.ini site [{site}] is incomplete: {exc}. See README, 'Collect real data'.") from None
        except Exception as exc:  # configparser.NoSectionError and friends
            raise RedditConfigError(
                f"no usable praw.ini site [{site}] ({type(exc).__name__}). See README, 'Collect real data'."
            ) from None
        self.reddit.read_only = True
        self.backoff = backoff

    def _retry(self, fn):
        return self.backoff.run(fn, _classify)

    def listing(self, subreddit: str, query: str | None, limit: int) -> Iterator[tuple[str, datetime | None]]:
        """``(post id, created_at)`` newest first from ``/r/{sub}/search`` (sort new) or ``/r/{sub}/new``.

        A page that fails is retried where it stopped: praw's listing generator keeps its cursor.
        """
        sub = self.reddit.subreddit(subreddit)
        if query:
            generator = sub.search(query, sort="new", time_filter="all", limit=limit)
        else:
            generator = sub.new(limit=limit)
        while True:
            item = self._retry(lambda: next(generator, None))
            if item is None:
                return
            yield item.id, _utc(vars(item).get("created_utc"))

    def thread(self, post_id: str) -> Parsed:
        """Fetch a thread, expand every ``more`` and 'continue this thread' stub, and parse it.

        ``replace_more`` is resumable: after a failure, the stubs not yet expanded are still in the
        forest, so a retry fetches only those and nothing fetched is lost.
        """
        import prawcore

        submission = self.reddit.submission(id=post_id)
        try:
            self._retry(lambda: submission.comments)
            self._retry(lambda: submission.comments.replace_more(limit=None))
            body = forest_body(submission)
        except (FetchFailed, ParseError):
            raise
        except prawcore.ResponseException as exc:  # 403, 404...: not worth a retry, but recorded
            raise FetchFailed(f"HTTP {exc.response.status_code}") from None
        except (KeyError, TypeError, AttributeError, ValueError) as exc:  # praw could not read the body
            raise ParseError(f"praw could not read the thread ({type(exc).__name__}: {str(exc)[:80]})") from None
        return parse_thread(body)
