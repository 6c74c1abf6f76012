"""Keep credentials out of what the pipeline records: run notes, failures, logs, printed summaries.

Reddit credentials never pass through this program (praw reads its ``praw.ini`` site and
``praw_*`` environment variables itself). The one way a secret can reach us is inside a URL a
user gives for a feed or page: ``https://user:pass@host/feed`` or ``...?token=abc``. Every URL the
pipeline records goes through :func:`redact_url`, which masks the userinfo and the values of
query (and fragment) parameters whose names say they are secrets; free text that may quote a URL
(an error message) goes through :func:`redact`. A masked URL cannot be fetched again, so a failed
item recorded that way is retried only when the user gives its URL again (see
``sentiment.sources.news``).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
"""What a secret is replaced with."""

# Parameter names that carry secrets: the whole name, or its last part after '_', '-' or '.'
# (access_token, x-amz-signature, api_key, oauth_token ...). "monkey" or "passage" do not match.
_SECRET_NAME = re.compile(
    r"(?:^|[_.-])(?:token|secret|password|passwd|pwd|pass|apikey|api[_-]?key|key|sig|signature|auth|"
    r"authorization|credentials?|session|sessionid|sid|code)$",
    re.IGNORECASE,
)
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def is_secret_param(name: str) -> bool:
    """Whether a query parameter (or config key) named ``name`` holds a credential."""
    return bool(_SECRET_NAME.search(unquote(name).strip()))


def _mask_params(part: str) -> str:
    pieces = []
    for piece in part.split("&"):
        name, sep, _ = piece.partition("=")
        pieces.append(f"{name}={MASK}" if sep and is_secret_param(name) else piece)
    return "&".join(pieces)


def redact_url(url: str) -> str:
    """``url`` with its userinfo and secret-named parameters masked; other text is returned as is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url) if "://" in url else url
    if not parts.scheme or not parts.netloc:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    fragment = _mask_params(parts.fragment) if "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, netloc, parts.path, _mask_params(parts.query), fragment))


def is_redacted(url: str) -> bool:
    """Whether ``url`` was masked (and so cannot be fetched as recorded)."""
    return MASK in url


def redact(text: str) -> str:
    """Free text (an error message, a skip reason) with every URL in it redacted."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def redact_value(value: object) -> object:
    """:func:`redact` applied to every string inside dicts, lists and tuples (keys too)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [redact_value(v) for v in value]
    return value
