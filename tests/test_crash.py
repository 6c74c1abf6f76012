"""A real crash: the step runs as its own process and gets SIGKILL part-way; a re-run finishes it.

The child logs a line after each committed batch (``SENTIMENT_LOG_LEVEL=INFO``); the parent kills
it with ``os.kill(pid, SIGKILL)`` on reading the first one, so the kill lands after at least one
commit and long before the last (the runs below have 15-30 batches). Then:

- everything logged as committed is in the file: a crash loses at most the batch in flight;
- the writer lock is free (the kernel drops a dead process's lock) and the published read copy
  opens and reads;
- the killed run's ``runs`` row, left at 'running', becomes 'abandoned' on the next run;
- the re-run adds exactly what was missing, and the tables equal an uninterrupted run's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import socket
import threading
import time
from pathlib import Path

import duckdb
import pytest

from sentiment.classify import load_classifier
from sentiment.classify.run import classify_pending, count_pending
from sentiment.collect import run_source
from sentiment.store import connect, snapshot_path
from sentiment.store.bulk import DumpFilters, DumpImporter
from sentiment.store.lock import lock_path
from sentiment.store.runs import abandon_dead_runs, process_alive, start_run
from sentiment.settings import Settings
from tests.conftest import AUTHOR_KEY, ROOT
from tests.pipeline_state import differences, pipeline_state

T0 = 1772535600
DUMP_BATCH = 200
CLASSIFY_BATCH = 100
_IN_ALL = re.compile(r"(\d+) in all\)")


def write_dump(path: Path, n_threads: int = 150) -> Path:
    """A Reddit dump of ``n_threads`` posts with 19 comments each, plus the awkward cases: non-ASCII
    text (the Python parser path), deleted comments, exact duplicates and an edited comment whose
    later version comes many batches after the first."""
    lines = []
    for t in range(n_threads):
        lines.append({"id": f"p{t}", "title": f"Thread {t}: the Qwen release", "selftext": "",
                      "author": f"op{t % 7}", "created_utc": T0 + t * 600, "subreddit": "LocalLLaMA"})
        for c in range(19):
            i = t * 19 + c
            body = (f"I worry comment {i} shows the risks of open weights" if i % 4 == 0 else
                    f"Great news, {i} people will love this — café ☕" if i % 4 == 1 else
                    f"I doubt claim {i % 50} holds up" if i % 4 == 2 else
                    "[deleted]" if i % 40 == 3 else f"Benchmarks for {i} are out")
            lines.append({"id": f"c{i}", "link_id": f"t3_p{t}", "parent_id": f"t3_p{t}",
                          "author": f"user{i % 97}", "created_utc": T0 + t * 600 + c, "body": body,
                          "subreddit": "LocalLLaMA"})
        if t % 25 == 5:  # the same text by the same author in the same thread: dropped as a duplicate
            lines.append({**lines[-1], "id": f"dup{t}", "created_utc": T0 + t * 600 + 30})
    lines.append({**lines[5], "body": "Edited: this is actually worrying"})  # c4, first stored in batch 1
    with path.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in lines)
    return path


def _child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "SENTIMENT_LOG_LEVEL": "INFO", "SENTIMENT_LOCK_TIMEOUT": "10", **extra}


def _sentiment(*args: str) -> list[str]:
    return [sys.executable, "-m", "sentiment.cli", *args]


def run_to_completion(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr


def kill_after_first_commit(args: list[str], env: dict[str, str], marker: str) -> tuple[int, int]:
    """Run ``args``, SIGKILL it as soon as it logs ``marker``; returns (pid, rows it logged as committed)."""
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    watchdog = threading.Timer(120, proc.kill)  # a child that never commits must not hang the suite
    watchdog.start()
    seen: list[str] = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if marker in line:
                os.kill(proc.pid, signal.SIGKILL)
                break
        seen.extend(proc.stderr.read().splitlines(keepends=True))
        proc.wait(timeout=30)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = "".join(seen)
    assert proc.returncode == -signal.SIGKILL, f"the child was not killed mid-run (rc {proc.returncode}):\n{log}"
    logged = [int(m.group(1)) for m in _IN_ALL.finditer(log)]
    assert logged, log
    return proc.pid, logged[-1]


def check_after_kill(db: Path, step: str, pid: int, table: str) -> int:
    """What a crash leaves: the lock free, a readable published copy, the run still 'running'.
    Returns the rows of ``table`` that the killed run committed."""
    assert lock_path(db).exists()  # the file stays; the kernel released the lock on it
    # timeout=0: a lock still held would make the reader fall back to the old copy (or fail)
    with connect(db, read_only=True, timeout=0) as reader:
        committed = reader.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        runs = reader.execute("SELECT status, notes FROM runs WHERE step = ?", [step]).fetchall()
    assert [(status, json.loads(notes)["pid"]) for status, notes in runs] == [("running", pid)]
    return committed


def check_runs_after_rerun(db: Path, step: str, pid: int, n_new: int) -> None:
    with duckdb.connect(str(snapshot_path(db)), read_only=True) as con:
        runs = con.execute("SELECT status, n_new, notes FROM runs WHERE step = ? ORDER BY started_at",
                           [step]).fetchall()
    (first, _, first_notes), (second, second_new, _) = runs
    assert (first, second) == ("abandoned", "ok")
    notes = json.loads(first_notes)
    assert notes["pid"] == pid and f"process {pid}" in notes["abandoned"]
    assert second_new == n_new


@pytest.mark.slow
def test_dump_import_killed_mid_run_then_rerun_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    dump = write_dump(tmp_path / "dump.ndjson")
    monkeypatch.setenv("SENTIMENT_DUMP_BATCH_ROWS", str(DUMP_BATCH))
    with connect(tmp_path / "clean.duckdb") as con:
        expected_new = run_source(con, "dump", {"paths": [str(dump)]}, settings=Settings()).new
    expected = pipeline_state(tmp_path / "clean.duckdb", ("documents",))

    db = tmp_path / "crashed.duckdb"
    env = _child_env(SENTIMENT_DB=str(db))
    args = _sentiment("collect", "dump", str(dump))
    pid, logged = kill_after_first_commit(args, env, "committed batch")
    committed = check_after_kill(db, "collect:dump", pid, "documents")
    # everything logged as committed survived; at most the batch in flight was lost
    assert 0 < logged <= committed <= logged + DUMP_BATCH
    assert committed < expected_new

    run_to_completion(args, env)
    check_runs_after_rerun(db, "collect:dump", pid, n_new=expected_new - committed)
    assert pipeline_state(db, ("documents",)) == expected


@pytest.fixture(scope="module")
def documents_db(tmp_path_factory) -> Path:
    """A database of the generated dump's 2,850 comments and 150 posts, not yet classified."""
    folder = tmp_path_factory.mktemp("crash-docs")
    dump = write_dump(folder / "dump.ndjson")
    db = folder / "documents.duckdb"
    with connect(db, publish=False) as con:
        importer = DumpImporter(con, AUTHOR_KEY, DumpFilters())
        importer.import_lines(dump.read_bytes().splitlines())
    return db


@pytest.mark.slow
def test_classify_killed_mid_run_then_rerun_equals_an_uninterrupted_run(tmp_path, documents_db, monkeypatch):
    monkeypatch.setenv("SENTIMENT_BATCH_SIZE", str(CLASSIFY_BATCH))
    clean, db = tmp_path / "clean.duckdb", tmp_path / "crashed.duckdb"
    shutil.copyfile(documents_db, clean)
    shutil.copyfile(documents_db, db)
    classifier = load_classifier("baseline")
    with connect(clean) as con:
        total = classify_pending(con, classifier, batch_size=CLASSIFY_BATCH).n_classified
    expected = pipeline_state(clean)
    with connect(db) as con:  # publish the read copy as it was before the crash
        n_documents = con.execute("SELECT count(*) FROM documents").fetchone()[0]

    env = _child_env(SENTIMENT_DB=str(db))
    args = _sentiment("classify", "--model", "baseline")
    pid, logged = kill_after_first_commit(args, env, "classify: committed batch")
    # the copy published before the crash is whole and still says what it said
    with duckdb.connect(str(snapshot_path(db)), read_only=True) as old_copy:
        assert old_copy.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM stances)"
                                ).fetchone() == (n_documents, 0)
    committed = check_after_kill(db, "classify", pid, "stances")
    assert CLASSIFY_BATCH <= logged <= committed <= logged + CLASSIFY_BATCH
    assert committed < total and committed % CLASSIFY_BATCH == 0  # whole batches only

    run_to_completion(args, env)
    check_runs_after_rerun(db, "classify", pid, n_new=total - committed)
    state = pipeline_state(db)
    assert state["stances"] == expected["stances"]  # same labels and probabilities, to the bit
    assert differences(state, expected) == []
    with connect(db) as con:  # no gaps: nothing left to classify
        assert count_pending(con, classifier.model_version) == 0


def test_runs_of_live_processes_and_other_hosts_are_not_abandoned(db_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    zombie = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        os.kill(zombie.pid, signal.SIGKILL)  # killed and not yet reaped: a zombie, but gone
        deadline = time.monotonic() + 10
        while process_alive(zombie.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        with connect(db_path) as con:
            own = start_run(con, "classify")  # this process: alive
            rows = {"live": sleeper.pid, "zombie": zombie.pid, "gone": gone.pid}
            for name, pid in rows.items():
                con.execute("INSERT INTO runs (run_id, step, started_at, status, notes) "
                            "VALUES (?, 'ingest', now(), 'running', ?)",
                            [name, json.dumps({"pid": pid, "host": os.uname().nodename})])
            con.execute("INSERT INTO runs (run_id, step, started_at, status, notes) VALUES "
                        "('elsewhere', 'ingest', now(), 'running', ?), ('legacy', 'ingest', now(), 'running', NULL)",
                        [json.dumps({"pid": gone.pid, "host": "another-host"})])
            assert sorted(abandon_dead_runs(con)) == ["gone", "zombie"]
            status = dict(con.execute("SELECT run_id, status FROM runs").fetchall())
        assert status == {own.run_id: "running", "live": "running", "zombie": "abandoned",
                          "gone": "abandoned", "elsewhere": "running", "legacy": "running"}
    finally:
        sleeper.kill()
        sleeper.wait()
        zombie.wait()


def test_a_copy_left_half_written_by_a_killed_publisher_is_removed(db_path):
    with connect(db_path):
        pass
    leftover = snapshot_path(db_path).with_name(f".{snapshot_path(db_path).name}.999999.tmp")
    leftover.write_bytes(b"half a database")
    with connect(db_path) as con:
        con.execute("INSERT INTO meta VALUES ('k', 'v')")
    assert not leftover.exists()
    with connect(db_path, read_only=True) as reader:
        assert reader.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v",)
