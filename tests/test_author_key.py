"""The author-hash key lives outside the database: created private, never written into the file
(nor its HMAC pads, from which it could be recovered), and without it no stored hash can be matched."""

from __future__ import annotations

import json
import stat

import duckdb
import pytest

from sentiment.collect import run_source
from sentiment.records import Document
from sentiment.settings import Settings, load_author_key
from sentiment.store import connect, snapshot_path, upsert_documents
from sentiment.store.bulk import _hmac_pads
from sentiment.text import author_hash

NAMES = ["alice", "bob", "carol", "dave"]


def _file_settings(tmp_path) -> Settings:
    return Settings(author_key=None, author_key_file=tmp_path / "data" / "author.key")


def test_a_new_key_file_is_private_stable_and_alone(tmp_path):
    settings = _file_settings(tmp_path)
    key = load_author_key(settings)
    assert stat.S_IMODE(settings.author_key_file.stat().st_mode) == 0o600
    assert len(key) == 64 and key == load_author_key(settings)  # 32 random bytes, hex; reused
    assert [p.name for p in settings.author_key_file.parent.iterdir()] == ["author.key"]  # no temp file left
    assert load_author_key(_file_settings(tmp_path / "elsewhere")) != key  # each installation its own


def test_an_empty_key_file_is_an_error_not_a_weak_key(tmp_path):
    settings = _file_settings(tmp_path)
    settings.author_key_file.parent.mkdir(parents=True)
    settings.author_key_file.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        load_author_key(settings)


def _texts(db) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return repr([con.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables])


def test_the_key_never_enters_the_database_and_other_keys_match_nothing(tmp_path, db_path, monkeypatch):
    monkeypatch.delenv("SENTIMENT_AUTHOR_KEY")
    monkeypatch.setenv("SENTIMENT_AUTHOR_KEY_FILE", str(tmp_path / "data" / "author.key"))
    key = load_author_key(Settings())
    docs = [Document("reddit", "comment", f"t1_{n}", f"row path comment by {n}", None, thread_id="reddit:t3_p",
                     author=n) for n in NAMES[:2]]
    dump = tmp_path / "RC.ndjson"
    dump.write_text("\n".join(json.dumps({"id": f"d{i}", "link_id": "t3_p", "parent_id": "t3_p", "author": n,
                                          "body": f"dump comment by {n}", "created_utc": 1772535600 + i,
                                          "subreddit": "x"}) for i, n in enumerate(NAMES)) + "\n",
                    encoding="utf-8")
    with connect(db_path) as con:
        upsert_documents(con, docs, author_key=key)  # the row path (Python HMAC)
        assert run_source(con, "dump", {"paths": [str(dump)]}, settings=Settings()).new == 4  # the bulk path (HMAC in SQL)
        stored = {r[0] for r in con.execute("SELECT author_hash FROM documents").fetchall()}
    assert stored == {author_hash(n, key) for n in NAMES}  # both paths, the same keyed hashes

    ipad, opad = _hmac_pads(key)
    raw = b"".join(p.read_bytes() for p in (db_path, snapshot_path(db_path)))
    for secret in (key, ipad, opad, key.hex().encode()):
        assert secret not in raw
    assert key.decode() not in _texts(db_path)
    other = b"0" * 64
    assert stored.isdisjoint({author_hash(n, other) for n in NAMES})  # a guessed name needs the key
    assert stored.isdisjoint({author_hash(n, b"") for n in NAMES})


def test_the_demo_database_holds_no_trace_of_its_key(demo_db):
    raw = demo_db.read_bytes()
    assert b"demo-key" not in raw and "demo-key" not in _texts(demo_db)
    with duckdb.connect(str(demo_db), read_only=True) as con:
        hashes = [r[0] for r in con.execute(
            "SELECT DISTINCT author_hash FROM documents WHERE author_hash IS NOT NULL").fetchall()]
    assert hashes and all(len(h) == 20 and int(h, 16) >= 0 for h in hashes)  # hex digests, no names


def test_a_crashing_command_prints_no_key(tmp_path):
    """An unexpected error prints a traceback; its frames hold the key, their locals are not shown."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    key = "S3CRET-AUTHOR-KEY-5d1e"
    (tmp_path / "db.duckdb").mkdir()  # a folder where the database file should be: connect fails
    env = {**os.environ, "SENTIMENT_AUTHOR_KEY": key, "COLUMNS": "200",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "sentiment.cli", "--db", str(tmp_path / "db.duckdb"), "forget",
                           "--author", "mallory", "--yes"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "Traceback" in done.stdout + done.stderr
    assert key not in done.stdout + done.stderr
    assert key.encode().hex() not in done.stdout + done.stderr


def test_settings_never_show_the_key():
    settings = Settings(author_key="S3CRET-AUTHOR-KEY-5d1e")
    assert "S3CRET" not in repr(settings) and "S3CRET" not in str(settings)
    assert load_author_key(settings) == b"S3CRET-AUTHOR-KEY-5d1e"
