"""`sentiment label --audit N`: a recorded, seeded, uniform draw whose labels never train."""

from collections import Counter

from typer.testing import CliRunner

from sentiment.classify.audit import AuditFrameError, audit_state, draw_audit
from sentiment.classify.lifecycle import user_examples
from sentiment.cli import app
from sentiment.store import connect
from tests.classify.test_labels import _demo_db


def test_audit_draws_records_its_frame_and_labels_never_train(tmp_path):
    db = tmp_path / "a.duckdb"
    _demo_db(db)
    with connect(db) as con:
        before = audit_state(con).n_labelled  # the demo's own audit
        assert draw_audit(con, 5).resumed is False  # the demo's audit is complete: nothing to resume
        con.execute("DELETE FROM labels WHERE purpose = 'audit'; DELETE FROM audit_items; DELETE FROM audits")
    result = CliRunner().invoke(app, ["--db", str(db), "label", "--audit", "5", "--seed", "3"],
                                input="c\nk\ns\nq\n")
    assert result.exit_code == 0, result.output
    assert before > 0
    assert "5 comments drawn uniformly at random from" in result.output
    assert "never train it" in result.output and "least sure" not in result.output
    assert "labelled 2 audit comments, 2 in all; 3 still to label" in result.output
    with connect(db) as con:
        rows = con.execute("SELECT purpose, source, audit_id FROM labels").fetchall()
        assert [r[0] for r in rows] == ["audit", "audit"] and all(r[2].startswith("audit-") for r in rows)
        assert user_examples(con) == []
        audit = con.execute("SELECT seed, frame_n, n_drawn, model_version FROM audits ORDER BY drawn_at DESC "
                            "LIMIT 1").fetchone()
        assert audit[0] == 3 and audit[2] == 5 and audit[1] > 400 and audit[3]
    # an unfinished audit resumes with what is left, not a new draw
    again = CliRunner().invoke(app, ["--db", str(db), "label", "--audit", "5"], input="n\nn\nn\n")
    assert "resuming audit" in again.output and "3 drawn comments still unlabelled" in again.output
    with connect(db) as con:
        assert con.execute("SELECT count(*) FROM labels WHERE purpose = 'audit'").fetchone()[0] == 5


def test_an_event_audit_draws_from_each_window_and_is_seeded(tmp_path):
    db = tmp_path / "e.duckdb"
    _demo_db(db)
    with connect(db) as con:
        event = con.execute("SELECT event_id FROM events ORDER BY occurred_at DESC LIMIT 1").fetchone()[0]
        first = draw_audit(con, 8, seed=5, event_id=event, resume=False)
        windows = dict(con.execute(
            """SELECT w."window", count(*) FROM audit_items i JOIN classified_documents c USING (doc_id)
               JOIN events e ON e.event_id = ? JOIN event_window_bounds w
                 ON c.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to
               WHERE i.audit_id = ? GROUP BY ALL""", [event, first.audit_id]).fetchall())
        assert windows == {"-7..-1": 8, "0..+6": 8}
        con.execute("DELETE FROM audit_items; DELETE FROM audits")
        second = draw_audit(con, 8, seed=5, event_id=event, resume=False)
        assert sorted(i.doc_id for i in second.items) == sorted(i.doc_id for i in first.items)
        third = draw_audit(con, 8, seed=6, event_id=event, resume=False)
        assert Counter(i.doc_id for i in third.items) != Counter(i.doc_id for i in first.items)
        try:
            draw_audit(con, 5, event_id="no-such-event", resume=False)
        except AuditFrameError as exc:
            assert "no event 'no-such-event'" in str(exc)
        else:
            raise AssertionError("an unknown event must be refused")
    bad = CliRunner().invoke(app, ["--db", str(db), "label", "--event", event])
    assert bad.exit_code == 2 and "--audit" in bad.output
