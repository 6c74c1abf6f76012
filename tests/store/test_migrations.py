import duckdb

from sentiment.store import connect, schema_version
from sentiment.store import db as store_db

PUBLIC = {"documents", "stances", "events", "runs", "event_shift", "event_effects", "adjusted_shares",
          "stance_day_counts", "thread_stance_counts",
          "spikes", "event_quotes"}
VIEWS = {"stance_daily", "event_windows", "event_windows_by_source", "classified_documents",
         "stance_trend_daily", "stance_trend_weekly", "event_quotes_text"}


def _names(con, kind):
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = ?", [kind]).fetchall()}


def test_empty_file_gets_the_whole_schema(db_path):
    with connect(db_path) as con:
        assert schema_version(con) == store_db.latest_version()
        assert PUBLIC <= _names(con, "BASE TABLE")
        assert VIEWS <= _names(con, "VIEW")
        cols = [r[0] for r in con.execute("DESCRIBE documents").fetchall()]
        assert cols[:12] == ["doc_id", "source", "kind", "external_id", "thread_id", "parent_id",
                             "created_at", "author_hash", "title", "text", "url", "fetched_at"]


def test_reopening_an_existing_file_keeps_data_and_applies_nothing(db_path):
    with connect(db_path) as con:
        con.execute("INSERT INTO events VALUES ('e1', 'Event', DATE '2026-03-03', 'd', ['k'])")
    with duckdb.connect(str(db_path)) as raw:
        assert store_db.migrate(raw) == []
    with connect(db_path) as con:
        # migration numbers are reserved per work stream, so the sequence can have gaps
        assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(store_db.migrations())
        assert schema_version(con) == store_db.latest_version()
        assert con.execute("SELECT name FROM events").fetchall() == [("Event",)]


def test_a_new_migration_is_applied_to_an_existing_file(db_path, monkeypatch):
    with connect(db_path) as con:
        con.execute("INSERT INTO events VALUES ('e1', 'Event', DATE '2026-03-03', 'd', ['k'])")
    original = store_db.migrations()
    extra = (original[-1][0] + 1, "999_add_column.sql", "ALTER TABLE events ADD COLUMN region VARCHAR;")
    monkeypatch.setattr(store_db, "migrations", lambda: [*original, extra])
    with connect(db_path) as con:
        assert schema_version(con) == extra[0]
        assert con.execute("SELECT event_id, region FROM events").fetchall() == [("e1", None)]


def test_a_failing_migration_rolls_back_and_leaves_the_version(db_path, monkeypatch):
    with connect(db_path):
        pass
    original = store_db.migrations()
    broken = (original[-1][0] + 1, "999_broken.sql", "ALTER TABLE events ADD COLUMN x INT; SELECT nope;")
    monkeypatch.setattr(store_db, "migrations", lambda: [*original, broken])
    try:
        connect(db_path)
    except duckdb.Error:
        pass
    else:  # pragma: no cover - the migration must fail
        raise AssertionError("broken migration did not fail")
    monkeypatch.setattr(store_db, "migrations", lambda: original)
    with connect(db_path) as con:
        assert schema_version(con) == original[-1][0]
        assert "x" not in [r[0] for r in con.execute("DESCRIBE events").fetchall()]


def test_read_only_open_of_a_missing_file_says_what_to_do(tmp_path):
    import pytest

    with pytest.raises(FileNotFoundError, match="sentiment demo"):
        connect(tmp_path / "missing.duckdb", read_only=True)


def test_two_threads_opening_a_new_file_at_once_migrate_it_once(tmp_path):
    """A flow's collect tasks run on threads and share the process's writer lock: both opening a
    database that does not exist yet must not collide in DuckDB's catalog (write-write conflict)."""
    import threading

    for attempt in range(5):
        db = tmp_path / f"new{attempt}.duckdb"
        barrier, errors = threading.Barrier(2), []

        def open_it():
            barrier.wait()
            try:
                with connect(db) as con:
                    con.execute("SELECT count(*) FROM documents").fetchone()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert errors == []
        with connect(db) as con:
            assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(store_db.migrations())
