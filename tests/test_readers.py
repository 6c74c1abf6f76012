"""Readers never write: the published copy is opened read-only as it is (no lock, no third copy),
even while another process holds it, and a busy or missing file is one line within seconds
(README, One writer many readers; Guarantees)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sentiment import dashboard
from sentiment.settings import Settings, get_settings
from sentiment.store import DatabaseBusy, connect, snapshot_path
from tests.conftest import AUTHOR_KEY, ROOT, SEEDS

APP = ROOT / "dashboards" / "app.py"

_HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("open", flush=True)
sys.stdin.readline()
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A small database (seeds, baseline stances, trends) and its published read copy."""
    from sentiment.classify import load_classifier
    from sentiment.classify.run import activate, classify_pending
    from sentiment.collect.files import ingest_paths
    from sentiment.insight.trends import refresh_trends

    db = tmp_path_factory.mktemp("readers") / "live.duckdb"
    with connect(db) as con:
        ingest_paths(con, [SEEDS], author_key=AUTHOR_KEY)
        classifier = load_classifier("baseline")
        classify_pending(con, classifier, batch_size=256)
        activate(con, classifier)
        refresh_trends(con, min_n=20)
    assert snapshot_path(db).exists()
    return db


def _hold(path: Path, mode: str) -> subprocess.Popen:
    """Another process holding ``path`` open (``read``: like ``duckdb -readonly``; ``write``)."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(path), mode], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "open"
    return proc


def _release(proc: subprocess.Popen) -> None:
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(timeout=30)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_published_copy_held_by_a_reader_is_opened_as_it_is(published):
    copy = snapshot_path(published)
    before = _digest(copy)
    reader = _hold(copy, "read")
    try:
        started = time.monotonic()
        with connect(copy, read_only=True) as con:
            assert con.execute("SELECT count(*) FROM documents").fetchone()[0] > 500
            with pytest.raises(duckdb.Error):
                con.execute("DELETE FROM documents")
        snap = dashboard.open_snapshot(Settings(db=Path("/nonexistent.duckdb"), dashboard_db=copy))
        assert not snap.copied and dashboard.options(snap.con).sources
        snap.con.close()
        assert time.monotonic() - started < 5
    finally:
        _release(reader)
    assert _digest(copy) == before
    folder = sorted(p.name for p in published.parent.iterdir())
    assert "live.read.read.duckdb" not in folder and "live.read.duckdb.lock" not in folder  # no lock, no 3rd copy


def test_a_copy_held_for_writing_is_one_line_within_seconds(published, tmp_path, monkeypatch):
    copy = tmp_path / "other.read.duckdb"
    copy.write_bytes(snapshot_path(published).read_bytes())
    writer = _hold(copy, "write")
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseBusy) as info:
            connect(copy, read_only=True, timeout=1)
        assert time.monotonic() - started < 5
        assert str(info.value).startswith(f"{copy} is held open for writing") and "\n" not in str(info.value)
    finally:
        _release(writer)
    with pytest.raises(FileNotFoundError, match="no database at"):
        connect(tmp_path / "missing.read.duckdb", read_only=True)


def test_a_busy_database_with_nothing_published_is_one_line_within_seconds(tmp_path, monkeypatch):
    from tests.store.test_single_writer import _hold_writer

    db = tmp_path / "busy.duckdb"
    connect(db, publish=False).close()
    assert not snapshot_path(db).exists()
    holder = _hold_writer(db, 30)  # a run writing now, nothing published yet
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseBusy, match="no read copy has been published yet"):
            connect(db, read_only=True, timeout=1)
        assert time.monotonic() - started < 5  # not SENTIMENT_LOCK_TIMEOUT (900 s)
    finally:
        holder.kill()
        holder.wait()


def _app(monkeypatch, dashboard_db: Path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SENTIMENT_DASHBOARD_DB", str(dashboard_db))
    monkeypatch.setenv("SENTIMENT_READER_WAIT", "1")
    get_settings.cache_clear()
    return AppTest.from_file(str(APP), default_timeout=60).run()


def test_the_dashboard_reads_a_copy_a_reader_holds_open(published, monkeypatch):
    copy = snapshot_path(published)
    reader = _hold(copy, "read")
    try:
        at = _app(monkeypatch, copy)
        assert not at.exception and not at.error, (at.exception, at.error)
        assert len(at.dataframe) >= 2 and all(len(frame.value) > 0 for frame in at.dataframe)
    finally:
        _release(reader)
    assert not snapshot_path(copy).exists() and not (copy.parent / (copy.name + ".lock")).exists()


def test_the_dashboard_says_in_one_line_when_its_file_is_busy_or_missing(published, tmp_path, monkeypatch):
    copy = tmp_path / "held.read.duckdb"
    copy.write_bytes(snapshot_path(published).read_bytes())
    writer = _hold(copy, "write")
    try:
        at = _app(monkeypatch, copy)
    finally:
        _release(writer)
    assert not at.exception and [e.value for e in at.error] == [
        f"{copy} is held open for writing by another process; readers open the published copy (*.read.duckdb)"]
    missing = _app(monkeypatch, tmp_path / "gone.read.duckdb")
    assert not missing.exception and "no database at" in missing.error[0].value
