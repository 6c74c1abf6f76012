"""Two whole pipeline runs started at once on one database, with readers open the whole time.

The writer lock makes the two ``sentiment demo`` processes take turns; the readers read the
published copy, so they never hold the file a writer needs. Everybody finishes, every reader
sees either the state before a run or after it (never half of one), and the final tables and
brief equal those of a single run on a fresh database.

The reference run is its own process with its own database file (and so its own lock), started
alongside: it is one uninterrupted run, and it uses the core the waiting writer leaves idle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from sentiment.store import connect, snapshot_path
from tests.conftest import ROOT
from tests.pipeline_state import differences, pipeline_state

# A reader process. "hold": one connection to the published copy, open from start to stop.
# "reopen": a fresh connection every half second, as a dashboard refresh would. Every 0.1 s it
# reads the counts and the dashboard's options; the first time it sees stances it also builds
# the brief from its copy. It prints "ready" after its first round, its observations at the end.
_READER = r"""
import json, sys, time
from pathlib import Path
from sentiment import dashboard
from sentiment.store import connect

db, stop, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
seen, rounds, briefed = set(), 0, False

def read(con):
    global rounds, briefed
    counts = con.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM stances), "
        "(SELECT count(*) FROM events), "
        "(SELECT count(*) FROM stances s ANTI JOIN documents d USING (doc_id))").fetchone()
    seen.add(counts)
    dashboard.options(con)
    if counts[1] and not briefed:
        from sentiment.brief import build_brief
        from sentiment.brief.weeks import week_name

        build_brief(con, week_name(con.execute("SELECT max(occurred_at) FROM events").fetchone()[0]))
        briefed = True
    rounds += 1

con = connect(db, read_only=True)
read(con)
print("ready", flush=True)
while not stop.exists():
    if mode == "reopen":
        con.close()
        con = connect(db, read_only=True)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline and not stop.exists():
        read(con)
        time.sleep(0.1)
con.close()
print(json.dumps({"seen": sorted(seen), "rounds": rounds, "briefed": briefed}))
"""


def _counts(db: Path) -> list[int]:
    with duckdb.connect(str(snapshot_path(db)), read_only=True) as con:
        return list(con.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM stances), "
                                "(SELECT count(*) FROM events), 0").fetchone())


def _demo(db: Path, briefs: Path) -> subprocess.Popen:
    env = {**os.environ, "SENTIMENT_DB": str(db), "SENTIMENT_BRIEFS_DIR": str(briefs)}
    return subprocess.Popen([sys.executable, "-m", "sentiment.cli", "demo"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_pipeline_runs_at_once_with_readers_open_equal_one_run(tmp_path):
    db, briefs, stop = tmp_path / "shared.duckdb", tmp_path / "briefs-shared", tmp_path / "stop"
    reference, reference_briefs = tmp_path / "reference.duckdb", tmp_path / "briefs-reference"
    with connect(db):  # an empty database (schema only) and its published copy, for the readers
        pass
    procs: list[subprocess.Popen] = []
    try:
        readers = []
        for mode in ("hold", "reopen"):
            with (tmp_path / f"reader-{mode}.err").open("w") as err:
                readers.append(subprocess.Popen([sys.executable, "-c", _READER, str(db), str(stop), mode],
                                                cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True))
            procs.append(readers[-1])
        for reader, mode in zip(readers, ("hold", "reopen")):
            assert reader.stdout.readline().strip() == "ready", (tmp_path / f"reader-{mode}.err").read_text()
        # two runs on the shared database at once; the single run on a fresh database of its own
        # (its own file and lock) goes alongside, on the core the waiting writer leaves idle
        demos = [_demo(db, briefs), _demo(db, briefs), _demo(reference, reference_briefs)]
        procs.extend(demos)
        outputs = [demo.communicate(timeout=240) for demo in demos]
        stop.touch()
        seen = [json.loads(reader.communicate(timeout=60)[0].splitlines()[-1]) for reader in readers]
    finally:
        stop.touch()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for demo, (out, err) in zip(demos, outputs):
        assert demo.returncode == 0, out + err
    assert [reader.returncode for reader in readers] == [0, 0]
    full = _counts(reference)

    # the lock serialised the runs: one stored everything, the other found nothing new
    shared = [out for out, _ in outputs[:2]]
    assert sorted(f"→ {full[0]} new" in out for out in shared) == [False, True]
    assert sorted("→ 0 new" in out for out in shared) == [False, True]
    # readers saw the empty database or a finished run, never a run in progress
    empty = [0, 0, 0, 0]
    hold, reopen = seen
    assert hold["seen"] == [empty] and hold["rounds"] > 10  # held open all along: its copy never changed
    assert reopen["seen"] == [empty, full] and reopen["briefed"]
    # and the end state is the single run's
    assert differences(pipeline_state(db), pipeline_state(reference)) == []
    (week,) = [p.stem for p in reference_briefs.glob("*.md")]
    for name in (f"{week}.md", f"{week}.html"):
        assert (briefs / name).read_bytes() == (reference_briefs / name).read_bytes()
    with connect(db) as con:
        runs = con.execute("SELECT step, status, n_new FROM runs ORDER BY started_at").fetchall()
    assert [(step, status) for step, status, _ in runs] == [
        ("ingest", "ok"), ("classify", "ok"), ("trends", "ok")] * 2
    assert [n_new for step, _, n_new in runs if step in ("ingest", "classify")][2:] == [0, 0]
