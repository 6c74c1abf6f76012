"""`sentiment forget --author NAME`: the person's texts, stances and labels go (from the tables, the
trend copies and the file's bytes), reply trees keep their links, the request is recorded by hash
only, and collecting the same data again (row path and bulk dump path) stores none of their text."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest
from typer.testing import CliRunner

from sentiment.classify import load_classifier
from sentiment.classify.run import classify_pending
from sentiment.cli import app
from sentiment.collect import run_source
from sentiment.records import Document
from sentiment.store import connect, snapshot_path, upsert_documents
from sentiment.text import author_hash
from sentiment.insight.trends import refresh_trends
from sentiment.settings import Settings
from tests.conftest import AUTHOR_KEY, run_counts

THREAD = "reddit:t3_p"
# Distinctive, incompressible texts, so a search of the file's bytes means something.
SECRET_1 = "I fear the worst: qx7Kp2Lw9ZtR4vNc8mYb3HdJ6sFg1QeA, they will close the weights"
SECRET_2 = "Worried again, Vb5Nq8Xr2Wt7Lk4Jp9Hm3Gd6Fs1Za0Yc: this is the end of open models"
TITLE = "Mallory asks: Qwen lead gone, wT3kP9xL2qZ8vR5n?"
T = 1772535600


def _docs() -> list[Document]:
    when = datetime(2026, 3, 4, 10)
    return [
        Document("reddit", "post", "t3_p", "What now?", when, thread_id=THREAD, author="op",
                 title="Qwen lead steps down", url="https://www.reddit.com/r/x/comments/p/"),
        Document("reddit", "comment", "t1_m1", SECRET_1, when, thread_id=THREAD, parent_id=THREAD,
                 author="mallory", url="https://www.reddit.com/r/x/comments/p/_/m1/"),
        Document("reddit", "comment", "t1_b1", "I doubt it, this is just PR", when, thread_id=THREAD,
                 parent_id="reddit:t1_m1", author="bob"),
        Document("reddit", "comment", "t1_m2", SECRET_2, when, thread_id=THREAD, parent_id="reddit:t1_b1",
                 author="mallory"),
        Document("reddit", "comment", "t1_c1", "Thanks team, great models, legends", when, thread_id=THREAD,
                 parent_id=THREAD, author="carol"),
        Document("reddit", "post", "t3_q", "", when, thread_id="reddit:t3_q", author="mallory", title=TITLE),
    ]


def _bytes(db) -> bytes:
    return b"".join(p.read_bytes() for p in (db, snapshot_path(db)) if p.exists())


@pytest.fixture
def stored(db_path):
    with connect(db_path) as con:
        upsert_documents(con, _docs(), author_key=AUTHOR_KEY)
        classify_pending(con, load_classifier("baseline"), batch_size=64)
        con.execute("INSERT INTO labels (id, text, thread_title, label, source, labelled_at) "
                    "VALUES ('reddit:t1_m1', ?, NULL, 'concern', 'user', now()), "
                    "('imported-7', ?, NULL, 'concern', 'user', now()), "
                    "('reddit:t1_c1', 'Thanks team, great models, legends', NULL, 'support', 'user', now())",
                    [SECRET_1, SECRET_2])
        refresh_trends(con, min_n=1)
        assert con.execute("SELECT count(*) FROM event_quotes").fetchone()[0] == 0  # no events here
    return db_path


def _forget(db, *args: str, input: str | None = None):
    return CliRunner().invoke(app, ["--db", str(db), "forget", *args], input=input, catch_exceptions=False)


def test_forget_empties_texts_keeps_the_tree_and_records_only_the_hash(stored):
    db = stored
    raw = _bytes(db)
    assert SECRET_1.encode() in raw and SECRET_2.encode() in raw  # precondition: the search can find them
    with duckdb.connect(str(db), read_only=True) as con:
        others_before = con.execute("SELECT doc_id, text, author_hash FROM documents "
                                    "WHERE doc_id IN ('reddit:t1_b1', 'reddit:t1_c1', 'reddit:t3_p')").fetchall()
        n_stances = con.execute("SELECT count(*) FROM stances").fetchone()[0]

    result = _forget(db, "--author", "u/mallory", "--yes")
    assert result.exit_code == 0, result.output
    who = author_hash("mallory", AUTHOR_KEY)
    assert f"author {who}: 3 documents emptied" in result.output and "mallory" not in result.output
    assert "3 stances and 2 labels deleted" in result.output  # m1, m2 and the post q; m1 by id, m2 by text

    with duckdb.connect(str(db), read_only=True) as con:
        gone = con.execute("SELECT doc_id, parent_id, thread_id, text, title, url, author_hash, deleted, "
                           "content_hash, dedupe_key, created_at IS NOT NULL FROM documents "
                           "WHERE doc_id IN ('reddit:t1_m1', 'reddit:t1_m2', 'reddit:t3_q') ORDER BY doc_id").fetchall()
        assert gone == [
            ("reddit:t1_m1", THREAD, THREAD, "", None, None, None, True, None, None, True),
            ("reddit:t1_m2", "reddit:t1_b1", THREAD, "", None, None, None, True, None, None, True),
            ("reddit:t3_q", None, "reddit:t3_q", "", None, None, None, True, None, None, True),
        ]
        # other people's rows are untouched, and bob's reply still hangs off the tombstone
        assert con.execute("SELECT doc_id, text, author_hash FROM documents WHERE doc_id IN "
                           "('reddit:t1_b1', 'reddit:t1_c1', 'reddit:t3_p')").fetchall() == others_before
        assert con.execute("SELECT parent_id FROM documents WHERE doc_id = 'reddit:t1_b1'").fetchone() == ("reddit:t1_m1",)
        assert con.execute("SELECT count(*) FROM stances WHERE doc_id IN "
                           "('reddit:t1_m1', 'reddit:t1_m2', 'reddit:t3_q')").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM stances").fetchone()[0] == n_stances - 3
        assert con.execute("SELECT id FROM labels").fetchall() == [("reddit:t1_c1",)]
        assert con.execute("SELECT author_hash FROM forgotten_authors").fetchall() == [(who,)]
        step, status, n_in, notes = con.execute(
            "SELECT step, status, n_in, notes FROM runs WHERE step = 'forget'").fetchone()
        assert (step, status, n_in) == ("forget", "ok", 3)
        assert run_counts(con, "forget") == [(3, 0, 3, 0, 0)]  # three documents read, all tombstoned
        recorded = {k: v for k, v in json.loads(notes).items() if k not in ("pid", "host")}  # who ran it
        assert recorded | {"skipped": {}} == {"skipped": {}, "author_hash": who, "documents": 3,
                                              "stances": 3, "labels": 2}
        # the trend tables were rebuilt after the forget, without the removed documents
        last_two = [r[0] for r in con.execute("SELECT step FROM runs ORDER BY started_at DESC LIMIT 2").fetchall()]
        assert last_two == ["trends", "forget"]
        assert con.execute("SELECT sum(n) FROM stance_day_counts").fetchone()[0] == n_stances - 3
        dump = repr([con.execute(f'SELECT * FROM "{t}"').fetchall() for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()])
    for text in (SECRET_1, SECRET_2, TITLE, "mallory"):
        assert text not in dump
    raw = _bytes(db)  # the file was rewritten and republished: the bytes are gone too
    for text in (SECRET_1, SECRET_2, "qx7Kp2Lw9ZtR4vNc8mYb3HdJ6sFg1QeA", "wT3kP9xL2qZ8vR5n"):
        assert text.encode() not in raw

    # collecting the same thread again (row path) brings nothing back, and nothing is reclassified
    with connect(db) as con:
        again = upsert_documents(con, _docs(), author_key=AUTHOR_KEY)
        assert (again.n_new, again.n_updated, again.n_unchanged) == (0, 0, 6)
        new = upsert_documents(con, [Document("reddit", "comment", "t1_m3", "A brand new SECRET_3 comment",
                                              datetime(2026, 3, 5), thread_id=THREAD, parent_id=THREAD,
                                              author="mallory")], author_key=AUTHOR_KEY)
        assert new.n_new == 1
        assert con.execute("SELECT text, author_hash, deleted FROM documents WHERE doc_id = 'reddit:t1_m3'"
                           ).fetchone() == ("", None, True)
        assert classify_pending(con, load_classifier("baseline"), batch_size=64).n_classified == 0
        assert con.execute("SELECT count(*) FROM documents WHERE text LIKE '%SECRET%' OR text = ?",
                           [SECRET_1]).fetchone()[0] == 0


def test_forget_from_a_dump_stays_forgotten_when_the_dump_is_imported_again(con, tmp_path):
    lines = [
        {"id": "p1", "title": "Qwen lead steps down", "selftext": "", "author": "op", "created_utc": T,
         "subreddit": "LocalLLaMA", "permalink": "/r/LocalLLaMA/comments/p1/x/"},
        {"id": "m1", "link_id": "t3_p1", "parent_id": "t3_p1", "author": "mallory", "created_utc": T + 1,
         "body": SECRET_1, "subreddit": "LocalLLaMA", "permalink": "/r/LocalLLaMA/comments/p1/x/m1/"},
        {"id": "m2", "link_id": "t3_p1", "parent_id": "t1_m1", "author": "mallory", "created_utc": T + 2,
         "body": SECRET_2 + " — it’s over",  # not plain ASCII: the Python parser's part of the bulk path
         "subreddit": "LocalLLaMA"},
        {"id": "b1", "link_id": "t3_p1", "parent_id": "t1_m1", "author": "bob", "created_utc": T + 3,
         "body": "I doubt it", "subreddit": "LocalLLaMA"},
    ]
    dump = tmp_path / "RC.ndjson"
    dump.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n", encoding="utf-8")
    assert run_source(con, "dump", {"paths": [str(dump)]}, settings=Settings()).new == 4
    from sentiment.maintenance.forget import forget_author

    report = forget_author(con, "mallory", AUTHOR_KEY, min_n=1)
    assert (report.documents, report.stances, report.labels) == (2, 0, 0)
    before = con.execute("SELECT * FROM documents ORDER BY doc_id").fetchall()
    again = run_source(con, "dump", {"paths": [str(dump)]}, settings=Settings())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 4)
    assert con.execute("SELECT * EXCLUDE (fetched_at) FROM documents ORDER BY doc_id").fetchall() == \
        [row[:11] + row[12:] for row in before]
    texts = dict(con.execute("SELECT external_id, text FROM documents").fetchall())
    assert texts == {"t3_p1": "", "t1_m1": "", "t1_m2": "", "t1_b1": "I doubt it"}
    assert con.execute("SELECT parent_id FROM documents WHERE external_id = 't1_b1'").fetchone() == ("reddit:t1_m1",)


def test_forget_asks_first_and_needs_the_key(stored, tmp_path, monkeypatch):
    result = _forget(stored, "--author", "mallory", input="n\n")
    assert result.exit_code == 1 and "Empty 3 stored documents" in result.output
    with duckdb.connect(str(stored), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM forgotten_authors").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM documents WHERE text = ?", [SECRET_1]).fetchone()[0] == 1
    assert _forget(stored, "--author", "[deleted]", "--yes").exit_code == 2  # not a name

    from sentiment.settings import get_settings

    monkeypatch.delenv("SENTIMENT_AUTHOR_KEY")
    monkeypatch.setenv("SENTIMENT_AUTHOR_KEY_FILE", str(tmp_path / "missing" / "author.key"))
    get_settings.cache_clear()
    result = _forget(stored, "--author", "mallory", "--yes")
    assert result.exit_code == 2 and "No author key" in result.output
    assert not (tmp_path / "missing" / "author.key").exists()  # no new key was made up
