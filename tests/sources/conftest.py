"""Live-source fixtures: fake APIs on 127.0.0.1, reached through the clients' own configuration.

praw reads its sites from ``$XDG_CONFIG_HOME/praw.ini`` (once per process), so the fake Reddit
server is started once per session and a ``praw.ini`` pointing at it is written before praw is
first used; each test gets the server with fresh data, faults and request log.
"""

from __future__ import annotations

import os

import pytest

from tests.fakes.reddit import CLIENT_ID, CLIENT_SECRET, FakeReddit


@pytest.fixture(scope="session")
def _reddit_server(tmp_path_factory):
    config_home = tmp_path_factory.mktemp("xdg")
    with FakeReddit() as server:
        sites = []
        for name, timeout in (("sentiment-test", 10), ("sentiment-test-short-timeout", 1)):
            sites.append(
                f"[{name}]\nclient_id={CLIENT_ID}\nclient_secret={CLIENT_SECRET}\n"
                f"user_agent=community-stance tests\noauth_url={server.url}\nreddit_url={server.url}\n"
                f"timeout={timeout}\n")
        (config_home / "praw.ini").write_text("\n".join(sites), encoding="utf-8")
        old = os.environ.get("XDG_CONFIG_HOME")
        os.environ["XDG_CONFIG_HOME"] = str(config_home)
        try:
            yield server
        finally:
            if old is None:
                os.environ.pop("XDG_CONFIG_HOME", None)
            else:
                os.environ["XDG_CONFIG_HOME"] = old


@pytest.fixture
def fast_backoff(monkeypatch):
    """Tiny back-off pauses so fault tests stay fast (the policy is the real one)."""
    from sentiment.settings import get_settings

    monkeypatch.setenv("SENTIMENT_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("SENTIMENT_COLLECT_RETRIES", "3")
    monkeypatch.setenv("SENTIMENT_RETRY_SPACING_SECONDS", "0")  # pages and feeds: the next run is due
    get_settings.cache_clear()


@pytest.fixture
def reddit(_reddit_server, monkeypatch, fast_backoff):
    from sentiment.settings import get_settings

    _reddit_server.threads.clear()
    _reddit_server.clear_faults()
    _reddit_server.log.clear()
    monkeypatch.setenv("SENTIMENT_REDDIT_SITE", "sentiment-test")
    get_settings.cache_clear()
    return _reddit_server
