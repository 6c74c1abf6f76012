"""Every saved query in dashboards/queries runs on a database the demo filled."""

import duckdb
import pytest

from tests.conftest import ROOT

QUERIES = sorted((ROOT / "dashboards" / "queries").glob("*.sql"))


@pytest.mark.slow
@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_saved_query_runs(demo_db, query):
    """Each file is run whole, as `duckdb data/sentiment.duckdb < file` would (the duckdb CLI on
    PyPI lags the library's storage version, so the library runs the script)."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        rows = con.execute(query.read_text(encoding="utf-8")).fetchall()
    assert rows, f"{query.name} returned nothing on the demo data"


def test_there_are_saved_queries():
    names = {q.name for q in QUERIES}
    assert {"event_effects.sql", "corrected_shares.sql", "spikes.sql", "quotes.sql", "daily_trend.sql",
            "weekly_mix.sql"} <= names
    for query in QUERIES:  # each says what question it answers
        assert query.read_text(encoding="utf-8").startswith("-- "), query.name
