"""Hostile inputs: valid shapes with odd contents, and broken encodings of them.

Text mixes ASCII, any Unicode (controls, combining marks, emoji, RTL), lone UTF-16 surrogates
(what a broken ``\\ud800`` escape decodes to), HTML entities, mojibake and a 1 MB comment.
A field value is sometimes of the wrong JSON type altogether.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

HUGE = "Worried about the open weights. " * 32_768  # 1 MiB of comment text
MOJIBAKE = ["Qwenβs", "Itâ€™s", "cafÃ©", "β οΈ warning", "&amp;#x200B;", "&lt;b&gt;", "\r\n", "\u200b\ufeff"]

surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
any_char = st.one_of(st.characters(exclude_categories=()), surrogates, st.sampled_from(["\x00", "\r", "\t", "\n"]))
text = st.one_of(
    st.text(max_size=40),
    st.text(any_char, max_size=40),
    st.lists(st.sampled_from(MOJIBAKE + ["a", " ", "[deleted]"]), max_size=6).map("".join),
    st.sampled_from(["", " ", "[deleted]", "[removed]", "\n\n\n"]),
)
odd = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
"""A value of the wrong type for a text or id field."""
maybe_text = st.one_of(text, text, text, odd)
ids = st.one_of(st.text("abcdefxyz0123456789", min_size=1, max_size=6), st.text("abcdefxyz0123456789", min_size=1, max_size=6),
                st.just(""), st.integers(min_value=-5, max_value=10**6), odd, st.text(any_char, max_size=4))
times = st.one_of(
    st.integers(min_value=1_100_000_000, max_value=1_900_000_000),
    st.integers(min_value=1_100_000_000, max_value=1_900_000_000),
    st.floats(min_value=0, max_value=2e9).map(lambda x: round(x, 3)),
    st.integers(min_value=1_100_000_000, max_value=1_900_000_000).map(str),
    st.sampled_from([-1, 0, 1e20, 10**30, "yesterday", "", "1e3", float("nan"), float("inf"), True, None]),
    odd,
)


def encodings(line: str) -> st.SearchStrategy[bytes]:
    """The bytes of a JSON line as a file might hold them: UTF-8, or latin-1/cp1252 where they
    can encode it, or cut short."""
    raw = line.encode("utf-8", "surrogatepass")
    return st.one_of(
        st.just(raw), st.just(raw),
        st.just(line.encode("latin-1", "replace")), st.just(line.encode("cp1252", "replace")),
        st.integers(min_value=0, max_value=max(len(raw) - 1, 0)).map(lambda n: raw[:n]),
    )


def dumps(obj) -> str:
    """JSON text; NaN and Infinity as Python writes them (DuckDB and json.loads both read them)."""
    return json.dumps(obj, ensure_ascii=False)
