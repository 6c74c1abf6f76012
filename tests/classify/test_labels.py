"""The labelling loop: least certain first, keys to labels, export and import round-trip."""

import json

from typer.testing import CliRunner

from sentiment.classify import labels as user_labels
from sentiment.cli import app
from sentiment.classify.lifecycle import user_examples
from sentiment.store import connect
from tests.conftest import SEEDS


def _demo_db(db_path):
    result = CliRunner().invoke(app, ["--db", str(db_path), "demo", "--seeds", str(SEEDS)])
    assert result.exit_code == 0, result.output


def test_label_mixes_least_certain_and_random_and_stores_keys(tmp_path):
    db = tmp_path / "l.duckdb"
    _demo_db(db)
    with connect(db) as con:
        unsure = [r[0] for r in con.execute(
            "SELECT doc_id FROM classified_documents WHERE length(trim(text)) > 0 "
            "AND doc_id NOT IN (SELECT id FROM labels) "  # the demo's audit is labelled already
            "ORDER BY confidence, doc_id LIMIT 4").fetchall()]
        queue = user_labels.labelling_queue(con, 4, seed=7)
        assert queue == user_labels.labelling_queue(con, 4, seed=7)  # seeded
        assert [i.why for i in queue] == ["least sure", "random", "least sure", "random"]
        assert [i.doc_id for i in queue if i.why == "least sure"] == unsure[:2]
        assert len({i.doc_id for i in queue}) == 4
        others = {i.doc_id for i in user_labels.labelling_queue(con, 4, seed=8) if i.why == "random"}
        assert others != {i.doc_id for i in queue if i.why == "random"}
    result = CliRunner().invoke(app, ["--db", str(db), "label", "--limit", "4", "--seed", "7"],
                                input="c\nk\np\nq\n")
    assert result.exit_code == 0, result.output
    assert "2 the model is least sure of and 2 drawn at random" in result.output
    assert "labelled 2 comments this session, 2 in all" in result.output
    with connect(db) as con:
        stored = dict(con.execute("SELECT id, label FROM labels WHERE purpose = 'train'").fetchall())
        assert stored == {queue[0].doc_id: "concern", queue[2].doc_id: "support"}
        assert {e.label for e in user_examples(con)} == {"concern", "support"}
    # A second session skips what is labelled.
    again = CliRunner().invoke(app, ["--db", str(db), "label", "--limit", "1"], input="q\n")
    assert queue[0].doc_id not in again.output and unsure[2] in again.output


def test_random_half_of_the_queue_is_uniform(tmp_path):
    """Over many seeds every unlabelled comment is drawn about equally often, whatever its confidence."""
    db = tmp_path / "u.duckdb"
    _demo_db(db)
    with connect(db) as con:
        pool = con.execute("SELECT count(*) FROM classified_documents WHERE length(trim(text)) > 0 "
                           "AND doc_id NOT IN (SELECT id FROM labels)").fetchone()[0]
        counts = {}
        for seed in range(300):
            for item in user_labels.uniform_sample(con, 5, seed):
                counts[item.doc_id] = counts.get(item.doc_id, 0) + 1
    expected = 300 * 5 / pool
    assert len(counts) > 0.9 * pool
    assert max(counts.values()) < 3 * expected + 5


def test_labels_export_and_import_round_trip(tmp_path):
    db, other = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    _demo_db(db)
    CliRunner().invoke(app, ["--db", str(db), "label", "--limit", "3"], input="s\nn\np\n")
    out = tmp_path / "labels.jsonl"
    with connect(db) as con:
        n_audit = con.execute("SELECT count(*) FROM labels WHERE purpose = 'audit'").fetchone()[0]
    assert n_audit > 0  # the demo's audit
    result = CliRunner().invoke(app, ["--db", str(db), "label", "--export", str(out)])
    assert f"exported {3 + n_audit} labels" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert all(r["text"] and r["label"] for r in rows)
    train = [r for r in rows if r["purpose"] == "train"]
    assert len(train) == 3 and all(r["source"] == "user" for r in train)
    assert all(r["audit_id"].startswith("audit-") for r in rows if r["purpose"] == "audit")
    first = CliRunner().invoke(app, ["--db", str(other), "label", "--import", str(out)])
    assert f"imported {3 + n_audit} new and 0 changed" in first.output
    second = CliRunner().invoke(app, ["--db", str(other), "label", "--import", str(out)])
    assert "imported 0 new and 0 changed" in second.output
    with connect(other) as con:
        assert con.execute("SELECT purpose, count(*) FROM labels GROUP BY ALL ORDER BY 1").fetchall() == [
            ("audit", n_audit), ("train", 3)]
        assert len(user_examples(con)) == 3  # audit labels never train a model


def test_a_bad_import_file_stores_nothing(tmp_path):
    db = tmp_path / "c.duckdb"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "fine", "label": "support"}\n{"id": "2", "text": "x", "label": "meh"}\n',
                   encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", str(db), "label", "--import", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:2" in result.output
    with connect(db) as con:
        assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 0
