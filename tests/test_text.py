from hypothesis import given, settings
from hypothesis import strategies as st

from sentiment.text import author_hash, content_hash, html_to_text, normalize
from tests.conftest import SEED_000


def test_seed_000_stripped_mojibake_is_repaired():
    raw = SEED_000.read_text(encoding="utf-8")
    assert "Qwenβs" in raw and "β οΈ" in raw  # the broken forms are really in the seed
    fixed = normalize(raw)
    assert "β" not in fixed and "οΈ" not in fixed
    assert "As Qwen's strong local base model" in fixed
    assert "there's a strong chance" in fixed
    assert "profitability—a task" in fixed
    assert "⚠️ Concerns arise" in fixed
    assert "• Users speculate a transition" in fixed


def test_intact_mojibake_is_repaired_by_ftfy():
    assert normalize("I donâ€™t think itâ€™s over") == "I don't think it's over"


def test_greek_text_is_left_alone():
    assert normalize("αβγ δοκιμή") == "αβγ δοκιμή"


def test_whitespace_is_tidied():
    assert normalize("  one  \r\n\r\n\r\n\r\ntwo \t ") == "one\n\ntwo"
    assert normalize(None) == ""


def test_html_to_text_keeps_paragraphs_and_drops_tags():
    text = html_to_text('I don&#x27;t buy it.<p>See <a href="https://x.example">this</a> &amp; that'
                        "<script>alert(1)</script>")
    assert text == "I don't buy it.\n\nSee this & that"


def test_escaped_script_in_hn_text_survives_as_text():
    assert html_to_text("&lt;script&gt;alert(1)&lt;/script&gt; lol") == "<script>alert(1)</script> lol"


def test_content_hash_ignores_case_and_spacing_only():
    assert content_hash("Qwen is  DEAD\n") == content_hash("qwen is dead")
    assert content_hash("qwen is dead") != content_hash("qwen is not dead")


def test_author_hash_is_keyed_and_stable():
    assert author_hash("alice", b"k1") == author_hash("alice", b"k1")
    assert author_hash("alice", b"k1") != author_hash("alice", b"k2")
    assert "alice" not in author_hash("alice", b"k1")
    assert author_hash("[deleted]", b"k1") is None and author_hash(None, b"k1") is None


def test_reddit_entities_unescape_to_what_readers_see():
    from sentiment.text import unescape_entities

    assert normalize(unescape_entities("&amp;#x200B;\n\nI &lt;3 qwen &amp; co")) == "I <3 qwen & co"
    assert normalize("family 👨\u200d👩\u200d👧") == "family 👨\u200d👩\u200d👧"


# Characters that exercise every branch of ftfy: curly quotes, mojibake pieces, C1 controls,
# ligatures, full-width forms, line breaks, entities, escapes, combining marks, emoji.
_TRICKY = "  !.a\n\nÃÂ’‘“”ʼ‛‟Ã©â€™Â\xa0\x80\x85\x9dﬁﬂＡｂ１\r\n\u2028\u2029&<>;#x27amp\x1b[0m\u0301e\u200b😬—naïveβ€™"


@settings(max_examples=1500, derandomize=True, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from(_TRICKY), st.characters(codec="utf-8")), max_size=80))
def test_fix_text_shortcut_equals_ftfy(text):
    import ftfy

    from sentiment.text import fix_text

    assert fix_text(text) == ftfy.fix_text(text, normalization="NFC")


def test_fix_text_shortcut_on_common_forms():
    import ftfy

    from sentiment.text import fix_text

    for text in ("Hello!\nÃ  la carte’s", "ok.\nÂ  it’s", "it’s “fine”", "naïve café", "line one\nit’s\n\nline “three”", "Ã©tÃ© it’s", "a\r\nb ’",
                 "caf\u0065\u0301 ’", "&amp; it’s", "Qwenβ€™s future"):
        assert fix_text(text) == ftfy.fix_text(text, normalization="NFC"), text


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000aB’é"), max_size=40))
def test_content_hash_whitespace_is_the_regex_whitespace(text):
    import hashlib
    import re

    expected = hashlib.sha256(re.sub(r"\s+", " ", text).strip().casefold().encode()).hexdigest()[:16]
    assert content_hash(text) == expected


def _mojibake_alphabet() -> str:
    """Every character in one of ftfy's badness classes, plus ASCII context."""
    import re

    from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES

    members = re.compile("[" + "".join(MOJIBAKE_CATEGORIES.values()) + "]")
    chars = {chr(c) for c in range(0x80, 0x3000) if members.match(chr(c))}
    chars |= {c for c in BADNESS_RE.pattern if ord(c) > 127} | {"\xa0", "\xad", "\uf8ff", "\ufffd"}
    return "".join(sorted(chars)) + "aZs. \n1'?"


_MOJIBAKE_ALPHABET = _mojibake_alphabet()


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from(_MOJIBAKE_ALPHABET), st.sampled_from("ab .\n")), max_size=12))
def test_badness_candidates_never_miss_what_ftfy_flags(text):
    """The cheap pre-test only skips ftfy's badness regex on texts it cannot flag."""
    from sentiment.text import _BADNESS_CANDIDATES, _ftfy_flags

    if _ftfy_flags(text):
        assert _BADNESS_CANDIDATES.search(text), text


def test_badness_candidates_hold_for_each_character_alone_in_any_context():
    """Exhaustively: one mojibake-class character between any ASCII neighbours is flagged by
    ftfy only when the pre-test flags it too (so isolated characters may skip ftfy)."""
    from sentiment.text import _BADNESS_CANDIDATES, _ftfy_flags

    contexts = ["", " ", "\n", "a", "Z", "1", ".", "?", "é"]
    for c in _MOJIBAKE_ALPHABET:
        for left in contexts:
            for right in contexts:
                text = f"{left}{c}{right} x"
                if _ftfy_flags(text):
                    assert _BADNESS_CANDIDATES.search(text), repr(text)
    assert _BADNESS_CANDIDATES.search("it’s naïve — 😬") is None  # the common case skips ftfy
