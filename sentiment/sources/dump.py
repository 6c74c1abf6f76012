"""Reddit dumps (Pushshift / Arctic Shift): one JSON object per line, plain or zstd-compressed.

A comment line carries the fields of a ``t1``'s ``data`` (``id``, ``body``, ``link_id``,
``parent_id``, ``author``, ``created_utc``, ``subreddit``...), a submission line those of a ``t3``
(``id``, ``title``, ``selftext``...). :func:`parse_record` turns one into a Document with the
same functions the thread parser uses, so a backfilled comment and a live one get the same
doc_id and the same text. Files are streamed: memory does not grow with the file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from sentiment.records import Document
from sentiment.sources.reddit import comment_document, post_document

ZSTD_WINDOW = 2 ** 31  # Pushshift/Arctic Shift files are compressed with --long=31


def parse_record(obj: object) -> Document | None:
    """A dump line's object as a comment or post Document; None if it is neither."""
    if not isinstance(obj, dict) or not obj.get("id"):
        return None
    if obj.get("body") is not None:
        return comment_document(obj)
    if obj.get("title") is not None:
        return post_document(obj)
    return None


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

    @property
    def position(self) -> int:
        """Bytes of the file read so far."""
        return self._raw.tell()

    def batches(self, size: int) -> Iterator[list[bytes]]:
        """Non-empty lines in lists of at most ``size``."""
        batch: list[bytes] = []
        for line in self._lines:
            if line.strip():
                batch.append(line)
                if len(batch) >= size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def close(self) -> None:
        self._lines.close()
        self._raw.close()

    def __enter__(self) -> "DumpReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
