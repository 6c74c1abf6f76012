"""Shared fixtures: a fresh database file per test, the bundled seeds, a fixed author key."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from sentiment.store import connect

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_000 = SEEDS / "000_df123552c6684693.txt"
AUTHOR_KEY = b"test-author-key"
MODELS = Path(os.environ.get("SENTIMENT_TEST_MODELS_DIR", ROOT / "models"))
"""Trained presets are shared by the whole run (and with the README's demo): training is
minutes, so it happens once; a fresh clone trains on first use, as a user's would."""


def free_port() -> int:
    """A loopback TCP port nothing listens on now, for a server a test starts in another process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_counts(con, step: str) -> list[tuple[int, int, int, int, int]]:
    """(in, new, updated, unchanged, skipped) of every ``runs`` row of ``step``, oldest first,
    each checked to add up (new + updated + unchanged + skipped = in; ``unchanged`` from the
    notes, 0 when absent) so a caller asserts the figures themselves."""
    rows = []
    for n_in, new, updated, skipped, notes in con.execute(
            "SELECT n_in, n_new, n_updated, n_skipped, notes FROM runs WHERE step = ? ORDER BY started_at",
            [step]).fetchall():
        unchanged = json.loads(notes).get("unchanged", 0)
        assert new + updated + unchanged + skipped == n_in, (step, n_in, new, updated, unchanged, skipped, notes)
        rows.append((n_in, new, updated, unchanged, skipped))
    return rows


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def con(db_path: Path):
    with connect(db_path) as connection:
        yield connection


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A database the demo filled (ingest, classify, trends, brief), shared read-only by tests."""
    from typer.testing import CliRunner

    from sentiment.cli import app
    from sentiment.settings import get_settings

    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.duckdb"
    with pytest.MonkeyPatch.context() as mp:  # session scope: the per-test settings fixture is not active yet
        mp.setenv("SENTIMENT_BRIEFS_DIR", str(folder / "briefs"))
        mp.setenv("SENTIMENT_AUTHOR_KEY", "demo-key")
        mp.setenv("SENTIMENT_SEEDS_DIR", str(SEEDS))
        mp.setenv("SENTIMENT_MODELS_DIR", str(MODELS))  # the shared trained presets
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["--db", str(db), "demo"], catch_exceptions=False)
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own paths and key; nothing touches the working tree's data/."""
    from sentiment.settings import get_settings

    monkeypatch.setenv("SENTIMENT_DB", str(tmp_path / "env.duckdb"))
    monkeypatch.setenv("SENTIMENT_BRIEFS_DIR", str(tmp_path / "briefs"))
    monkeypatch.setenv("SENTIMENT_AUTHOR_KEY", AUTHOR_KEY.decode())
    monkeypatch.setenv("SENTIMENT_SEEDS_DIR", str(SEEDS))
    monkeypatch.setenv("SENTIMENT_MODELS_DIR", str(MODELS))
    # Unit tests run on the rule baseline; tests marked slow use the trained models.
    monkeypatch.setenv("SENTIMENT_CLASSIFIER", "baseline")
    monkeypatch.setenv("SENTIMENT_DEMO_CLASSIFIER", "baseline")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def fast_model():
    """The trained ``fast`` preset (trained here on first use: the real model, not a stub)."""
    from sentiment.classify.lifecycle import load_preset
    from sentiment.settings import Settings

    return load_preset("fast", Settings(models_dir=MODELS))
