"""Reddit dumps (Pushshift / Arctic Shift): one JSON object per line, plain or zstd-compressed.

A comment line carries the fields of a ``t1``'s ``data`` (``id``, ``body``, ``link_id``,
``parent_id``, ``author``, ``created_utc``, ``subreddit``...), a submission line those of a ``t3``
(``id``, ``title``, ``selftext``...). :func:`parse_record` turns one into a Document with the
same functions the thread parser uses, so a backfilled comment and a live one get the same
doc_id and the same text. Files are streamed: memory does not grow with the file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

from sentiment.records import Document
from sentiment.sources.fields import BadRecord
from sentiment.sources.reddit import comment_document, post_document

ZSTD_WINDOW = 2 ** 31  # Pushshift/Arctic Shift files are compressed with --long=31


def parse_record(obj: object) -> Document | None:
    """A dump line's object as a comment or post Document; None if it is neither.

    Raises :class:`~sentiment.sources.fields.BadRecord` when a field has the wrong type or range.
    """
    if not isinstance(obj, dict) or not obj.get("id"):
        return None
    if obj.get("body") is not None:
        return comment_document(obj)
    if obj.get("title") is not None:
        return post_document(obj)
    return None


def parse_line(line: bytes | str) -> Document | None:
    """One dump line (JSON text) as a Document; None if it is not a comment or submission.

    Raises :class:`~sentiment.sources.fields.BadRecord` for text that is not UTF-8 or JSON, JSON
    nested too deep to read, a lone UTF-16 surrogate escape (not Unicode text; DuckDB's JSON reader
    rejects it too, so both import paths agree) or a field of the wrong type.
    """
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
        obj = json.loads(text)
    except UnicodeDecodeError:
        raise BadRecord("not UTF-8") from None
    except RecursionError:
        raise BadRecord("JSON nested too deep") from None
    except ValueError:
        raise BadRecord("not JSON") from None
    if "\\u" in text and _has_lone_surrogate(obj):
        raise BadRecord("a lone UTF-16 surrogate escape")
    return parse_record(obj)


def _has_lone_surrogate(obj: object) -> bool:
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class DumpReader:
    """Lines of a dump as bytes, with the position in the (compressed) file for progress."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self._raw = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        if self.path.suffix.lower() == ".zst":
            import zstandard

            reader = zstandard.ZstdDecompressor(max_window_size=ZSTD_WINDOW).stream_reader(
                self._raw, read_size=1 << 20)
            self._lines = io.BufferedReader(reader, buffer_size=1 << 20)
        else:
            self._lines = io.BufferedReader(self._raw, buffer_size=1 << 20)
        self.line_numbers: list[int] = []

    @property
    def position(self) -> int:
        """Bytes of the file read so far."""
        return self._raw.tell()

    def batches(self, size: int) -> Iterator[list[bytes]]:
        """Non-empty lines in lists of at most ``size``; ``line_numbers`` holds the current
        batch's 1-based line numbers in the file (for naming a bad line)."""
        batch: list[bytes] = []
        numbers: list[int] = []
        for number, line in enumerate(self._lines, start=1):
            if line.strip():
                batch.append(line)
                numbers.append(number)
                if len(batch) >= size:
                    self.line_numbers = numbers
                    yield batch
                    batch, numbers = [], []
        if batch:
            self.line_numbers = numbers
            yield batch

    def close(self) -> None:
        self._lines.close()
        self._raw.close()

    def __enter__(self) -> "DumpReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
