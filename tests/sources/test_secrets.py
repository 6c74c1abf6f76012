"""No credential reaches logs, printed output, exceptions or the database.

Reddit credentials live where praw reads them (a ``praw.ini`` site, ``praw_*`` environment
variables); a fake OAuth Reddit on loopback checks them for real. Every run — a good one, a 401 from
the token endpoint, rate limits and server errors, broken configurations — is then searched for
each secret: stdout and stderr of ``sentiment collect reddit``, every log record (DEBUG included),
exception messages and tracebacks, every column of every table, and the raw bytes of the database
files. URLs carrying credentials (userinfo, ``?token=``) are redacted wherever a run records them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path

import duckdb
import pytest

from sentiment.collect import run_source
from sentiment.sources.reddit_live import RedditConfigError
from sentiment.settings import Settings
from tests.conftest import ROOT
from tests.fakes.reddit import FakeComment, FakeReddit, FakeThread
from tests.fakes.web import FakeNewsSite

BASE = 1772535600.0
PRAW_INI = {"client_id": "S3CRET-ID-4f1c9a", "client_secret": "S3CRET-CS-9b7e22d1",
            "username": "S3CRET-USER-c0ffee", "password": "S3CRET-PW-d00dfeed"}
PRAW_ENV = {"client_id": "S3CRET-ENVID-77aa", "client_secret": "S3CRET-ENVCS-5e5e5e",
            "username": "S3CRET-ENVUSER-1234", "password": "S3CRET-ENVPW-8888"}
TOKENS = {"ini": "S3CRET-TOKEN-ini-31337", "env": "S3CRET-TOKEN-env-31337"}
WRONG_SECRET = "S3CRET-WRONG-0badf00d"


def _thread(pid: str = "abc") -> FakeThread:
    comments = [FakeComment(f"{pid}{i}", f"comment {i} about qwen", f"user{i}", BASE + i) for i in range(5)]
    return FakeThread(pid, "LocalLLaMA", "Qwen tech lead steps down", BASE, selftext="What now?", comments=comments)


def _site(name: str, server_url: str, **values: str) -> str:
    lines = [f"[{name}]", *(f"{k}={v}" for k, v in values.items()),
             "user_agent=community-stance secrets test", f"oauth_url={server_url}", f"reddit_url={server_url}",
             "timeout=5"]
    return "\n".join(lines) + "\n"


def _everything_in(db: Path) -> str:
    """Every column of every table, as text, plus the raw bytes of the database files."""
    parts = []
    for path in (db, db.with_name(f"{db.stem}.read.duckdb"), db.with_name(db.name + ".wal")):
        if path.exists():
            parts.append(path.read_bytes().decode("latin-1"))
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
        for table in tables:
            parts.append(repr(con.execute(f'SELECT * FROM "{table}"').fetchall()))
    return "\n".join(parts)


def _assert_clean(text: str, secrets) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"secrets leaked: {leaked}"


@pytest.fixture
def cli_reddit(tmp_path):
    """A fake Reddit that knows the praw.ini credentials, and the environment of a CLI process
    whose praw finds a praw.ini (sites: good, wrong secret) in its XDG config folder."""
    with FakeReddit() as server:
        server.clients[PRAW_INI["client_id"]] = (PRAW_INI["client_secret"], TOKENS["ini"])
        server.add(_thread("abc"))
        server.add(_thread("def"))
        xdg = tmp_path / "xdg"
        xdg.mkdir()
        (xdg / "praw.ini").write_text(
            _site("good", server.url, **PRAW_INI)
            + _site("wrong", server.url, **{**PRAW_INI, "client_secret": WRONG_SECRET}), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.lower().startswith("praw_")}
        env.update(XDG_CONFIG_HOME=str(xdg), SENTIMENT_DB=str(tmp_path / "cli.duckdb"),
                   SENTIMENT_BACKOFF_SECONDS="0.01", SENTIMENT_COLLECT_RETRIES="1",
                   PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
        yield server, env, xdg


def _cli(env: dict, cwd: Path, site: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sentiment.cli", "collect", "reddit", *args],
                          env={**env, "SENTIMENT_REDDIT_SITE": site}, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_cli_runs_with_praw_ini_secrets_leak_nothing(cli_reddit, tmp_path):
    server, env, xdg = cli_reddit
    secrets = [*PRAW_INI.values(), TOKENS["ini"], WRONG_SECRET]
    outputs = []
    ok = _cli(env, tmp_path, "good", "--subreddit", "LocalLLaMA", "--query", "qwen")
    assert ok.returncode == 0, ok.stderr
    assert "12 new" in ok.stdout  # both threads: 2 posts + 10 comments
    outputs.append(ok)

    wrong = _cli(env, tmp_path, "wrong", "--thread", "abc")  # 401 from the token endpoint
    assert wrong.returncode == 1 and "401" in wrong.stdout  # nothing collected: failed
    outputs.append(wrong)

    server.fail("/r/LocalLLaMA/search", "429", times=10)
    server.fail("/comments/def", "429", times=10)
    server.fail("/api/morechildren", "503")  # prawcore retries a 5xx itself
    faults = _cli(env, tmp_path, "good", "--subreddit", "LocalLLaMA", "--query", "gpu", "--thread", "def")
    assert faults.returncode == 3 and "failed 2" in faults.stdout  # abc (retried) stored: partial
    outputs.append(faults)

    incomplete = _cli(env, tmp_path, "no-such-site", "--thread", "abc")
    assert incomplete.returncode == 2 and "no-such-site" in incomplete.stdout
    outputs.append(incomplete)

    # a praw.ini that cannot be parsed: configparser quotes the broken line, secret and all
    (xdg / "praw.ini").write_text(f"[good]\nclient_id={PRAW_INI['client_id']}\n"
                                  f"client_secret {PRAW_INI['client_secret']}\n", encoding="utf-8")
    broken = _cli(env, tmp_path, "good", "--thread", "abc")
    assert broken.returncode == 2 and "praw.ini" in broken.stdout
    outputs.append(broken)

    for done in outputs:
        _assert_clean(done.stdout + done.stderr, secrets)
    db = Path(env["SENTIMENT_DB"])
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT status, notes FROM runs ORDER BY started_at").fetchall()
        failures = con.execute("SELECT item, reason FROM collect_failures ORDER BY item").fetchall()
    assert [r[0] for r in runs] == ["ok", "failed", "partial", "failed", "failed"]
    assert "RedditConfigError" in runs[3][1] and "ParsingError" in runs[4][1]
    assert "401" in runs[1][1]  # abc failed then, and the next run's retry stored it
    assert [f[0] for f in failures] == ["def", "listing?query=gpu&subreddit=LocalLLaMA"]
    assert all("429" in reason for _, reason in failures)
    _assert_clean(_everything_in(db), secrets)


@pytest.fixture
def env_credentials(reddit, monkeypatch):
    """praw's own environment variables carry the credentials (they win over praw.ini)."""
    reddit.clients[PRAW_ENV["client_id"]] = (PRAW_ENV["client_secret"], TOKENS["env"])
    for key, value in PRAW_ENV.items():
        monkeypatch.setenv(f"praw_{key}", value)
    yield reddit
    reddit.clients.pop(PRAW_ENV["client_id"], None)


def test_in_process_runs_leak_nothing_to_logs_exceptions_or_tables(env_credentials, con, db_path, caplog,
                                                                    monkeypatch):
    reddit = env_credentials
    secrets = [*PRAW_ENV.values(), TOKENS["env"], WRONG_SECRET]
    reddit.add(_thread("abc"))
    reddit.add(_thread("def"))
    caplog.set_level(logging.DEBUG)  # prawcore and urllib3 log every request at DEBUG
    errors: list[str] = []

    report = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "query": "qwen"}, settings=Settings())
    assert report.new == 12 and report.failed == []
    assert reddit.requests_to("/api/v1/access_token") >= 1

    reddit.fail("/r/LocalLLaMA/new", "429", times=10)
    reddit.fail("/comments/abc", "503")  # prawcore retries a 5xx itself, then ours takes the 429s
    reddit.fail("/comments/abc", "429", times=10)
    report = run_source(con, "reddit", {"subreddit": "LocalLLaMA", "threads": ["abc"]}, settings=Settings())
    assert sorted(report.failed) == ["abc", "listing r/localllama?q="]
    errors += [*report.failed, *report.skipped]
    reddit.clear_faults()

    monkeypatch.setenv("praw_client_secret", WRONG_SECRET)  # the token endpoint answers 401
    report = run_source(con, "reddit", {"threads": ["def"]}, settings=Settings())
    assert report.failed == ["listing r/localllama?q=", "abc", "def"]  # the listing and abc: pending
    assert any("401" in r for r in report.skipped)
    errors += list(report.skipped)

    monkeypatch.setenv("SENTIMENT_REDDIT_SITE", "no-such-site")
    with pytest.raises(RedditConfigError) as info:
        run_source(con, "reddit", {"threads": ["def"]}, settings=Settings())
    errors.append("".join(traceback.format_exception(info.value)))

    log_text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "access_token" in log_text or "Fetching" in log_text  # the DEBUG records were captured
    _assert_clean(log_text + "\n".join(errors), secrets)
    con.execute("CHECKPOINT")
    rows = con.execute("SELECT step, status FROM runs ORDER BY started_at").fetchall()
    assert rows == [("collect:reddit", "ok")] + [("collect:reddit", "failed")] * 3
    text = "\n".join(repr(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in
                     ("runs", "collect_failures", "collect_watermarks", "documents", "meta"))
    _assert_clean(text + db_path.read_bytes().decode("latin-1"), secrets)


def test_the_sources_file_refuses_credentials(tmp_path):
    from sentiment.collect.config import SourcesError, load_sources

    path = tmp_path / "sentiment.toml"
    path.write_text('[[reddit]]\nname = "r"\nsubreddit = "x"\nclient_secret = "S3CRET-CS-9b7e22d1"\n',
                    encoding="utf-8")
    with pytest.raises(SourcesError, match="client_secret") as info:
        load_sources(path)
    assert "S3CRET" not in str(info.value)


@pytest.mark.parametrize("url, shown", [
    ("https://alice:hunter2@example.org/feed.xml", "https://***@example.org/feed.xml"),
    ("https://example.org/feed?token=S3CRET&lang=en", "https://example.org/feed?token=***&lang=en"),
    ("https://example.org/a?API_KEY=S3CRET#access_token=S3CRET2", "https://example.org/a?API_KEY=***#access_token=***"),
    ("https://example.org/page?monkey=1&passage=2", "https://example.org/page?monkey=1&passage=2"),
    ("abc", "abc"),
])
def test_redact_url(url, shown):
    from sentiment.redact import redact, redact_url

    assert redact_url(url) == shown
    assert redact(f"fetch of {url} failed") == f"fetch of {shown} failed"


def test_feed_and_page_urls_with_credentials_are_recorded_redacted(con, tmp_path, monkeypatch):
    monkeypatch.setenv("SENTIMENT_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("SENTIMENT_COLLECT_RETRIES", "1")
    secrets = ["hunter2", "S3CRET-FEEDTOKEN", "S3CRET-PAGETOKEN"]
    with FakeNewsSite() as web:
        web.build()
        page = f"{web.url}/news/alibaba-reply?token=S3CRET-PAGETOKEN"
        web.fail("/news/alibaba-reply", "503", times=10)
        feed = web.url.replace("http://", "http://reader:hunter2@") + "/missing.xml?access_token=S3CRET-FEEDTOKEN"
        pages = run_source(con, "pages", {"urls": [page]}, settings=Settings())
        feeds = run_source(con, "feeds", {"urls": [feed]}, settings=Settings())
        assert pages.failed == [f"{web.url}/news/alibaba-reply?token=***"]
        assert feeds.failed == [feed.replace("reader:hunter2", "***").replace("S3CRET-FEEDTOKEN", "***")]
        # the failed page is recorded masked; it is retried only when its URL is given again
        again = run_source(con, "pages", {"urls": []}, settings=Settings())
        assert any("held credentials" in r for r in again.skipped)
        assert con.execute("SELECT source, item FROM collect_failures ORDER BY source").fetchall() == [
            ("feeds", feeds.failed[0]), ("web", f"{web.url}/news/alibaba-reply?token=***")]
        web.clear_faults()
        retried = run_source(con, "pages", {"urls": [page]}, settings=Settings())
        assert retried.failed == [] and retried.new >= 1
    assert con.execute("SELECT source FROM collect_failures").fetchall() == [("feeds",)]  # never given again
    urls = [r[0] for r in con.execute("SELECT url FROM documents WHERE kind = 'article'").fetchall()]
    assert urls == [f"{web.url}/news/alibaba-reply"]  # the stored canonical URL has no token
    notes = [json.loads(r[0]) for r in con.execute("SELECT notes FROM runs").fetchall()]
    assert notes[0]["params"]["urls"] == [f"{web.url}/news/alibaba-reply?token=***"]
    text = "\n".join(repr(con.execute(f"SELECT * FROM {t}").fetchall()) for t in ("runs", "collect_failures",
                                                                                     "documents"))
    _assert_clean(text + repr(pages) + repr(feeds), secrets)
