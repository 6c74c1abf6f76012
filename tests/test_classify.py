from datetime import datetime

import pytest

from sentiment.classify import load_classifier
from sentiment.classify.run import classify_pending, count_pending
from sentiment.records import Document
from sentiment.settings import LABELS
from sentiment.store import upsert_documents
from tests.conftest import AUTHOR_KEY, run_counts


@pytest.mark.parametrize("text, label", [
    ("Sad day for open source. I fear they'll close the weights.", "concern"),
    ("I doubt it'll ever be released, this is likely just PR.", "skepticism"),
    ("Great models, thanks team! They'll land on their feet.", "support"),
    ("source?", "neutral"),
    ("Which quant should I use for 8GB VRAM?", "neutral"),
    ("Oh great, another 'strategic realignment'. I'm sure the weights are coming any day now /s", "skepticism"),
])
def test_baseline_follows_the_guide_cues(text, label):
    assert load_classifier("baseline").predict([text])[0].label == label


def test_predictions_are_probability_vectors_in_label_order():
    preds = load_classifier("baseline").predict(["thanks team", "", "will they even release it?"],
                                                ["title", None, None])
    assert len(preds) == 3
    for p in preds:
        assert len(p.probs) == len(LABELS) and sum(p.probs) == pytest.approx(1.0)
        assert p.confidence == max(p.probs) and p.label == LABELS[p.probs.index(max(p.probs))]


def test_unknown_classifier_names_the_choices():
    with pytest.raises(ValueError, match="baseline"):
        load_classifier("nope")


def _docs():
    thread = "reddit:t3_p"
    return [
        Document(source="reddit", kind="post", external_id="t3_p", text="", title="Lead steps down",
                 created_at=datetime(2026, 3, 3), thread_id=thread, author="op"),
        Document(source="reddit", kind="comment", external_id="t1_a", text="Thank you team, legends",
                 created_at=datetime(2026, 3, 3), thread_id=thread, parent_id=thread, author="a"),
        Document(source="reddit", kind="comment", external_id="t1_b", text="[deleted]", deleted=True,
                 created_at=datetime(2026, 3, 3), thread_id=thread, parent_id=thread),
        Document(source="reddit", kind="comment", external_id="t1_c", text="   ",
                 created_at=datetime(2026, 3, 3), thread_id=thread, parent_id=thread, author="c"),
        Document(source="file", kind="article", external_id="art", text="An article.",
                 created_at=datetime(2026, 3, 3), thread_id="file:art"),
    ]


def test_classify_step_labels_community_text_once(con):
    upsert_documents(con, _docs(), author_key=AUTHOR_KEY)
    classifier = load_classifier("baseline")
    assert count_pending(con, classifier.model_version) == 3  # post, comment, blank comment
    report = classify_pending(con, classifier, batch_size=1)
    assert (report.n_classified, report.n_skipped) == (2, 1)
    labelled = {r[0] for r in con.execute("SELECT doc_id FROM stances").fetchall()}
    assert labelled == {"reddit:t3_p", "reddit:t1_a"}  # not deleted, not blank, not the article
    again = classify_pending(con, classifier, batch_size=1)
    assert again.n_classified == 0
    run = con.execute("SELECT status, n_in, n_new, n_skipped, notes FROM runs WHERE run_id = ?",
                      [report.run_id]).fetchone()
    assert run[:4] == ("ok", 3, 2, 1) and "empty text" in run[4]
    # each run's counts add up; the blank comment is read and skipped again by the re-run
    assert run_counts(con, "classify") == [(3, 2, 0, 0, 1), (1, 0, 0, 0, 1)]


def test_a_failing_model_leaves_finished_batches_and_a_failed_run(con):
    upsert_documents(con, _docs(), author_key=AUTHOR_KEY)
    real = load_classifier("baseline")

    class Flaky:
        model_version = real.model_version
        calls = 0

        def predict(self, texts, titles=None):
            Flaky.calls += 1
            if Flaky.calls == 2:
                raise RuntimeError("model crashed")
            return real.predict(texts, titles)

    with pytest.raises(RuntimeError):
        classify_pending(con, Flaky(), batch_size=1)
    assert con.execute("SELECT count(*) FROM stances").fetchone()[0] == 1
    assert con.execute("SELECT status FROM runs WHERE step = 'classify'").fetchone()[0] == "failed"
    assert classify_pending(con, real, batch_size=1).n_classified == 1  # a re-run finishes the work


def test_classify_records_the_models_quality_card_for_corrected_shares(con):
    import json

    from sentiment.classify.examples import bundled_examples
    from sentiment.store.writes import get_meta

    docs = [Document(source="reddit", kind="comment", external_id=f"t1_{i}", text=text,
                     created_at=datetime(2026, 3, 1, 12), thread_id="reddit:t3_x")
            for i, text in enumerate(["thanks team", "source?"])]
    upsert_documents(con, docs, author_key=AUTHOR_KEY)
    classify_pending(con, load_classifier("baseline"), batch_size=10)
    card = json.loads(get_meta(con, "active_model_card"))
    assert card["model_version"] == get_meta(con, "active_model_version") == "baseline-rules-1"
    assert card["labels"] == list(LABELS)
    assert sum(map(sum, card["dev"]["confusion"])) == len(bundled_examples("dev"))
    assert len(card["dev"]["mean_probs"]) == 4 and 0 < card["dev"]["macro_f1"] < 1
