"""One extraction for every HTML page, wherever it comes from (``collect pages``, ``collect
feeds``, ``ingest`` of an ``.html`` file): bytes -> text (one charset rule) -> title, article
text, publication date with where it came from, language and declared canonical URL.

Dates are taken as the page states them, in the order a reader trusts them: the article's own
Open Graph metadata, then JSON-LD ``datePublished``, then the other common metas (itemprop,
Parse.ly, Sailthru, Dublin Core, PRISM, citation, ``date``), then ``<time datetime>``; each with
its time of day and time zone, stored as naive UTC. A date is guessed from the address or the
opening text only when the page states none, and is marked as guessed (``date_source = 'text'``)
so SQL users can leave it out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sentiment.sources import ParseError
from sentiment.sources.dates import parse_loose, parse_stated, plausible
from sentiment.text import normalize

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)""", re.I)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_SNIFF = ["cp1252", "cp1251", "koi8_r", "cp1250", "cp1253", "cp1256", "gb18030", "shift_jis", "euc_kr", "big5"]
"""Legacy encodings a page without a usable label is sniffed among (charset-normalizer)."""

# Metas that state the article's publication, most trusted first; JSON-LD comes after the first group.
_META_FIRST = ("article:published_time", "og:article:published_time", "og:published_time",
               "article:published", "published_time")
_META_OTHER = ("datepublished", "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued",
               "dc.date", "dcterms.date", "dc.date.created", "dcterms.created", "prism.publicationdate",
               "citation_publication_date", "citation_date", "pubdate", "publishdate", "publish-date",
               "publish_date", "publication_date", "article.published", "og:pubdate", "date")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?=[/_.-]|$)")
_TEXT_DATES = (
    re.compile(r"\b((?:19|20)\d{2})-(\d{2})-(\d{2})\b"),                        # 2019-06-17
    re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?((?:19|20)\d{2})\b"),             # 17.06.2019
    re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2},? (?:19|20)\d{2}\b"),
    re.compile(r"\b\d{1,2}\.? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? (?:19|20)\d{2}\b"),
)
_GUESS_CHARS = 600
"""How much of the opening text (after the title) a date is guessed from: the byline area."""


@dataclass(frozen=True)
class PageText:
    """What one HTML page says about itself."""

    title: str | None
    text: str
    published: datetime | None
    """Naive UTC; a date stated without a time of day is its noon, so time zones keep the day."""
    date_source: str
    """``meta``, ``text`` or ``none`` (see :data:`DATE_SOURCES`)."""
    canonical: str | None
    """The address the page declares for itself (``rel=canonical``, ``og:url``), as written."""
    language: str | None
    """Primary language subtag (``de``, ``en``) from ``<html lang>`` or the language metas."""
    comments: tuple[Any, ...] = field(default=())
    """Readers' comments in the page (:class:`sentiment.sources.voices.PageComment`)."""
    embeds: tuple[Any, ...] = field(default=())
    """Social posts the page embeds (:class:`sentiment.sources.voices.EmbeddedPost`)."""


def decode_html(content: bytes, declared: str | None = None) -> str:
    """HTML (or text) bytes as text, by one rule for every path: a byte-order mark wins; valid
    UTF-8 is UTF-8 whatever the page claims (the common wrong label is latin-1 on UTF-8 bytes);
    then the declared charset (HTTP header), then ``<meta charset>``, then the bytes are sniffed
    among common legacy encodings (cp1252 when it reads them as well as the best guess); else
    cp1252 with replacement. Leftover mojibake is repaired later by
    :func:`sentiment.text.normalize`."""
    for bom, charset in _BOMS:
        if content.startswith(bom):
            return content[len(bom):].decode(charset, errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = [declared]
    match = _META_CHARSET.search(content[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii"))
    for charset in candidates:
        if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
            try:
                return content.decode(charset)
            except (LookupError, UnicodeDecodeError):
                continue
    sniffed = _sniff(content)
    if sniffed:
        try:
            return content.decode(sniffed)
        except (LookupError, UnicodeDecodeError):
            pass
    return content.decode("cp1252", errors="replace")


def _sniff(content: bytes) -> str | None:
    """The legacy encoding the bytes read best in, preferring cp1252 on a tie (Western pages are
    the most common unlabelled ones, and cp1250/cp1252 often read the same letters)."""
    from charset_normalizer import from_bytes

    matches = from_bytes(content[:65536], cp_isolation=_SNIFF)
    best = matches.best()
    if best is None:
        return None
    if "cp1252" in best.could_be_from_charset or any(
            m.encoding == "cp1252" and m.chaos <= best.chaos + 0.02 for m in matches):
        return "cp1252"
    return best.encoding


def _jsonld_dates(tree) -> list[str]:
    """``datePublished`` values of the page's JSON-LD, article-typed objects first."""
    articles: list[str] = []
    others: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            value = node.get("datePublished")
            if isinstance(value, str):
                kind = node.get("@type")
                kinds = " ".join(kind) if isinstance(kind, list) else str(kind or "")
                (articles if re.search(r"Article|Posting|Report|Blog", kinds) else others).append(value)
            for key, child in node.items():
                if key != "datePublished" and isinstance(child, (dict, list)):
                    walk(child)

    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            walk(json.loads(script.text or "", strict=False))
        except (ValueError, RecursionError):
            continue
    return articles + others


def stated_date(tree) -> datetime | None:
    """The publication date a parsed page states (see the module docstring for the order)."""
    metas: dict[str, list[str]] = {}
    for meta in tree.xpath("//meta[@content]"):
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key:
                metas.setdefault(key, []).append(meta.get("content"))
    candidates: list[str] = []
    for key in _META_FIRST:
        candidates.extend(metas.get(key, []))
    candidates.extend(_jsonld_dates(tree))
    for element in tree.xpath('//*[@itemprop="datePublished"][not(self::meta)]'):
        candidates.append(element.get("content") or element.get("datetime") or element.text_content())
    for key in _META_OTHER:
        candidates.extend(metas.get(key, []))
    times = tree.xpath("//time[@datetime]")
    times.sort(key=lambda t: not (t.get("pubdate") is not None or "publish" in (t.get("class") or "")
                                  or "entry-date" in (t.get("class") or "")))
    candidates.extend(t.get("datetime") for t in times)
    for value in candidates:
        found = parse_stated(value)
        if found is not None:
            return found
    return None


def guessed_date(text: str, url: str | None = None) -> datetime | None:
    """A day named in the address (``/2019/06/17/``) or the opening text (the byline area), as
    its noon: a guess, used only when a page states no date."""
    candidates: list[str] = []
    if url:
        match = _URL_DATE.search(url)
        if match:
            candidates.append("-".join(match.groups()))
    head = text[:_GUESS_CHARS]
    for pattern in _TEXT_DATES:
        match = pattern.search(head)
        if match:
            candidates.append(match.group(0))
    for value in candidates:
        if "." in value and re.match(r"^\d", value):
            value = value.replace(" ", "")
        found = parse_loose(value) if not re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", value) else None
        if found is None:
            try:
                year, month, day = (int(x) for x in value.split("-"))
                found = datetime(year, month, day)
            except ValueError:
                found = None
        if found is not None:
            found = found.replace(hour=12, minute=0, second=0, microsecond=0, tzinfo=None)
            if plausible(found):
                return found
    return None


def _language(tree) -> str | None:
    values = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    values += tree.xpath('//meta[@http-equiv="content-language" or @http-equiv="Content-Language"]/@content')
    values += tree.xpath('//meta[@property="og:locale"]/@content')
    for value in values:
        match = re.match(r"^\s*([A-Za-z]{2,3})(?:[-_]|$|\s|,)", value or "")
        if match:
            return match.group(1).lower()
    return None


def extract_page(html: str, url: str | None = None) -> PageText:
    """Title, article text (page furniture, navigation and readers' comments left out), stated
    or guessed date, language and declared canonical URL of one page. Raises
    :class:`ParseError` when the page has no article text."""
    import trafilatura
    from trafilatura.utils import load_html

    from sentiment.sources.voices import drop_embeds, embedded_posts, readers_comments  # it reads dates here

    tree = load_html(html)
    if tree is None:
        raise ParseError("no article text found on the page")
    published = stated_date(tree)
    language = _language(tree)
    comments = tuple(readers_comments(tree))  # read before the extraction prunes the tree
    embeds = tuple(embedded_posts(tree))
    drop_embeds(tree)
    extracted = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=False,
        date_extraction_params={"extensive_search": False, "original_date": True})
    raw_text = getattr(extracted, "text", None) if extracted is not None else None
    text = normalize(raw_text)
    if not text:
        raise ParseError("no article text found on the page")
    title = normalize(getattr(extracted, "title", None)) or None
    source = "meta"
    if published is None:
        published = guessed_date(text, url)
        source = "text" if published is not None else "none"
    return PageText(title=title, text=text, published=published, date_source=source,
                    canonical=getattr(extracted, "url", None), language=language, comments=comments,
                    embeds=embeds)
