"""The records every source yields and every store accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sentiment.skips import HasSkips, Skips

DOCUMENT_KINDS = ("article", "post", "comment", "quote")


def make_doc_id(source: str, external_id: str) -> str:
    """The stable primary key of a document: its ``(source, external_id)`` pair, readable."""
    return f"{source}:{external_id}"


_OPTIONAL_TEXT = ("thread_id", "parent_id", "author", "title", "url", "date_source", "language")
DATE_SOURCES = ("feed", "meta", "text", "none")
"""Where an article's (and its quotes' and comments') ``created_at`` came from: the feed entry,
the page's or articles.yaml's metadata, a guess from its address or text, or nowhere (undated).
Documents from APIs (Reddit, Hacker News, dumps) leave it unset: their time is the platform's."""


@dataclass(slots=True)
class Document:
    """One piece of text from a source, already normalised.

    ``thread_id`` and ``parent_id`` are doc_ids (see :func:`make_doc_id`), so a thread can be
    walked with plain joins. ``author`` is the raw user name: the store replaces it with a keyed
    hash and never writes it.
    """

    source: str
    kind: str
    external_id: str
    text: str
    created_at: datetime | None
    thread_id: str | None = None
    parent_id: str | None = None
    author: str | None = None
    title: str | None = None
    url: str | None = None
    deleted: bool = False
    date_source: str | None = None
    """See :data:`DATE_SOURCES`."""
    language: str | None = None
    """Primary language subtag a page declares (``de``), when known."""

    def __post_init__(self) -> None:
        # The last check before the store: a wrong type here would fail a whole batch's write.
        if self.kind not in DOCUMENT_KINDS:
            raise ValueError(f"unknown document kind {self.kind!r}")
        if not isinstance(self.external_id, str) or not self.external_id:
            raise ValueError(f"external_id must be non-empty text, got {self.external_id!r:.60}")
        if not isinstance(self.source, str) or not isinstance(self.text, str):
            raise ValueError("source and text must be text")
        for name in _OPTIONAL_TEXT:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be text, got {type(value).__name__}")
        if self.date_source is not None and self.date_source not in DATE_SOURCES:
            raise ValueError(f"unknown date source {self.date_source!r}")
        if self.created_at is not None and not isinstance(self.created_at, datetime):
            raise ValueError(f"created_at must be a datetime, got {type(self.created_at).__name__}")

    @property
    def doc_id(self) -> str:
        return make_doc_id(self.source, self.external_id)


@dataclass(slots=True)
class Event:
    """Something that happened, around which stance windows are computed."""

    event_id: str
    name: str
    occurred_at: date
    description: str = ""
    keywords: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Parsed(HasSkips):
    """What a parser made of one input: documents, plus what it skipped, why, and which ones
    (``skips``: counts per reason and the first few ids per reason)."""

    documents: list[Document] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    skips: Skips = field(default_factory=Skips)

    def skip(self, reason: str, item: str | None = None, count: int = 1) -> None:
        """Count ``count`` skipped records for ``reason``, naming ``item`` when it has an id."""
        self.skips.add(reason, item, count)
