from datetime import date, datetime

from sentiment.sources.web import ArticleMeta, extract_quotes, parse_article, parse_article_file
from tests.conftest import SEED_000, SEEDS


def test_quotes_of_forum_users_in_seed_000():
    parsed = parse_article_file(SEED_000)
    article, *quotes = parsed.documents
    assert article.kind == "article" and article.external_id == SEED_000.stem
    assert [q.text for q in quotes] == [
        "They may be moving away from open source",
        "I question if it will be released at all",
        "More and more companies are switching to API-only",
        "The open source releases were likely just for research purposes",
        "I hope they can still get Qwen Image 2.0 out",
    ]
    assert all(q.kind == "quote" and q.parent_id == article.doc_id == q.thread_id for q in quotes)
    assert len({q.external_id for q in quotes}) == 5


def test_quotes_of_named_people_and_terms_are_not_community_voices():
    # 001 quotes a DeepSeek researcher and coins terms in quotes; none are forum users.
    assert extract_quotes((SEEDS / "001_16b70e0a36500ee0.txt").read_text(encoding="utf-8")) == []
    assert extract_quotes('The CEO said "we remain fully committed to open source" today.') == []


def test_quote_attributed_after_a_dash_or_clause():
    text = ('“Nobody believes the official reason anymore” - one Redditor wrote.\n'
            '"This is it for local models," a commenter said. "Too short"')
    assert extract_quotes(text) == ["Nobody believes the official reason anymore",
                                    "This is it for local models"]


def test_article_metadata_gives_title_and_date():
    parsed = parse_article("Body text here.", external_id="a1",
                           meta=ArticleMeta(title="Headline", published="2026-03-04"))
    assert parsed.documents[0].title == "Headline"
    assert parsed.documents[0].created_at == datetime(2026, 3, 4, 12, 0)
    parsed = parse_article("Body text here.", external_id="a1",
                           meta=ArticleMeta(title="Headline", published=date(2026, 3, 4)))
    assert parsed.documents[0].created_at.date() == date(2026, 3, 4)
