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

import numpy as np
import pyarrow as pa

from sentiment.records import Document
from sentiment.sources.fields import BadRecord
from sentiment.sources.reddit import comment_document, post_document

ZSTD_WINDOW = 2 ** 31  # Pushshift/Arctic Shift files are compressed with --long=31
_BLOCK_BYTES = 1 << 24
_WHITESPACE = np.zeros(256, bool)
_WHITESPACE[list(b" \t\r\n\f\v")] = True


def _line_arrays(data: bytes, ends: np.ndarray, size: int) -> Iterator[tuple[pa.BinaryArray, np.ndarray]]:
    """The non-blank lines of ``data`` closed by the newlines at ``ends`` (ascending; bytes after
    the last are not read), at most ``size`` per array, each with the lines' 0-based numbers.

    The array is a view over ``data``: each line keeps the whitespace that follows it (its
    newline and any blank lines after it), which JSON ignores, so no byte is copied.
    """
    raw = np.frombuffer(data, np.uint8)
    starts = np.concatenate(([0], ends[:-1] + 1))
    blank = ends == starts
    for i in np.flatnonzero(~blank & (ends - starts < 16)):  # short lines may be all whitespace
        blank[i] = bool(_WHITESPACE[raw[starts[i]:ends[i]]].all())
    numbers = np.flatnonzero(~blank)
    starts = starts[numbers].astype(np.int64)
    buffer = pa.py_buffer(data)
    for lo in range(0, len(starts), size):
        chunk = starts[lo:lo + size]
        end = starts[lo + size] if lo + size < len(starts) else int(ends[-1]) + 1
        offsets = np.append(chunk, end)
        array = pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(chunk), [None, pa.py_buffer(offsets), buffer])
        yield array, numbers[lo:lo + size]


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
    rejects it too, so both import paths agree) or a field of the wrong type. A key given twice
    in one object keeps its first value, as DuckDB's JSON reader does, so again both paths agree.
    """
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
        obj = json.loads(text, object_pairs_hook=_first_wins)
    except UnicodeDecodeError:
        raise BadRecord("not UTF-8") from None
    except RecursionError:
        raise BadRecord("JSON nested too deep") from None
    except ValueError:
        raise BadRecord("not JSON") from None
    if "\\u" in text and _has_lone_surrogate(obj):
        raise BadRecord("a lone UTF-16 surrogate escape")
    return parse_record(obj)


def _first_wins(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) < len(pairs):  # a repeated key: dict() kept the last value
        obj = {}
        for key, value in pairs:
            obj.setdefault(key, value)
    return obj


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
        self.line_numbers: np.ndarray = np.zeros(0, np.int64)

    @property
    def position(self) -> int:
        """Bytes of the file read so far."""
        return self._raw.tell()

    def batches(self, size: int) -> Iterator[pa.BinaryArray]:
        """Non-blank lines, at most ``size`` per batch, as Arrow arrays over the bytes read.

        Lines are found with one vectorised scan per block and the array is built over the
        block's bytes without a Python object per line: at a million lines a minute this loop
        must cost far less than storing them.
        """
        pending = b""
        first_line = 1  # the file's line number of the first line in ``pending``
        while True:
            parts, n_lines, eof = [pending], pending.count(b"\n"), False
            while n_lines < size:
                block = self._lines.read(_BLOCK_BYTES)
                if not block:
                    eof = True
                    break
                parts.append(block)
                n_lines += block.count(b"\n")
            data = b"".join(parts)
            if eof and not data.endswith(b"\n"):
                data += b"\n"
            ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)  # one scan: cut and lines
            if eof:
                if data.strip():
                    yield from self._numbered(data, ends, size, first_line)
                return
            pending = data[int(ends[size - 1]) + 1:]
            yield from self._numbered(data, ends[:size], size, first_line)
            first_line += size

    def _numbered(self, data: bytes, ends: np.ndarray, size: int, first_line: int) -> Iterator[pa.BinaryArray]:
        for array, numbers in _line_arrays(data, ends, size):
            self.line_numbers = numbers + first_line
            yield array

    def close(self) -> None:
        self._lines.close()
        self._raw.close()

    def __enter__(self) -> "DumpReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
