"""DuckDB storage: schema migrations, bulk idempotent upserts, run records, public views."""

from sentiment.store.db import configured_timeout, connect, migrate, schema_version
from sentiment.store.lock import DatabaseBusy
from sentiment.store.snapshot import snapshot_path
from sentiment.store.runs import RunStats, track_run
from sentiment.store.writes import upsert_documents, upsert_events, upsert_stances

__all__ = [
    "configured_timeout",
    "connect",
    "DatabaseBusy",
    "snapshot_path",
    "migrate",
    "schema_version",
    "RunStats",
    "track_run",
    "upsert_documents",
    "upsert_events",
    "upsert_stances",
]
