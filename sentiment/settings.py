"""The one place where configuration lives.

Every value can be overridden by an environment variable ``SENTIMENT_<NAME>`` (for example
``SENTIMENT_DB=/srv/stance.duckdb``) or, for the database path, by the CLI's global ``--db``.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field
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

    author_key: str | None = Field(default=None, repr=False)
    """The author-hash secret itself (overrides ``author_key_file`` when set); left out of the
    settings' repr, so printing or logging the settings never shows it."""

    classifier: str = "ensemble"
    """Which classifier ``sentiment classify``, ``classify-file``, ``eval`` and the flows use:
    ``ensemble`` (the mean of both presets' probabilities: the best on real comments),
    ``accurate`` (fine-tuned all-mpnet-base-v2), ``fast`` (fine-tuned all-MiniLM-L6-v2) or
    ``baseline`` (rules)."""

    demo_classifier: str = "fast"
    """The classifier ``sentiment demo`` uses: ``fast`` trains in minutes on first use."""

    models_dir: Path = Path("models")
    """Trained models (``<preset>/``) and the unpacked base encoders (``base/``)."""

    threads: int = 2
    """CPU threads for training and inference (torch and ONNX Runtime)."""

    infer_backend: str = "onnx"
    """``onnx`` (int8, the fast default) or ``torch`` (fp32, the reference)."""

    infer_batch_size: int = 32
    """Texts per forward pass, grouped by length."""

    batch_size: int = 256
    """Documents per classification batch (one transaction per batch): a crash loses at most this many."""

    classify_task_batches: int = 20
    """Batches per task in the classify flow: one Prefect task costs tens of milliseconds of
    orchestration, so a task classifies this many batches (each still stored in its own
    transaction). Lower it to spread a small run over more Dask workers."""

    min_window_n: int = 20
    """Windows with fewer classified documents are flagged as too small to read."""

    spike_baseline_days: int = 14
    """Spikes: the rolling baseline is this many days before the day judged."""

    spike_z: float = 3.0
    """Spikes: a day is a spike when its volume, or its concern or skepticism share, is at least
    this many standard errors from the baseline (volume: upward only)."""

    spike_min_n: int = 10
    """Spikes: days (and baselines) with fewer documents are not judged."""

    bootstrap_draws: int = 200
    """Bootstrap draws for the intervals of probability-weighted shares and their changes."""

    quotes_per_label: int = 3
    """Representative quotes per stance (per event window, and per week in the brief)."""

    dashboard_db: Path | None = None
    """Database the dashboard reads. Unset: the published read copy of ``db`` (``*.read.duckdb``).
    Set to a published copy, it opens that file read-only as it is (no lock, no publishing);
    a busy or missing file is a one-line error within ``reader_wait`` seconds."""

    # --- collectors (sentiment collect ...) ---
    reddit_site: str = "sentiment"
    """The ``praw.ini`` site (section) holding Reddit credentials and endpoints. Credentials are
    read by praw itself (praw.ini or ``praw_*`` environment variables), never by this program."""

    reddit_listing_limit: int = 1000
    """Most submissions read from one listing when ``--limit`` is not given (Reddit stops near 1,000)."""

    collect_retries: int = 4
    """How often a fetch is retried after a rate limit (429), server error or timeout before the
    item is recorded as failed (and retried by the next run)."""

    backoff_seconds: float = 2.0
    """First back-off pause; doubled on each retry. A Retry-After header, when sent, wins."""

    backoff_max_seconds: float = 120.0
    """Longest back-off pause of our own (a server's Retry-After is obeyed as sent)."""

    retry_spacing_seconds: float = 600.0
    """Pages and feeds: how long after a failure its item is first tried again by a later run;
    doubled with each failed attempt (10 min, 20 min, 40 min ...), up to ``retry_spacing_max_seconds``.
    An item asked for by name is fetched whatever its schedule."""

    retry_spacing_max_seconds: float = 86_400.0
    """Pages and feeds: the longest spacing between two attempts at a failed item (a day)."""

    retry_give_up_after: int = 4
    """Pages and feeds: attempts after which a permanent failure (HTTP 404, 410 and other 4xx, an
    empty page, a body that is not a feed) is given up: no run retries it again unless asked for it
    by name or with ``--retry-given-up``; ``sentiment doctor`` lists it."""

    retry_budget_seconds: float = 20.0
    """Pages and feeds: the most time one run spends retrying earlier failures it was not asked for
    (each gets one attempt, its timeout cut to what is left); the rest wait for the next run."""

    http_timeout: float = 20.0
    """Seconds before an HTTP request (HN, feeds, pages) is abandoned and retried."""

    http_user_agent: str = "community-stance/0.1 (+https://github.com/; research collector)"
    """User-Agent sent to Hacker News, feeds and pages."""

    page_max_bytes: int = 5_000_000
    """Largest page (``collect pages``/``feeds``) or HTML/text file (``ingest``) read as an article,
    in bytes; a bigger one is skipped with its size (extraction time grows with it, and such pages
    are archives or dumps, not articles)."""

    page_workers: int = 2
    """Processes that extract pages while ``collect pages``/``feeds`` fetch and store others (used
    when a run reads at least eight pages; 0 extracts in the collecting process)."""

    hn_api_url: str = "https://hn.algolia.com/api/v1"
    """Base URL of the Algolia Hacker News API."""

    hn_hits_per_page: int = 100
    """Stories per search page."""

    dump_batch_rows: int = 250_000
    """Dump lines per Arrow batch (one transaction each); memory stays flat at about this many lines.
    Above DuckDB's row-group size (122,880) new rows are written straight to the file, not the WAL."""

    lock_timeout: float = 900.0
    """Seconds a writer waits for the database's writer lock (another flow or command writing)
    before giving up with an error naming the lock file."""

    log_level: str = "WARNING"
    """Level of the command line's log on stderr. ``INFO`` adds a line per committed unit of work
    (ingested file, dump batch, classification batch), so a watcher can tell how far a run got."""

    flow_retries: int = 3
    """Prefect retries of a collect task that failed or left items uncollected (each retry runs the
    collector again, which retries the failed items first)."""

    flow_retry_delay_seconds: float = 10.0
    """First pause before a collect task's retry; doubled each time (10 s, 20 s, 40 s ± jitter)."""

    reader_wait: float = 5.0
    """Seconds a reader (dashboard, brief, ``connect(..., read_only=True)``) waits for a busy
    database before saying so in one line; readers never wait ``lock_timeout``."""

    sources: Path = Path("sentiment.toml")
    """The collect flow's sources: one table array per kind (see sentiment.toml)."""

    dask_address: str | None = None
    """Dask scheduler (``tcp://host:8786``) for the ``classify-dask`` flow; unset means a
    ``LocalCluster`` started for the run."""

    dask_workers: int = 2
    """Worker processes of that ``LocalCluster`` (and of ``sentiment classify --dask local``)."""

    dask_worker_threads: int = 0
    """Inference threads (``SENTIMENT_THREADS``) of each ``LocalCluster`` worker process; 0 shares
    this machine's cores out among the workers. Workers you start yourself read their own
    ``SENTIMENT_THREADS``."""

    dask_wait: float = 30.0
    """Seconds to wait for a Dask scheduler to answer and for a first worker to join it before a
    one-line error."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (environment read once). Only the entry points (the CLI, the
    flows' ``flows.common``, the dashboard app) call it; library functions take what they need
    as arguments."""
    return Settings()


def built_in(name: str) -> Any:
    """The built-in default of setting ``name``, without reading the environment: the default a
    library function uses when its caller gives no value (entry points pass the configured one)."""
    return Settings.model_fields[name].default


def load_author_key(settings: Settings) -> bytes:
    """The author-hash secret: from the environment, else a key file created on first use.

    The key never enters the database, so a copied DB file does not reveal who wrote what. A new
    key file is readable by its owner only from the moment it exists (mode 0600, written under a
    temporary name and linked into place, so a process starting at the same time never reads a
    half-written key, and an existing key is never replaced).
    """
    if settings.author_key:
        return settings.author_key.encode("utf-8")
    path = settings.author_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets.token_hex(32))
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made the key first: use theirs
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ValueError(f"the author key file {path} is empty; restore it (hashes made with another key "
                         "cannot be matched) or remove it to start a new one")
    return key.encode("utf-8")
