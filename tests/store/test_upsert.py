from datetime import datetime

import pyarrow as pa

from sentiment.collect.files import ingest_paths
from sentiment.records import Document
from sentiment.store import upsert_documents, upsert_stances
from tests.conftest import AUTHOR_KEY, SEEDS

TABLES = ("documents", "stances", "events")


def _counts(con):
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def _comment(ext, text, author="alice", thread="reddit:t3_p", when=datetime(2026, 3, 3, 10)):
    return Document(source="reddit", kind="comment", external_id=ext, text=text, created_at=when,
                    thread_id=thread, parent_id=thread, author=author)


def test_reingesting_the_seeds_changes_nothing(con):
    first = ingest_paths(con, [SEEDS], author_key=AUTHOR_KEY)
    before = _counts(con)
    second = ingest_paths(con, [SEEDS], author_key=AUTHOR_KEY)
    assert first.documents.n_new == before["documents"] > 0
    assert second.documents.n_new == 0 and second.documents.n_updated == 0
    assert second.documents.n_unchanged == first.documents.n_new
    assert _counts(con) == before
    assert con.execute("SELECT count(*), count(DISTINCT (source, external_id)) FROM documents").fetchone() \
        == (before["documents"], before["documents"])


def test_edited_comment_is_updated_and_loses_its_stance(con):
    upsert_documents(con, [_comment("t1_a", "first version")], author_key=AUTHOR_KEY)
    upsert_stances(con, pa.table({
        "doc_id": ["reddit:t1_a"], "model_version": ["m"], "label": ["neutral"], "confidence": [0.9],
        "p_concern": [0.0], "p_skepticism": [0.0], "p_support": [0.1], "p_neutral": [0.9],
        "classified_at": [datetime(2026, 3, 4)]}))
    result = upsert_documents(con, [_comment("t1_a", "edited: I don't believe a word of it")],
                              author_key=AUTHOR_KEY)
    assert (result.n_new, result.n_updated) == (0, 1)
    assert con.execute("SELECT text FROM documents").fetchall() == [("edited: I don't believe a word of it",)]
    assert con.execute("SELECT count(*) FROM stances").fetchone()[0] == 0


def test_exact_duplicates_are_dropped_in_a_batch_and_across_runs(con):
    batch = [
        _comment("t1_a", "Qwen is done", when=datetime(2026, 3, 3, 10, 0)),
        _comment("t1_b", "qwen is  done", when=datetime(2026, 3, 3, 10, 1)),  # double post
        _comment("t1_c", "Qwen is done", author="bob"),  # same words, another person: kept
        _comment("t1_a", "Qwen is done"),  # the same id twice in one batch
    ]
    result = upsert_documents(con, batch, author_key=AUTHOR_KEY)
    assert (result.n_in, result.n_new, result.n_duplicate) == (4, 2, 2)
    assert sorted(r[0] for r in con.execute("SELECT external_id FROM documents").fetchall()) == ["t1_a", "t1_c"]
    again = upsert_documents(con, [_comment("t1_d", "QWEN IS DONE", when=datetime(2026, 3, 5))],
                             author_key=AUTHOR_KEY)
    assert (again.n_new, again.n_duplicate) == (0, 1)


def test_deleted_comments_are_never_duplicates_of_each_other(con):
    docs = [Document(source="reddit", kind="comment", external_id=f"t1_{i}", text="[deleted]",
                     created_at=None, thread_id="reddit:t3_p", deleted=True) for i in range(3)]
    assert upsert_documents(con, docs, author_key=AUTHOR_KEY).n_new == 3


def test_authors_are_stored_only_as_keyed_hashes(con):
    upsert_documents(con, [_comment("t1_a", "hello there", author="very_unique_name")], author_key=AUTHOR_KEY)
    stored = con.execute("SELECT * FROM documents").fetchall()
    assert "very_unique_name" not in repr(stored)
    assert con.execute("SELECT author_hash FROM documents").fetchone()[0]


def test_sql_injection_text_is_stored_verbatim(con):
    hostile = "'; DROP TABLE documents; --"
    upsert_documents(con, [_comment("t1_x", hostile)], author_key=AUTHOR_KEY)
    assert con.execute("SELECT text FROM documents WHERE external_id = ?", ["t1_x"]).fetchone()[0] == hostile
