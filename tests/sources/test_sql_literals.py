"""Collector filters that reach SQL are values, never SQL: an injection string, quotes, and LIKE's
``%`` and ``_`` given as ``--subreddit``, ``--keyword`` or ``--query`` match themselves literally
(or nothing), and every table is intact afterwards."""

from __future__ import annotations

import json

import duckdb
from typer.testing import CliRunner

from sentiment.cli import app
from sentiment.collect import run_source
from sentiment.settings import Settings
from tests.fakes.reddit import FakeComment, FakeThread

INJECTION = "'; drop table documents; --"
QUOTES = '" OR 1=1 --'
T = 1772535600


def _line(i: int, body: str, subreddit: str = "LocalLLaMA") -> str:
    return json.dumps({"id": f"c{i}", "link_id": "t3_p", "parent_id": "t3_p", "author": f"u{i}",
                       "created_utc": T + i, "body": body, "subreddit": subreddit})


def test_dump_filters_are_literal_values(tmp_path):
    dump = tmp_path / "RC.ndjson"
    dump.write_text("\n".join([
        _line(0, "plain comment one"),
        _line(1, "half of users, 50% of them, agree"),
        _line(2, "a snake_case identifier"),
        _line(3, f"someone typed {INJECTION} here"),
        _line(4, f"and {QUOTES} there"),
        _line(5, "a comment in a hostile subreddit", subreddit=INJECTION),
    ]) + "\n", encoding="utf-8")
    db = tmp_path / "d.duckdb"
    runner = CliRunner()

    def collect(*options: str) -> set[str]:
        result = runner.invoke(app, ["--db", str(db), "collect", "dump", str(dump), *options],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        with duckdb.connect(str(db), read_only=True) as con:
            return {r[0] for r in con.execute("SELECT external_id FROM documents").fetchall()}

    assert collect("--keyword", "%") == {"t1_c1"}  # '%' is a character, not a wildcard
    assert collect("--keyword", "_") == {"t1_c1", "t1_c2"}  # '_' likewise
    assert collect("--keyword", INJECTION) == {"t1_c1", "t1_c2", "t1_c3"}
    assert collect("--keyword", QUOTES) == {"t1_c1", "t1_c2", "t1_c3", "t1_c4"}
    assert collect("--subreddit", QUOTES) == {"t1_c1", "t1_c2", "t1_c3", "t1_c4"}  # matches nothing
    assert collect("--subreddit", INJECTION) == {"t1_c1", "t1_c2", "t1_c3", "t1_c4", "t1_c5"}  # itself
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 5
        notes = [json.loads(r[0]) for r in con.execute("SELECT notes FROM runs ORDER BY started_at").fetchall()]
    assert notes[-1]["params"]["subreddits"] == [INJECTION]  # recorded as given


def test_reddit_query_and_subreddit_are_literal_watermark_keys(con, reddit):
    thread = FakeThread("abc", "LocalLLaMA", f"Title with {INJECTION} in it", T,
                        comments=[FakeComment("abc1", "a reply", "bob", T + 1)])
    reddit.add(thread)
    report = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": INJECTION}, settings=Settings())
    assert report.new == 2
    assert con.execute("SELECT scope FROM collect_watermarks").fetchall() == [(f"r/localllama?q={INJECTION}",)]
    again = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": INJECTION}, settings=Settings())
    assert again.fetched == 0 and reddit.requests_to("/comments/abc") == 1  # the literal key matched
    for sub in (INJECTION, QUOTES, "%", "_"):
        odd = run_source(con, "reddit", {"subreddit": sub, "query": "%"}, settings=Settings())
        assert odd.new == 0
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM collect_watermarks").fetchone()[0] == 1
