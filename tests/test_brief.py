from datetime import date, datetime

import pytest

from sentiment.brief import build_brief, last_complete_week, parse_week, write_brief
from sentiment.classify import load_classifier
from sentiment.classify.run import classify_pending
from sentiment.records import Document, Event
from sentiment.store import upsert_documents, upsert_events
from sentiment.insight.trends import refresh_trends
from tests.conftest import AUTHOR_KEY

SCRIPT = "<script>alert('xss')</script> lol qwen is dead, so sad, I fear the worst"
TITLE = 'Qwen lead exits" onmouseover="alert(1)'
BREAKER = "I worry '><img src=x onerror=alert(2)> they will close the weights"
EVIL_URL = 'https://example.org/a"><script>alert(3)</script>'


@pytest.fixture
def briefed(con, tmp_path):
    thread = "reddit:t3_p"
    docs = [Document(source="reddit", kind="post", external_id="t3_p", text="", title=TITLE,
                     created_at=datetime(2026, 3, 3, 9), thread_id=thread, author="op",
                     url="https://www.reddit.com/r/x/comments/p/")]
    texts = [SCRIPT, "Thanks team, great models, legends", "I doubt it, just PR",
             "source? which quant?", "Sad day, I fear the worst for open weights",
             BREAKER]
    for i, text in enumerate(texts):
        docs.append(Document(source="reddit", kind="comment", external_id=f"t1_{i}", text=text,
                             created_at=datetime(2026, 3, 4, 10 + i), thread_id=thread,
                             parent_id=thread, author=f"u{i}",
                             url={0: "javascript:alert(1)", 5: EVIL_URL}.get(i)))
    docs.append(Document(source="reddit", kind="comment", external_id="t1_prev",
                         text="Thanks for the new small models, amazing", thread_id=thread,
                         created_at=datetime(2026, 2, 26, 8), parent_id=thread, author="early"))
    upsert_documents(con, docs, author_key=AUTHOR_KEY)
    upsert_events(con, [Event("exit", "Lead <b>exits</b>", date(2026, 3, 3))])
    classify_pending(con, load_classifier("baseline"), batch_size=10)
    refresh_trends(con, min_n=20)
    md, html = write_brief(build_brief(con, "2026-W10"), tmp_path / "briefs")
    return md.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")


def test_html_brief_escapes_comment_text(briefed):
    _, html = briefed
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert 'onmouseover="alert' not in html and "&#34;" in html
    assert "javascript:" not in html
    assert "<b>exits</b>" not in html and "&lt;b&gt;exits&lt;/b&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script>alert(3)" not in html and 'href="https://example.org/a&#34;&gt;&lt;script&gt;' in html
    assert html.count("<img ") == html.count('<img alt="')  # only our own chart images


def test_markdown_brief_escapes_html_too(briefed):
    md, _ = briefed
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "javascript:" not in md
    assert "<img src=x" not in md and "&lt;img src=x" in md
    assert "(<https://example.org/a\"%3E%3Cscript%3Ealert(3)%3C/script%3E>)" in md


def test_brief_has_every_section(briefed):
    md, html = briefed
    for heading in ("Stance mix", "Stance share over time", "Events", "Spikes", "In their own words",
                    "Sources", "Methods"):
        assert f"## {heading}" in md and f"<h2>{heading}</h2>" in html
    assert html.count('src="data:image/png;base64,') >= 2  # share over time + the event's before/after
    assert "![Stance share over time" in md and "(2026-W10-share.png)" in md
    assert "change vs 2026-W09" in md and "95% interval of change" in md
    assert "-7..-1" in md and "0..+6" in md
    assert "baseline-rules-1" in md
    # classify recorded the model's dev-split quality: the methods box reports it
    assert "No model card for the active model" not in md and "macro-F1" in md


def test_small_windows_are_called_too_small_not_findings(briefed):
    md, html = briefed
    assert "Too small to read: n = 1 before and 7 after (under 20 on a side)" in md
    assert "rose from" not in md and "fell from" not in md


def test_markdown_charts_are_written_beside_it(con, tmp_path, briefed):
    pngs = sorted(p.name for p in (tmp_path / "briefs").glob("*.png"))
    assert pngs == ["2026-W10-event-exit.png", "2026-W10-share.png"]
    assert all((tmp_path / "briefs" / name).read_bytes().startswith(b"\x89PNG") for name in pngs)


def test_week_helpers():
    assert parse_week("2026-W10") == (date(2026, 3, 2), date(2026, 3, 8))
    assert last_complete_week(date(2026, 3, 11)) == "2026-W10"
    assert last_complete_week(date(2026, 3, 9)) == "2026-W10"  # Monday: last week just ended
    with pytest.raises(ValueError, match="2026-W10"):
        parse_week("March")


def test_brief_says_shares_are_not_corrected_until_an_audit_exists_and_then_corrects_them(con, tmp_path):
    import json

    from sentiment.classify.audit import draw_audit, save_audit_label
    from sentiment.insight.quantify import MODEL_CARD_KEY
    from sentiment.store.writes import set_meta

    docs = [Document(source="hn", kind="comment", external_id=f"c{i}", thread_id="hn:1",
                     text=("I fear they go closed, sad" if i % 3 else "Thanks team, great models") + f" #{i}",
                     created_at=datetime(2026, 3, 2 + i % 7, 12), author=f"u{i}") for i in range(60)]
    upsert_documents(con, docs, author_key=AUTHOR_KEY)
    classify_pending(con, load_classifier("baseline"), batch_size=50)
    version = con.execute("SELECT value FROM meta WHERE key = 'active_model_version'").fetchone()[0]
    set_meta(con, MODEL_CARD_KEY, json.dumps({
        "model_version": version, "labels": ["concern", "skepticism", "support", "neutral"],
        "dev": {"n": 400, "macro_f1": 0.71, "per_label_f1": {}, "confusion": [[1, 0, 0, 0]] * 4}, "ece": 0.041}))
    refresh_trends(con, min_n=20)
    md, html = write_brief(build_brief(con, "2026-W10"), tmp_path / "b")
    md, html = md.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")
    for page in (md, html):
        assert "model shares, not corrected" in page and "sentiment label --audit 100" in page
        assert "macro-F1 0.25 on real comments" in page  # the baseline's measured real-comment score
        assert "corrected by the audit (PPI++)</th>" not in page and "| corrected by the audit" not in page
    assert "macro-F1 0.71" in md and "calibration error (ECE) 0.041" in html  # the authored card, named as such
    assert "written for the project" in md
    draw = draw_audit(con, 30, seed=1)
    for item in draw.items:  # a person who reads "fear" as concern and the rest as support
        save_audit_label(con, draw.audit_id, item, "concern" if "fear" in item.text else "support")
    refresh_trends(con, min_n=20)
    md, html = write_brief(build_brief(con, "2026-W10"), tmp_path / "c")
    md, html = md.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")
    assert "corrected by the audit (PPI++)</th>" in html and "| corrected by the audit (PPI++) |" in md
    assert "**Audit:** 30 comments labelled at random" in md and f"drawn while `{version}` was active" in md
    assert "model shares, not corrected" not in md


def test_the_seed_articles_readers_comments_are_in_the_brief_beside_forum_comments(con, tmp_path):
    """seeds/005_local_models_blog.html carries five readers' comments (one a reply): they are
    stored in the article's thread, classified, and the week's brief counts them beside the
    forum comments, in both formats."""
    from sentiment.collect.files import ingest_paths
    from tests.conftest import SEEDS

    ingest_paths(con, [SEEDS], author_key=AUTHOR_KEY)
    rows = con.execute("SELECT external_id, parent_id, created_at FROM documents WHERE source = 'file' "
                       "AND kind = 'comment' ORDER BY created_at").fetchall()
    assert [r[0] for r in rows] == [f"005_local_models_blog#c{n}" for n in range(501, 506)]
    assert rows[1][1] == "file:005_local_models_blog#c501" and rows[0][2] == datetime(2026, 3, 4, 18, 5)
    classify_pending(con, load_classifier("baseline"), batch_size=256)
    refresh_trends(con, min_n=20)
    forum = con.execute("SELECT count(*) FROM classified_documents WHERE source IN ('reddit', 'hn') "
                        "AND day BETWEEN '2026-03-02' AND '2026-03-08'").fetchone()[0]
    md, html = write_brief(build_brief(con, "2026-W10"), tmp_path / "briefs")
    line = f"Readers' comments under articles: 5 (under 1 article), read beside {forum} forum comments and posts."
    md_text, html_text = md.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")
    assert line in md_text and "| file | readers' comments | 5 | 1 |" in md_text
    assert line in html_text and "<td>readers&#39; comments</td><td>5</td>" in html_text
    assert "| reddit | forum comments |" in md_text and forum > 100
