"""News articles from local files, and the forum users they quote.

An article becomes an ``article`` document; each sentence that quotes a forum user becomes a
``quote`` document linked to it, because quoted users are community voices too. An ``.html``
file goes through the same extraction as a fetched page (:func:`sentiment.sources.page.extract_page`),
so ``ingest`` and ``collect pages`` store the same title, text, date and language for the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

import yaml

from sentiment.records import Document, Parsed, make_doc_id
from sentiment.settings import Settings
from sentiment.sources import ParseError
from sentiment.sources.page import PageText, decode_html, extract_page, guessed_date
from sentiment.text import normalize

FILE_SOURCE = "file"
METADATA_FILE = "articles.yaml"
DEFAULT_MAX_BYTES: int = Settings.model_fields["page_max_bytes"].default
"""The largest article file read when the caller does not pass ``page_max_bytes``."""

_QUOTED = re.compile(r"[\"“]([^\"“”\n]{1,600}?)[\"”]")
"""A quoted passage. Short ones are matched too (and skipped by length), so that with straight
quotes the text between two quotations is never read as one."""
# Words that attribute a quote to the community rather than to an executive or an analyst. A
# stock phrase put in the mouth of "someone" or "people" is nobody's words, so those are not here.
_FORUM_VOICE = re.compile(
    r"\b(users?|commenters?|commentators?|redditors?|posters?|forum|forums|community|readers?|"
    r"netizens?|one developer|developers wrote|a reply|tweeted|tweets?|posted on (?:X|Twitter|Mastodon|"
    r"Bluesky|Reddit|Facebook)|moderators?)\b|(?<![\w/])/?[ur]/[A-Za-z0-9_-]{2,21}\b",  # u/name, r/sub
    re.IGNORECASE,
)
_HANDLE_BEFORE = re.compile(r"(?:^|\s)@[A-Za-z0-9_]{2,30}:\s*$")
"""A line opening with a handle: "@name: “...”" quotes that account's post."""
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_MIN_QUOTE_WORDS = 4


@dataclass(frozen=True)
class ArticleMeta:
    """What a file cannot say about itself: headline, publication date, original address."""

    title: str | None = None
    published: date | datetime | None = None
    url: str | None = None
    date_source: str = "meta"
    """Where ``published`` comes from: ``meta`` (articles.yaml) or ``feed`` (a feed entry's own date)."""
    problems: tuple[str, ...] = ()
    """Fields that could not be read (each skipped with its reason; the rest are used)."""


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
        line = text[text.rfind("\n", 0, match.start()) + 1:match.start()]
        if _FORUM_VOICE.search(_attribution(text, match.start(), match.end(), inner)) or _HANDLE_BEFORE.search(line):
            cleaned = inner.rstrip(",;: ").strip()
            if cleaned not in quotes:
                quotes.append(cleaned)
    return quotes


def load_metadata(folder: Path) -> dict[str, ArticleMeta]:
    """``articles.yaml`` beside the files, if any: ``{file name: ArticleMeta}``. A field that
    cannot be read (a date that is not one, a title that is not text) is left out of that file's
    metadata and named in its ``problems``; the other fields and files are kept."""
    path = folder / METADATA_FILE
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParseError(f"{path.name} is not readable YAML ({type(exc).__name__})") from None
    entries = raw.get("articles") if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        raise ParseError(f"{path}: 'articles' must map file names to title/published/url")
    return {str(name): _meta_from_fields(fields) for name, fields in entries.items()}


def _meta_from_fields(fields: Any) -> ArticleMeta:
    """One file's entry of articles.yaml, each field checked on its own."""
    if not isinstance(fields, dict):
        return ArticleMeta(problems=(f"{METADATA_FILE}: entry is not a mapping of fields",) if fields else ())
    kept: dict[str, Any] = {}
    problems: list[str] = []
    for key in ("title", "url"):
        value = fields.get(key)
        if value is None:
            continue
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            kept[key] = str(value)
        else:
            problems.append(f"{METADATA_FILE}: field '{key}' skipped (not text)")
    if fields.get("published") is not None:
        try:
            kept["published"] = _as_datetime(fields["published"])
        except ParseError as exc:
            problems.append(f"{METADATA_FILE}: field 'published' skipped ({exc})")
    return ArticleMeta(**kept, problems=tuple(problems))


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
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime.combine(value, time(12, 0))
    raise ParseError(f"publication date {value!r} is not a date")


def parse_article(raw: str, *, external_id: str, meta: ArticleMeta | None = None,
                  source: str = FILE_SOURCE, is_html: bool = False) -> Parsed:
    """An article document and the quote documents found in it, from text or HTML."""
    meta = meta or ArticleMeta()
    if is_html:
        return article_from_page(extract_page(raw, meta.url), external_id=external_id, source=source,
                                 meta=meta, url=meta.url)
    text = normalize(raw)
    if not text:
        raise ParseError("the article is empty")
    first_line = text.split("\n", 1)[0].strip()
    page = PageText(title=first_line[:200], text=text, published=guessed_date(text, meta.url), date_source="none",
                    canonical=None, language=None)
    if page.published is not None:
        page = PageText(**{**page.__dict__, "date_source": "text"})
    return article_from_page(page, external_id=external_id, source=source, meta=meta, url=meta.url)


def article_from_page(page: PageText, *, external_id: str, source: str, meta: ArticleMeta | None,
                      url: str | None) -> Parsed:
    """The article (and its quotes) from an extracted page, with what ``meta`` knows better: a
    title and date given in articles.yaml, or a feed entry's own date, win over the page's; a
    field of ``meta`` that could not be read is skipped by name."""
    meta = meta or ArticleMeta()
    created, date_source = page.published, page.date_source
    stated = _as_datetime(meta.published) if meta.published is not None else None
    if stated is not None:
        created, date_source = stated, meta.date_source
    title = normalize(meta.title) if meta.title else page.title
    article_id = make_doc_id(source, external_id)
    parsed = Parsed()
    for problem in meta.problems:
        parsed.skip(problem, external_id)
    parsed.documents.append(Document(
        source=source, kind="article", external_id=external_id, thread_id=article_id,
        text=page.text, created_at=created, title=title, url=url, date_source=date_source,
        language=page.language,
    ))
    for n, quote in enumerate(extract_quotes(page.text), start=1):
        parsed.documents.append(Document(
            source=source, kind="quote", external_id=f"{external_id}#q{n}", thread_id=article_id,
            parent_id=article_id, text=quote, created_at=created, url=url, date_source=date_source,
            language=page.language,
        ))
    for post in page.embeds:  # an embedded social post: its author's own words, with its own date
        parsed.documents.append(Document(
            source=source, kind="quote", external_id=f"{external_id}#{post.platform}-{_short_hash(post.text)}",
            thread_id=article_id, parent_id=article_id, text=post.text, author=post.handle,
            created_at=post.created_at, url=post.url if post.url and post.url.startswith(("http://", "https://"))
            else url, date_source="meta" if post.created_at else "none", language=page.language,
        ))
    for comment in page.comments:  # readers' comments: the article's thread, replies under their parent
        parent = f"{external_id}#c{comment.parent_id}" if comment.parent_id else None
        parsed.documents.append(Document(
            source=source, kind="comment", external_id=f"{external_id}#c{comment.comment_id}",
            thread_id=article_id, parent_id=make_doc_id(source, parent) if parent else article_id,
            text=comment.text, author=comment.author, created_at=comment.created_at, url=url,
            date_source="meta" if comment.created_at else "none", language=page.language,
        ))
    return parsed


def _short_hash(text: str) -> str:
    """A stable short id for an embedded post (the same post embedded again is the same row)."""
    import hashlib

    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


def parse_article_file(path: Path, meta: ArticleMeta | None = None, *,
                       max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    """A local text or HTML file as an article; its id is the file name without extension. The
    bytes are decoded as a fetched page's are (byte-order mark, UTF-8, ``<meta charset>``, sniffing);
    a file over ``max_bytes`` (the ``page_max_bytes`` setting) is refused as a page would be."""
    size = path.stat().st_size
    limit = max_bytes
    if size > limit:
        raise ParseError(f"page too large ({size:,} bytes; the limit is {limit:,})")
    raw = decode_html(path.read_bytes())
    return parse_article(raw, external_id=path.stem, meta=meta,
                         is_html=path.suffix.lower() in (".html", ".htm"))
