"""The records every source yields and every store accepts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

KINDS = ("article", "post", "comment", "quote")


def make_doc_id(source: str, external_id: str) -> str:
    """The stable primary key of a document: its ``(source, external_id)`` pair, readable."""
    return f"{source}:{external_id}"


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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown document kind {self.kind!r}")

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
class Parsed:
    """What a parser made of one input: documents, plus what it skipped and why."""

    documents: list[Document] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
