"""A run that dies part-way loses at most the file or batch in flight; a re-run completes it."""

import json

import pytest

import sentiment.collect.files as ingest_module
from sentiment.collect.files import ingest_paths
from sentiment.store import connect
from tests.conftest import AUTHOR_KEY, SEEDS


def _snapshot(con):
    return {
        "documents": con.execute("SELECT doc_id, text, parent_id FROM documents ORDER BY doc_id").fetchall(),
        "events": con.execute("SELECT * FROM events ORDER BY event_id").fetchall(),
    }


def test_ingest_crash_then_rerun_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    with connect(tmp_path / "clean.duckdb") as con:
        ingest_paths(con, [SEEDS], author_key=AUTHOR_KEY)
        expected = _snapshot(con)

    real = ingest_module.upsert_documents
    calls = {"n": 0}

    def dies_on_the_fourth_file(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt("killed mid-ingest")
        return real(*args, **kwargs)

    db = tmp_path / "crashed.duckdb"
    with connect(db) as con:
        monkeypatch.setattr(ingest_module, "upsert_documents", dies_on_the_fourth_file)
        with pytest.raises(KeyboardInterrupt):
            ingest_paths(con, [SEEDS], author_key=AUTHOR_KEY)
        partial = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert 0 < partial < len(expected["documents"])
        run = con.execute("SELECT status, notes FROM runs").fetchone()
        assert run[0] == "failed" and "killed mid-ingest" in json.loads(run[1])["error"]
        monkeypatch.setattr(ingest_module, "upsert_documents", real)
        again = ingest_paths(con, [SEEDS], author_key=AUTHOR_KEY)
        assert again.documents.n_new == len(expected["documents"]) - partial
        assert _snapshot(con) == expected
