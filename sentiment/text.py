"""Text normalisation, HTML-to-text, dedupe keys and author hashing.

Everything that turns raw source text into what is stored goes through here, so every source
is cleaned the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
from html.parser import HTMLParser

import unicodedata

import ftfy
from ftfy import chardata
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES, is_bad

# UTF-8 punctuation decoded as cp1253 and then stripped of its undecodable bytes: only the lead
# byte 0xE2 survives as "β" (e.g. "Qwen’s" -> "Qwenβ€™s" -> "Qwenβs"). ftfy cannot repair these
# because the bytes are gone, so we restore the common forms from their context.
_STRIPPED_APOSTROPHE = re.compile(r"(?<=[A-Za-z])β(?=(?:s|t|d|m|ll|re|ve)\b)")
_STRIPPED_DASH = re.compile(r"(?<=[A-Za-z0-9])β(?=[A-Za-z0-9])")
# Emoji that lost their bytes the same way, at the start of a bullet line: "β οΈ" was ⚠️;
# the rest ("π", "β", "βοΈ") cannot be told apart any more and become a plain bullet.
_STRIPPED_EMOJI_BULLET = re.compile(r"^(?:β\u00a0?\s?οΈ|βοΈ|β|π)(?=\s)", re.MULTILINE)
_WARNING_BULLET = re.compile(r"^β[\u00a0 ]οΈ(?=\s)", re.MULTILINE)
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+$", re.MULTILINE)
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")  # zero-width space, word joiner, BOM (not ZWJ: emoji use it)


def _trigger_class() -> re.Pattern[str]:
    """Characters on which one of ftfy's fixers (other than quotes and NFC) could act."""
    chars = {"&", "\x1b", "\r", "\u2028", "\u2029", "\x85"}
    chars.update(chr(c) for c in range(0x80, 0xA0))  # C1 controls
    chars.update(chr(c) for table in (chardata.LIGATURES, chardata.WIDTH_MAP, chardata.CONTROL_CHARS)
                 for c in table)
    body = "".join(re.escape(c) for c in sorted(chars))
    return re.compile(f"[{body}\ud800-\udfff]")


_FTFY_TRIGGERS = _trigger_class()


def _badness_candidates() -> re.Pattern[str]:
    """Text ftfy's badness test could flag. Every one of its patterns needs two adjacent
    characters from its mojibake classes, or one of the few that are suspect alone (C1 controls,
    ``Œ``/``œ``, ``Ã``, ``Â``), so a text with neither cannot be bad. Most non-ASCII comments
    (a curly apostrophe, a dash, an accented word, emoji) have neither, and this search costs a
    fraction of ftfy's many-branched one."""
    literals = {c for c in BADNESS_RE.pattern if ord(c) > 127}
    members = "".join(MOJIBAKE_CATEGORIES.values()) + "".join(re.escape(c) for c in sorted(literals))
    members += "\xa0\xad"  # written as escapes in ftfy's pattern
    return re.compile(f"[{members}][{members}]|[\x80-\x9fŒœÃÂ]")


_BADNESS_CANDIDATES = _badness_candidates()


def _ftfy_flags(text: str) -> bool:
    """ftfy's mojibake test as ftfy applies it: line by line (one of its patterns is anchored at
    the start of a line)."""
    return is_bad(text) or "\nÃ " in text or "\nÂ " in text


def _maybe_bad(text: str) -> bool:
    """Whether ftfy could change ``text``: its mojibake test, skipped where the cheap pre-test
    finds nothing; ftfy also works in pieces of at most a million characters."""
    if len(text) > 1_000_000:
        return True
    return _BADNESS_CANDIDATES.search(text) is not None and _ftfy_flags(text)


def fix_text(text: str) -> str:
    """``ftfy.fix_text(text, normalization="NFC")``, with a shortcut for the common text where
    only its quote straightening and NFC can apply (no mojibake, entity, control, ligature,
    width or line-break character): the same result at a fraction of the cost, which is what
    lets dumps of millions of comments be normalised at import speed."""
    if _FTFY_TRIGGERS.search(text) is None and not _maybe_bad(text):
        straight = chardata.SINGLE_QUOTE_RE.sub("'", chardata.DOUBLE_QUOTE_RE.sub('"', text))
        if unicodedata.is_normalized("NFC", straight):
            # ftfy repeats its fixers until nothing changes. Straight quotes are in none of its
            # trigger or badness classes, so straightening cannot make a text need another pass.
            return straight
        fixed = unicodedata.normalize("NFC", straight)  # composing can: check again
        if _FTFY_TRIGGERS.search(fixed) is None and not _maybe_bad(fixed):
            return fixed
    return ftfy.fix_text(text, normalization="NFC")


def normalize(text: str | None) -> str:
    """Readable, canonical text: mojibake repaired (ftfy plus stripped forms), quotes straightened
    (ftfy's default, so one apostrophe matches another), whitespace tidied."""
    if not text:
        return ""
    fixed = fix_text(text)
    fixed = _WARNING_BULLET.sub("⚠️", fixed)
    fixed = _STRIPPED_EMOJI_BULLET.sub("•", fixed)
    fixed = _STRIPPED_APOSTROPHE.sub("'", fixed)
    fixed = _STRIPPED_DASH.sub("—", fixed)
    fixed = _INVISIBLE.sub("", fixed).replace("\r\n", "\n").replace("\r", "\n")
    fixed = _TRAILING_SPACE.sub("", fixed)
    fixed = _MANY_BLANK_LINES.sub("\n\n", fixed)
    return fixed.strip()


def content_hash(text: str) -> str:
    """Key for exact-duplicate detection: case and whitespace do not make a text new."""
    canonical = " ".join(text.split()).casefold()  # split() drops the same whitespace as \\s
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def author_hash(author: str | None, key: bytes) -> str | None:
    """Keyed hash (HMAC-SHA256) of a user name: stable per key, not reversible without it."""
    if not author or author in ("[deleted]", "[removed]"):
        return None
    return hmac.new(key, author.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


class _HTMLText(HTMLParser):
    """Collects the visible text of an HTML fragment, keeping paragraph breaks."""

    _BLOCK = {"p", "br", "div", "pre", "li", "blockquote", "tr", "h1", "h2", "h3", "h4"}
    _SKIP = {"script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n" if tag != "br" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment (HN comments, article pages)."""
    if not fragment:
        return ""
    parser = _HTMLText()
    parser.feed(fragment)
    parser.close()
    return normalize("".join(parser.parts))


def unescape_entities(text: str | None) -> str:
    """Reddit markdown as a reader sees it: the API escapes &, < and > once (undone first), and
    entities the writer typed (``&#x200B;``, ``&nbsp;``) render as characters (undone second)."""
    return html.unescape(html.unescape(text or ""))
