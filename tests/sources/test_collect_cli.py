"""``sentiment collect ...`` end to end: options reach run_source, a summary is printed, errors are clear."""

from __future__ import annotations

import json

import duckdb
from typer.testing import CliRunner

from sentiment.cli import app
from sentiment.cli.collect import collect_app
from tests.conftest import ROOT, SEED_000, SEEDS, run_counts
from tests.sources.test_reddit_live import BASE, _thread

runner = CliRunner()


def _invoke(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_every_collect_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [c.name or c.callback.__name__ for c in collect_app.registered_commands]
    assert sorted(names) == ["dump", "feeds", "files", "hn", "pages", "reddit"]
    assert all(f"`sentiment collect {name}" in readme for name in names)


def test_collect_files_prints_a_summary_and_records_a_run(tmp_path):
    db = tmp_path / "c.duckdb"
    result = _invoke("--db", str(db), "collect", "files", str(SEED_000))
    assert result.exit_code == 0, result.output
    assert "collect files: 6 documents fetched → 6 new, 0 updated, 0 unchanged" in result.output
    with duckdb.connect(str(db), read_only=True) as con:
        step, status, n_new, notes = con.execute("SELECT step, status, n_new, notes FROM runs").fetchone()
    assert (step, status, n_new) == ("collect:files", "ok", 6) and json.loads(notes)["unchanged"] == 0


def test_collect_dump_with_filters(tmp_path):
    dump = tmp_path / "RC.ndjson"
    dump.write_text("\n".join(json.dumps({
        "id": f"c{i}", "link_id": "t3_p", "parent_id": "t3_p", "author": f"u{i}", "created_utc": 1772535600 + i,
        "body": f"comment number {i}", "subreddit": "LocalLLaMA" if i % 2 else "other"}) for i in range(10))
        + "\n{broken\n", encoding="utf-8")
    result = _invoke("--db", str(tmp_path / "d.duckdb"), "collect", "dump", str(dump), "--subreddit", "localllama",
                     "--since", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert "5 new" in result.output and "skipped 5: outside the subreddit filter" in result.output
    assert "skipped 1: malformed line" in result.output
    again = _invoke("--db", str(tmp_path / "d.duckdb"), "collect", "dump", str(dump), "--subreddit", "localllama",
                    "--since", "2026-03-01")
    assert again.exit_code == 0, again.output
    with duckdb.connect(str(tmp_path / "d.duckdb"), read_only=True) as con:
        # every line read lands in one count: 5 new (then unchanged), 5 filtered out, 1 malformed
        assert run_counts(con, "collect:dump") == [(11, 5, 0, 0, 6), (11, 0, 0, 5, 6)]


def test_collect_reddit_through_praw_and_bad_options(tmp_path, reddit, monkeypatch):
    reddit.add(_thread("abc", BASE))
    db = str(tmp_path / "r.duckdb")
    result = _invoke("--db", db, "collect", "reddit", "--subreddit", "LocalLLaMA", "--query", "qwen")
    assert result.exit_code == 0, result.output
    assert "collect reddit: 13 documents fetched → 13 new" in result.output
    assert "fake-client-secret" not in result.output
    bad = _invoke("--db", db, "collect", "reddit", "--subreddit", "x", "--since", "March")
    assert bad.exit_code == 2 and "2026-03-01" in bad.output
    assert _invoke("--db", db, "collect", "reddit").exit_code == 2
    monkeypatch.setenv("SENTIMENT_REDDIT_SITE", "missing-site")
    from sentiment.settings import get_settings

    get_settings.cache_clear()
    missing = _invoke("--db", db, "collect", "reddit", "--subreddit", "x")
    assert missing.exit_code == 2 and "praw.ini site [missing-site]" in missing.output


def test_run_counts_add_up_and_events_are_counted_on_their_own(tmp_path):
    """new + updated + unchanged + skipped = what was read, for ingest and collect files alike,
    first run and re-run: an unreadable file is read and skipped beside the documents (the run is
    partial, exit 3; a missing path is refused before the run, see tests/test_cli.py); events files
    land in the notes, not in the document counts."""
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    for command, step in ((["ingest"], "ingest"), (["collect", "files"], "collect:files")):
        db = tmp_path / f"{command[-1]}.duckdb"
        for _ in range(2):
            result = _invoke("--db", str(db), *command, str(SEEDS), str(bad))
            assert result.exit_code == 3, result.output
        with duckdb.connect(str(db), read_only=True) as con:
            first, again = run_counts(con, step)
            notes = [json.loads(n) for n, in con.execute("SELECT notes FROM runs ORDER BY started_at").fetchall()]
        n_in, new, _, _, skipped = first
        assert new == n_in - skipped > 500 and skipped >= 1  # every document new; the bad file skipped
        assert again == (n_in, 0, 0, new, skipped)  # the same documents unchanged, the same skips
        events = [n["events"] for n in notes]
        assert events[0]["in"] == events[0]["new"] > 0 and events[1] == {"in": events[0]["in"], "new": 0, "updated": 0}
