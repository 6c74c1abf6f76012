"""Typed reads of untrusted record fields (a comment's ``data``, an HN item, a dump line).

Sources hand us JSON written by someone else: a number where text belongs, a timestamp that is
a word or past the year 9999, a lone UTF-16 surrogate from a broken escape. Each helper returns
the value in the type the store needs or raises :class:`BadRecord` naming the field, so a parser
can skip that one record with a reason and keep the rest of the thread or file.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from sentiment.sources import ParseError

_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_EPOCH = 253402300800
"""Unix seconds a TIMESTAMP column and Python's datetime both hold: 1970-01-01 up to 9999-12-31
(exclusive); the dump importer's SQL path sends later, negative or NaN times here."""


class BadRecord(ParseError):
    """One record cannot be stored as it is; the message names the field and what is wrong.

    A subclass of :class:`ParseError`: when the record is a thread's root, the whole body is
    unusable and the collector reports that item as not fetched.
    """


def clean_text(value: str) -> str:
    """``value`` with lone UTF-16 surrogates (unencodable as UTF-8) replaced by U+FFFD and
    surrogate pairs joined, as :func:`ftfy.fix_text` does."""
    if not _SURROGATE.search(value):
        return value
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def text(record: dict, name: str) -> str | None:
    """A text field: a string (surrogates repaired) or None when absent/null."""
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{name} is {type(value).__name__}, not text")
    return clean_text(value)


def identifier(record: dict, name: str) -> str | None:
    """An id field: a non-empty string or an integer (HN's ids), as text; None when absent/empty."""
    value = record.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadRecord(f"{name} is {type(value).__name__}, not an id")
    return clean_text(str(value))


def unix_time(record: dict, name: str) -> datetime | None:
    """Seconds since the epoch (a number or a numeric string) as naive UTC; None when absent."""
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadRecord(f"{name} is {type(value).__name__}, not a Unix time")
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        raise BadRecord(f"{name} is not a Unix time") from None
    if not (math.isfinite(seconds) and 0 <= seconds < MAX_EPOCH):
        raise BadRecord(f"{name} is outside 1970..9999")
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)


def iso_time(record: dict, name: str) -> datetime | None:
    """An ISO 8601 timestamp string (``Z`` allowed) as naive UTC; None when absent/empty."""
    value = record.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{name} is {type(value).__name__}, not an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(f"{name} is not an ISO 8601 time") from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            raise BadRecord(f"{name} is outside 1970..9999") from None
    return parsed


def mapping(value: Any) -> dict:
    """A JSON object, or an empty one for anything else (Reddit sends "" for no replies)."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list:
    """A JSON array, or an empty one for anything else."""
    return value if isinstance(value, list) else []
