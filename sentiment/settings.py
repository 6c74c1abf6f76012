"""The one place where configuration lives.

Every value can be overridden by an environment variable ``SENTIMENT_<NAME>`` (for example
``SENTIMENT_DB=/srv/stance.duckdb``) or, for the database path, by the CLI's global ``--db``.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

LABELS: tuple[str, ...] = ("concern", "skepticism", "support", "neutral")
"""Stance labels, in the order of the probability columns (see STANCE_GUIDE)."""

COMMUNITY_KINDS: tuple[str, ...] = ("post", "comment", "quote")
"""Document kinds that carry a community voice and are classified; articles are context."""


class Settings(BaseSettings):
    """Runtime settings with ``SENTIMENT_*`` environment overrides."""

    model_config = SettingsConfigDict(env_prefix="SENTIMENT_", extra="ignore")

    db: Path = Path("data/sentiment.duckdb")
    """DuckDB file holding documents, stances, events, runs and the public views."""

    briefs_dir: Path = Path("briefs")
    """Where ``sentiment brief`` writes ``<week>.md`` and ``<week>.html``."""

    seeds_dir: Path = Path("seeds")
    """Bundled demo data: seed articles, events.yaml, sample threads."""

    author_key_file: Path = Path("data/author.key")
    """Secret for the keyed author hash. Kept outside the database so a shared DB file
    cannot be used to re-identify authors; created on first use."""

    author_key: str | None = None
    """The author-hash secret itself (overrides ``author_key_file`` when set)."""

    classifier: str = "baseline"
    """Which classifier ``sentiment classify`` uses by default."""

    batch_size: int = 256
    """Documents per classification batch (one transaction per batch)."""

    min_window_n: int = 20
    """Windows with fewer classified documents are flagged as too small to read."""

    lock_timeout: float = 900.0
    """Seconds a writer waits for the database's writer lock (another flow or command writing)
    before giving up with an error naming the lock file."""

    sources: Path = Path("sentiment.toml")
    """The collect flow's sources: one table array per kind (see sentiment.toml)."""

    dask_address: str | None = None
    """Dask scheduler (``tcp://host:8786``) for the classify flow's Dask runner; unset means a
    ``LocalCluster`` started for the run."""

    dask_workers: int = 2
    """Worker processes of that ``LocalCluster``."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (environment read once)."""
    return Settings()


def load_author_key(settings: Settings) -> bytes:
    """The author-hash secret: from the environment, else a key file created on first use.

    The key never enters the database, so a copied DB file does not reveal who wrote what.
    """
    if settings.author_key:
        return settings.author_key.encode("utf-8")
    path = settings.author_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip().encode("utf-8")
