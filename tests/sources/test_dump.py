"""Dump backfill: the bulk SQL path stores exactly what the Python parser would, streams .zst,
filters, counts malformed lines and is idempotent."""

from __future__ import annotations

import json

import pytest
import zstandard

from sentiment.collect import run_source
from sentiment.sources.dump import parse_line, parse_record
from sentiment.store import connect, upsert_documents
from sentiment.store.bulk import DumpFilters, DumpImporter
from sentiment.settings import Settings
from tests.conftest import AUTHOR_KEY

T = 1772535600

RECORDS = [
    {"id": "p1", "title": "Qwen lead steps down &amp; what next", "selftext": "Thoughts?  \n\n\n\nAnyone?",
     "author": "op", "created_utc": T, "subreddit": "LocalLLaMA", "permalink": "/r/LocalLLaMA/comments/p1/x/"},
    {"id": "p2", "title": "Link post", "selftext": "", "author": "op2", "created_utc": str(T + 5),
     "subreddit": "LocalLLaMA", "url": "https://example.com/a"},
    {"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "author": "alice", "created_utc": T + 10,
     "body": "  plain ascii text\twith a tab   \nand trailing spaces   \n\n\n\nend  ", "subreddit": "LocalLLaMA",
     "permalink": "/r/LocalLLaMA/comments/p1/x/c1/"},
    {"id": "c2", "name": "t1_c2", "link_id": "t3_p1", "parent_id": "t1_c1", "author": "bob", "created_utc": T + 11,
     "body": "It’s over &gt; for open weights &amp;#x200B; 😬", "subreddit": "localllama"},
    {"id": "c3", "link_id": "t3_p1", "parent_id": "t1_c1", "author": "[deleted]", "created_utc": T + 12,
     "body": "[deleted]", "subreddit": "LocalLLaMA"},
    {"id": "c4", "link_id": "t3_p1", "parent_id": "t1_c3", "author": "carol", "created_utc": T + 13,
     "body": "[removed]", "subreddit": "LocalLLaMA"},
    {"id": "c5", "link_id": "t3_p1", "parent_id": "t1_c3", "author": "[deleted]", "created_utc": T + 14,
     "body": "account gone, text kept", "subreddit": "LocalLLaMA"},
    {"id": "c6", "link_id": "t3_p1", "parent_id": "t1_c2", "author": "alice", "created_utc": T + 15.25,
     "body": "Windows line\r\nendings and Qwenβs mojibake", "subreddit": "LocalLLaMA"},
    {"id": "c7", "link_id": "t3_p1", "parent_id": "t3_p1", "author": "dave", "created_utc": T + 16,
     "body": "PLAIN ASCII TEXT WITH A TAB AND TRAILING SPACES END", "subreddit": "LocalLLaMA"},
    {"id": "c8", "link_id": "t3_p1", "parent_id": "t3_p1", "author": "alice", "created_utc": T + 17,
     "body": "plain   ascii text with a tab and trailing spaces end", "subreddit": "LocalLLaMA"},
    {"id": "c9", "link_id": "t3_p1", "parent_id": "t3_p1", "author": "erin", "created_utc": T + 18,
     "body": "", "subreddit": "LocalLLaMA"},
]


def _table(con):
    return con.execute(
        "SELECT doc_id, source, kind, external_id, thread_id, parent_id, created_at, author_hash, title, text, "
        "url, deleted, content_hash, dedupe_key FROM documents ORDER BY doc_id").fetchall()


def test_bulk_sql_path_stores_exactly_what_the_python_parser_does(tmp_path):
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in RECORDS]
    with connect(tmp_path / "bulk.duckdb") as bulk:
        importer = DumpImporter(bulk, AUTHOR_KEY, DumpFilters())
        importer.import_lines(lines)
        assert importer.n_python == 3  # c2 (entities, emoji), c6 (CRLF, mojibake), p1 (&amp; in title)
        fast = _table(bulk)
        bulk_result = importer.result
    with connect(tmp_path / "rows.duckdb") as rows:
        row_result = upsert_documents(rows, [parse_record(r) for r in RECORDS], author_key=AUTHOR_KEY)
        slow = _table(rows)
    assert fast == slow
    assert (bulk_result.n_new, bulk_result.n_duplicate) == (row_result.n_new, row_result.n_duplicate) == (10, 1)


def test_a_key_given_twice_keeps_its_first_value_on_both_paths(tmp_path):
    """JSON leaves a repeated key's meaning open; DuckDB's reader keeps the first value, Python's
    ``json`` the last. A plain ASCII line (SQL path) and a non-ASCII one (Python parser) must agree."""
    lines = [b'{"id": "d1", "body": "first ascii", "author": "a", "body": "second ascii", "id": "x1"}',
             '{"id": "d2", "body": "first – dash", "author": "b", "body": "second – dash"}'.encode()]
    with connect(tmp_path / "bulk.duckdb") as bulk:
        importer = DumpImporter(bulk, AUTHOR_KEY, DumpFilters())
        importer.import_lines(lines)
        assert importer.n_python == 1
        stored = bulk.execute("SELECT doc_id, text FROM documents ORDER BY doc_id").fetchall()
    assert stored == [("reddit:t1_d1", "first ascii"), ("reddit:t1_d2", "first – dash")]
    assert [(d.doc_id, d.text) for d in map(parse_line, lines)] == stored


def _dump(path, records, extra_lines=()):
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records) + b"".join(extra_lines)
    if path.suffix == ".zst":
        data = zstandard.ZstdCompressor(level=3).compress(data)
    path.write_bytes(data)
    return path


def test_collect_dump_streams_zst_filters_counts_malformed_and_is_idempotent(con, tmp_path, monkeypatch):
    monkeypatch.setenv("SENTIMENT_DUMP_BATCH_ROWS", "4")  # several batches, one transaction each
    other = [{"id": f"o{i}", "link_id": "t3_z", "parent_id": "t3_z", "author": "x", "created_utc": T,
              "body": "qwen elsewhere", "subreddit": "MachineLearning"} for i in range(3)]
    old = {"id": "old", "link_id": "t3_p1", "parent_id": "t3_p1", "author": "x", "created_utc": T - 86400 * 30,
           "body": "qwen long ago", "subreddit": "LocalLLaMA"}
    comments = _dump(tmp_path / "RC_2026-03.zst", [*RECORDS, *other, old],
                     [b"{not json\n", b"\xff\xfe broken bytes\n", b'{"id": "x1"}\n', b"[1, 2]\n", b"\n"])
    params = {"paths": [str(comments), str(tmp_path / "missing.zst")], "subreddits": ["r/LocalLLaMA"],
              "since": "2026-03-01", "until": "2026-04-01", "keywords": []}
    report = run_source(con, "dump", params, settings=Settings())
    assert report.new == 10 and report.fetched == 11
    assert report.skipped == {
        "malformed line (not a JSON comment or submission)": 3, "malformed line (not UTF-8)": 1,
        "outside the subreddit filter": 3, "outside the date range": 1, "exact duplicate": 1,
        "dump file not read: no such file": 1}
    assert report.failed == [str(tmp_path / "missing.zst")]
    parents = dict(con.execute("SELECT doc_id, parent_id FROM documents").fetchall())
    assert parents["reddit:t1_c4"] == "reddit:t1_c3" and parents["reddit:t1_c3"] == "reddit:t1_c1"
    again = run_source(con, "dump", params, settings=Settings())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 10)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 10

    keyworded = run_source(con, "dump", {"paths": [str(comments)], "keywords": ["QWEN"]}, settings=Settings())
    assert keyworded.skipped["no keyword match"] == 9
    assert (keyworded.new, keyworded.skipped["exact duplicate"]) == (2, 2)  # o0 and "old"; o1, o2 repeat o0


@pytest.mark.parametrize("suffix", [".ndjson", ".zst"])
def test_plain_and_zst_dumps_read_the_same(con, tmp_path, suffix):
    path = _dump(tmp_path / f"RS{suffix}", RECORDS[:2])
    assert run_source(con, "dump", {"paths": [str(path)]}, settings=Settings()).new == 2


def test_a_corrupt_zst_frame_keeps_the_batches_before_it_and_reports_the_file(con, tmp_path, monkeypatch):
    """A dump whose second zstd frame is damaged: what was read before the damage is stored in
    whole batches, the file is reported as unreadable, and a re-run of the repaired file
    completes the import without duplicates."""
    monkeypatch.setenv("SENTIMENT_DUMP_BATCH_ROWS", "50")
    monkeypatch.setattr("sentiment.sources.dump._BLOCK_BYTES", 2048)  # read the file in many blocks
    records = [{"id": f"z{i}", "link_id": "t3_p1", "parent_id": "t3_p1", "author": f"u{i}", "created_utc": T,
                "body": f"comment number {i}", "subreddit": "LocalLLaMA"} for i in range(400)]
    lines = [json.dumps(r).encode() + b"\n" for r in records]
    good = zstandard.ZstdCompressor(level=3).compress(b"".join(lines[:200]))
    second = bytearray(zstandard.ZstdCompressor(level=3).compress(b"".join(lines[200:])))
    second[len(second) // 2: len(second) // 2 + 16] = b"\xff" * 16
    path = tmp_path / "RC_broken.zst"
    path.write_bytes(good + bytes(second))
    report = run_source(con, "dump", {"paths": [str(path)]}, settings=Settings())
    assert report.failed == [str(path)]
    assert any(reason.startswith("dump file not read: ") for reason in report.skipped)
    stored = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert 150 <= stored <= 200 and stored % 50 == 0  # whole batches of the first frame
    path.write_bytes(good + zstandard.ZstdCompressor(level=3).compress(b"".join(lines[200:])))
    again = run_source(con, "dump", {"paths": [str(path)]}, settings=Settings())
    assert (again.new, again.unchanged, again.failed) == (400 - stored, stored, [])
    assert con.execute("SELECT count(DISTINCT doc_id), count(*) FROM documents").fetchone() == (400, 400)
