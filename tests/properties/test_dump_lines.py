"""Dump lines, hostile: the bulk importer never raises; every line is stored or counted as skipped
with a reason naming ``FILE:LINE``; what it stores is exactly what the Python row path
(:func:`parse_line` then ``upsert_documents``) stores for the same lines."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentiment.sources.dump import parse_line
from sentiment.sources.fields import BadRecord
from sentiment.store import connect, upsert_documents
from sentiment.store.bulk import DumpFilters, DumpImporter
from tests.conftest import AUTHOR_KEY
from tests.properties.strategies import encodings, ids, maybe_text, odd, times

COLUMNS = ("doc_id, source, kind, external_id, thread_id, parent_id, created_at, author_hash, title, text, url, "
           "deleted, content_hash, dedupe_key")

comment = st.fixed_dictionaries(
    {"id": ids, "body": maybe_text},
    optional={"link_id": ids, "parent_id": ids, "author": maybe_text, "created_utc": times,
              "subreddit": maybe_text, "permalink": maybe_text, "name": ids, "edited": odd})
submission = st.fixed_dictionaries(
    {"id": ids, "title": maybe_text},
    optional={"selftext": maybe_text, "author": maybe_text, "created_utc": times, "url": maybe_text,
              "permalink": maybe_text})
record = st.one_of(comment, submission, odd, st.dictionaries(st.text(max_size=4), odd, max_size=3))


@st.composite
def dump_lines(draw) -> list[bytes]:
    lines = []
    for obj in draw(st.lists(record, min_size=1, max_size=8)):
        ascii_only = draw(st.booleans())
        text = json.dumps(obj, ensure_ascii=ascii_only)
        key = draw(st.sampled_from([None, "id", "body", "title", "selftext", "author", "created_utc", "permalink"]))
        if key and isinstance(obj, dict):  # a key twice in one object (JSON allows it): the first counts
            pair = json.dumps(key) + ": " + json.dumps(draw(st.one_of(maybe_text, times, odd)), ensure_ascii=ascii_only)
            parts = (pair, text[1:-1]) if draw(st.booleans()) else (text[1:-1], pair)
            text = "{" + ", ".join(part for part in parts if part) + "}"
        lines.append(draw(encodings(text)))
    extra = draw(st.sampled_from([[], [b'{"id": "t", "body": "' + b"[" * 5000], [b"[" * 100_000],
                                  [b'{"id": "x", "body": "x", "junk": ' + b"[" * 400 + b"]" * 400 + b"}"]]))
    return [line for line in lines + extra if line.strip()]  # the reader drops blank lines


@pytest.fixture(scope="module")
def two_dbs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dumps")
    with connect(folder / "bulk.duckdb") as bulk, connect(folder / "rows.duckdb") as rows:
        yield bulk, rows


def _table(con):
    return con.execute(f"SELECT {COLUMNS} FROM documents ORDER BY doc_id").fetchall()


@given(lines=dump_lines())
def test_every_dump_line_is_stored_as_the_row_path_would_or_skipped_with_a_reason(two_dbs, lines):
    bulk, rows = two_dbs
    for con in two_dbs:
        con.execute("DELETE FROM documents")
    importer = DumpImporter(bulk, AUTHOR_KEY, DumpFilters())
    result = importer.import_lines(lines, where="RC.ndjson")
    importer.close()
    # every line is accounted for: handed to the store, or skipped with a reason and named
    assert result.n_in + sum(importer.skipped.values()) == len(lines)
    assert result.n_new + result.n_updated + result.n_unchanged + result.n_duplicate == result.n_in
    for reason in importer.skipped:
        assert importer.examples[reason] and all(e.startswith("RC.ndjson:") for e in importer.examples[reason])

    docs, n_bad = [], 0
    for line in lines:
        try:
            doc = parse_line(line)
        except BadRecord:
            doc = None
        if doc is None:
            n_bad += 1
        else:
            docs.append(doc)
    upsert_documents(rows, docs, author_key=AUTHOR_KEY)
    assert n_bad == sum(importer.skipped.values())
    assert _table(bulk) == _table(rows)
