"""One writer at a time, readers on the published copy: nobody fails because the file is open."""

import subprocess
import sys
import time

import duckdb
import pytest

from sentiment.store import DatabaseBusy, connect, snapshot_path
from sentiment.store.lock import lock_path
from tests.conftest import ROOT

_HOLD = """
import sys, time
from sentiment.store import connect
with connect(sys.argv[1]) as con:
    con.execute("INSERT INTO meta VALUES ('holder', 'other process')")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold_writer(db, seconds):
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(db), str(seconds)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_writer_waits_for_the_other_process_and_then_writes(db_path):
    with connect(db_path):
        pass
    proc = _hold_writer(db_path, 2)
    try:
        started = time.monotonic()
        with connect(db_path, timeout=60) as con:
            waited = time.monotonic() - started
            assert con.execute("SELECT value FROM meta WHERE key = 'holder'").fetchone() == ("other process",)
    finally:
        proc.wait(timeout=60)
    assert waited > 0.5


def test_a_writer_that_cannot_get_the_lock_says_which_file(db_path):
    with connect(db_path):
        pass
    proc = _hold_writer(db_path, 5)
    try:
        with pytest.raises(DatabaseBusy, match="sentiment_lock_timeout|SENTIMENT_LOCK_TIMEOUT") as err:
            connect(db_path, timeout=0.5)
        assert str(lock_path(db_path)) in str(err.value)
    finally:
        proc.kill()
        proc.wait()


def test_readers_use_the_published_copy_and_never_block_a_writer(db_path):
    with connect(db_path) as con:
        con.execute("INSERT INTO meta VALUES ('k', 'v1')")
    assert snapshot_path(db_path).exists()
    reader = connect(db_path, read_only=True)
    try:
        assert reader.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v1",)
        with connect(db_path, timeout=5) as con:  # a reader is open: the writer still gets in
            con.execute("UPDATE meta SET value = 'v2' WHERE key = 'k'")
        # the open reader keeps its consistent copy
        assert reader.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v1",)
    finally:
        reader.close()
    # a new reader sees the published write (DuckDB shares one open copy per process, so
    # a process sees the new copy once its previous readers are closed)
    with connect(db_path, read_only=True) as fresh:
        assert fresh.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v2",)


def test_nested_writers_in_one_process_share_the_lock(db_path):
    with connect(db_path, timeout=1) as outer:
        with connect(db_path, timeout=1) as inner:
            inner.execute("INSERT INTO meta VALUES ('inner', '1')")
        outer.execute("INSERT INTO meta VALUES ('outer', '1')")
    with duckdb.connect(str(snapshot_path(db_path)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta WHERE key IN ('inner', 'outer')").fetchone() == (2,)


def test_unpublished_writes_reach_readers_when_the_copy_is_stale(db_path):
    with connect(db_path, publish=False) as con:
        con.execute("INSERT INTO meta VALUES ('k', 'quiet')")
    assert not snapshot_path(db_path).exists()
    with connect(db_path, read_only=True) as reader:
        assert reader.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("quiet",)
