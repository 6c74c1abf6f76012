"""News articles from local files, and the forum users they quote.

An article becomes an ``article`` document; each sentence that quotes a forum user becomes a
``quote`` document linked to it, because quoted users are community voices too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

import yaml

from sentiment.records import Document, Parsed, make_doc_id
from sentiment.sources import ParseError
from sentiment.text import html_to_text, normalize

FILE_SOURCE = "file"
METADATA_FILE = "articles.yaml"

_QUOTED = re.compile(r"[\"“]([^\"“”\n]{8,600}?)[\"”]")
# Words that attribute a quote to the community rather than to an executive or an analyst.
_FORUM_VOICE = re.compile(
    r"\b(users?|commenters?|commentators?|redditors?|posters?|forum|forums|community|readers?|"
    r"netizens?|someone|one person|one developer|developers wrote|a reply)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_MIN_QUOTE_WORDS = 4


@dataclass(frozen=True)
class ArticleMeta:
    """What a file cannot say about itself: headline, publication date, original address."""

    title: str | None = None
    published: date | datetime | None = None
    url: str | None = None


def _attribution(text: str, start: int, end: int, inner: str) -> str:
    """The words around a quote that say who said it: the clause before it and the one after."""
    before_start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    newline = text.rfind("\n", 0, start)
    before = text[max(before_start, newline + 1):start]
    rest = text[end:]
    stripped = rest.lstrip()
    if inner.rstrip()[-1:] in ".!?" and stripped[:1].isupper():
        after = ""  # the quote closed its sentence; what follows is a new one
    else:
        stop = _SENTENCE_END.search(rest)
        line_end = rest.find("\n")
        cut = min(x for x in (stop.end() if stop else len(rest), line_end if line_end >= 0 else len(rest)))
        after = rest[:cut]
    return before + " " + after


def extract_quotes(text: str) -> list[str]:
    """Quoted sentences attributed to forum users or the community, in order of appearance."""
    quotes: list[str] = []
    for match in _QUOTED.finditer(text):
        inner = match.group(1).strip()
        if len(inner.split()) < _MIN_QUOTE_WORDS:
            continue
        if _FORUM_VOICE.search(_attribution(text, match.start(), match.end(), inner)):
            cleaned = inner.rstrip(",;: ").strip()
            if cleaned not in quotes:
                quotes.append(cleaned)
    return quotes


def load_metadata(folder: Path) -> dict[str, ArticleMeta]:
    """``articles.yaml`` beside the files, if any: ``{file name: ArticleMeta}``."""
    path = folder / METADATA_FILE
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = raw.get("articles") or {}
    if not isinstance(entries, dict):
        raise ParseError(f"{path}: 'articles' must map file names to title/published/url")
    return {name: ArticleMeta(**{k: v for k, v in (fields or {}).items() if k in ("title", "published", "url")})
            for name, fields in entries.items()}


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ParseError(f"publication date {value!r} is not ISO 8601 (YYYY-MM-DD)") from None
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.replace(hour=12)  # a bare date: noon, so time zones keep the day
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time(12, 0))
    return None


def parse_article(raw: str, *, external_id: str, meta: ArticleMeta | None = None,
                  source: str = FILE_SOURCE, is_html: bool = False) -> Parsed:
    """An article document and the quote documents found in it."""
    meta = meta or ArticleMeta()
    text = html_to_text(raw) if is_html else normalize(raw)
    if not text:
        raise ParseError("the article is empty")
    first_line = text.split("\n", 1)[0].strip()
    title = normalize(meta.title) if meta.title else first_line[:200]
    created = _as_datetime(meta.published)
    article_id = make_doc_id(source, external_id)
    parsed = Parsed()
    parsed.documents.append(Document(
        source=source, kind="article", external_id=external_id, thread_id=article_id,
        text=text, created_at=created, title=title, url=meta.url,
    ))
    for n, quote in enumerate(extract_quotes(text), start=1):
        parsed.documents.append(Document(
            source=source, kind="quote", external_id=f"{external_id}#q{n}", thread_id=article_id,
            parent_id=article_id, text=quote, created_at=created, url=meta.url,
        ))
    return parsed


def parse_article_file(path: Path, meta: ArticleMeta | None = None) -> Parsed:
    """A local text or HTML file as an article; its id is the file name without extension."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    return parse_article(raw, external_id=path.stem, meta=meta,
                         is_html=path.suffix.lower() in (".html", ".htm"))
