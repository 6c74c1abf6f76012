"""The store's clock: now, in UTC, in the form every TIMESTAMP column stores.

Its own module so that every store module (and the collectors) can read the time without
importing ``db`` (which imports ``runs``, which needs the time).
"""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, in UTC without tzinfo (the form every TIMESTAMP column stores)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
