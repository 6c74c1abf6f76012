"""Every saved query in dashboards/queries runs on a database the demo filled."""

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sentiment.cli import app
from sentiment.settings import get_settings
from tests.conftest import ROOT

QUERIES = sorted((ROOT / "dashboards" / "queries").glob("*.sql"))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("queries")
    db = folder / "demo.duckdb"
    with pytest.MonkeyPatch.context() as mp:  # module scope: the per-test settings fixture is not active yet
        mp.setenv("SENTIMENT_BRIEFS_DIR", str(folder / "briefs"))
        mp.setenv("SENTIMENT_AUTHOR_KEY", "queries-key")
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["--db", str(db), "demo"], catch_exceptions=False)
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.slow
@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_saved_query_runs(demo_db, query):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        rows = con.execute(query.read_text(encoding="utf-8")).fetchall()
    assert rows, f"{query.name} returned nothing on the demo data"


def test_there_are_saved_queries():
    assert len(QUERIES) >= 3
