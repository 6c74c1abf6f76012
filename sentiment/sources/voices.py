"""Community voices inside an article page: its readers' comments and the social posts it embeds.

Both are read from the page's own markup, before the article text is extracted (the extraction
leaves them out, so the article text stays clean):

- **Readers' comments**: the comment lists blog and news engines render into the page (WordPress
  ``ol.comment-list`` / ``li.comment`` with ``.comment-content``, Blogger ``.comment-block``
  and its older ``dl#comments-block``, and the same class names elsewhere). Each has its author's
  name, its time when the markup gives one, and the comment it replies to when nested.
- **Embedded posts**: the publisher markup of X/Twitter (``blockquote.twitter-tweet``),
  Mastodon (``blockquote.mastodon-embed``), Bluesky (``blockquote.bluesky-embed``), Reddit
  (``blockquote.reddit-embed-bq`` / ``reddit-card``) and Facebook (``.fb-post`` /
  ``.fb-xfbml-parse-ignore``) with the handle and date they show. A tweet's time comes from its
  status id (a Snowflake id carries its millisecond), else from the date its link shows.

Names and handles are returned raw; the store keeps only their keyed hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from lxml import html as lxml_html

from sentiment.sources.dates import parse_stated
from sentiment.text import html_to_text, normalize

MAX_PER_PAGE = 500
"""At most this many comments (and as many embedded posts) are read from one page."""

_CONTENT_CLASSES = ("comment-content", "comment-text", "comment_text", "comment-body-text", "commentbody",
                    "comment-entry", "c-comment__content", "comment__content", "comment__body")
_TOKEN = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_CONTENT_XPATH = " | ".join(f"//*[{_TOKEN.format(c)}]" for c in _CONTENT_CLASSES) + \
    " | //dl[@id='comments-block']/dd[" + _TOKEN.format("comment-body") + "]"
_COMMENT_ID = re.compile(r"^(?:div-)?comment-?(\d+)$|^c(\d{6,})$|^li-comment-(\d+)$|^cid-(\d+)$")
_SAYS = re.compile(r"\s*\b(?:says|sagt|said|schreibt|écrit|dice|zegt)\b\s*:?\s*\.*", re.I)
_DATE_TAIL = re.compile(r"\s+(?=\d{1,2}\.\s|\d{1,4}[./-]\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d)")
_SNOWFLAKE = re.compile(r"/status(?:es)?/(\d{15,20})")
_HANDLE = re.compile(r"\(@([A-Za-z0-9_.\-]+)\)|(?:^|\s)@([A-Za-z0-9_]{1,30}(?:@[A-Za-z0-9.\-]+)?)\b")
_SHOW_COMMENT = re.compile(r"showComment=(\d{13})")
_TWITTER_EPOCH_MS = 1288834974657


@dataclass(frozen=True)
class PageComment:
    """One reader's comment as the page shows it."""

    comment_id: str
    author: str | None
    text: str
    created_at: datetime | None
    parent_id: str | None
    """``comment_id`` of the comment this one replies to, None for a top-level comment."""


@dataclass(frozen=True)
class EmbeddedPost:
    """A social-media post embedded in the page with its publisher's markup."""

    platform: str
    handle: str | None
    text: str
    created_at: datetime | None
    url: str | None


def _has_class(element, name: str) -> bool:
    return name in (element.get("class") or "").split()


def _comment_node(element):
    """The element that holds one whole comment (its author, time and text): the nearest
    ancestor-or-self with a comment id or the ``comment`` class."""
    node = element
    while node is not None:
        if node.tag in ("li", "article", "div", "dt") and (
                _COMMENT_ID.match(node.get("id") or "") or _has_class(node, "comment")):
            # WordPress wraps the body in article#div-comment-N inside li#comment-N: take the li
            parent = node.getparent()
            if (node.tag == "article" and parent is not None and parent.tag == "li"
                    and _COMMENT_ID.match(parent.get("id") or "")):
                return parent
            return node
        node = node.getparent()
    return None


def _own(node, candidates, comment_nodes: set) -> list:
    """Those of ``candidates`` that belong to ``node`` itself, not to a reply nested in it."""
    own = []
    for element in candidates:
        holder = element.getparent()
        while holder is not None and holder is not node and holder not in comment_nodes:
            holder = holder.getparent()
        if holder is node:
            own.append(element)
    return own


def _comment_id(node, n: int) -> str:
    match = _COMMENT_ID.match(node.get("id") or "")
    if match:
        return next(g for g in match.groups() if g)
    return f"n{n}"


def _author(node, comment_nodes: set) -> str | None:
    paths = (".//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]", ".//cite[@class='user']",
             ".//*[contains(concat(' ', normalize-space(@class), ' '), ' comment-author ')]",
             ".//*[contains(@class, 'comment__author-name')]", ".//*[contains(@class, 'comment-meta__name')]",
             ".//*[contains(concat(' ', normalize-space(@class), ' '), ' comment-header ')]//cite",
             ".//*[@itemprop='author']")
    for path in paths:
        for element in _own(node, node.xpath(path), comment_nodes):
            named = element.xpath(".//cite | .//b | .//strong | .//a[not(contains(@href, '#'))]") or [element]
            name = _SAYS.split(" ".join(named[0].text_content().split()))[0]
            name = _DATE_TAIL.split(name)[0].strip(" :-")
            if name:
                return name[:100]
    if node.tag == "dt":  # old Blogger: <dt class="comment-author"><a>Name</a> said...</dt>
        name = _SAYS.split(" ".join(node.text_content().split()))[0]
        return name[:100] or None
    return None


def _comment_time(node, comment_nodes: set) -> datetime | None:
    for element in _own(node, node.xpath(".//time[@datetime]"), comment_nodes):
        found = parse_stated(element.get("datetime"))
        if found:
            return found
    for element in _own(node, node.xpath(".//a[@href]"), comment_nodes):
        match = _SHOW_COMMENT.search(element.get("href") or "")
        if match:
            return parse_stated(match.group(1))
    paths = (".//*[contains(@class, 'comment-metadata')]", ".//*[contains(@class, 'comment-meta')]",
             ".//*[contains(@class, 'datetime')]", ".//*[contains(@class, 'comment-timestamp')]",
             ".//*[contains(@class, 'comment-date')]", ".//*[contains(@class, 'comment-time')]")
    for path in paths:
        for element in _own(node, node.xpath(path), comment_nodes):
            found = parse_stated(" ".join(element.text_content().split()).replace(" um ", " ").replace(" at ", " "))
            if found:
                return found
    return None


_NOT_A_COMMENT = ("pingback", "trackback")
"""Classes of comment-list entries that are other sites linking here, not readers writing."""
_ELSEWHERE = ("//aside//* | //*[contains(@class, 'recentcomments') or contains(@class, 'recent-comments') "
              "or contains(@class, 'recent_comments') or contains(@id, 'recentcomments') "
              "or contains(@id, 'recent-comments')]//*")
"""Comment lists inside these are other articles' comments (a sidebar's "recent comments")."""
_LIST_ITEM_XPATH = ("//li[(starts-with(@id, 'comment-') or starts-with(@id, 'li-comment-') or "
                    + _TOKEN.format("comment") + ") and ancestor::*[self::ol or self::ul or self::div]"
                    "[contains(@class, 'comment') or @id = 'comments' or contains(@id, 'commentlist')]]")
"""WordPress comment-list entries whose text sits straight in them (older and custom themes)."""
_FURNITURE = ("comment-author", "vcard", "comment-meta", "commentmetadata", "reply", "comment-actions",
              "comment-likes", "says", "avatar", "comment-reply-link", "children")
"""Parts of a comment-list entry that are not the comment's text."""


def _excluded(node, elsewhere: set) -> bool:
    """Whether a comment-list entry is a pingback or trackback (by its class, or by the word that
    opens it in themes without the class), or sits in a sidebar widget."""
    classes = (node.get("class") or "").split()
    opening = " ".join(node.text_content().split())[:12].lower()
    return (any(c in classes for c in _NOT_A_COMMENT) or opening.startswith(_NOT_A_COMMENT)
            or node in elsewhere)


def _moderated(content, text: str) -> bool:
    """Whether all a comment shows is the moderators' note that replaced it ("Entfernt. Bitte
    bleiben Sie beim Thema."): the reader's words are gone."""
    notes = content.xpath(".//*[" + _TOKEN.format("moderation") + "]")
    return bool(notes) and " ".join(" ".join(n.text_content().split()) for n in notes) == " ".join(text.split())


def _is_excerpt(text: str) -> bool:
    """Whether a comment's text is another site's excerpt of this page (``[…] words […]``), the
    body of a pingback whatever its markup."""
    stripped = text.strip()
    return stripped.startswith(("[…]", "[...]")) and stripped.endswith(("[…]", "[...]"))


def _entry_text(node, comment_nodes: set) -> str:
    """The text of a comment-list entry that has no content block: the entry without its author,
    metadata, reply links and nested replies."""
    copy = lxml_html.fromstring(lxml_html.tostring(node, encoding="unicode", with_tail=False))
    originals = list(node.iter())
    for original, element in reversed(list(zip(originals, copy.iter()))):
        if element is copy:
            continue
        classes = (element.get("class") or "").split()
        if (original in comment_nodes or element.tag in ("cite", "small", "form", "script", "style", "img")
                or any(c in classes for c in _FURNITURE)):
            element.drop_tree()
    return html_to_text(lxml_html.tostring(copy, encoding="unicode", with_tail=False))


def readers_comments(tree) -> list[PageComment]:
    """The readers' comments a parsed page carries in its HTML, in page order (pingbacks,
    trackbacks and a sidebar's recent comments on other articles left out)."""
    elsewhere = set(tree.xpath(_ELSEWHERE))
    everything = [c for c in tree.xpath(_CONTENT_XPATH) if c not in elsewhere]
    inner = set()
    for content in everything:  # a content block holding another (meta + text): keep the inner one
        ancestor = content.getparent()
        while ancestor is not None:
            inner.add(ancestor)
            ancestor = ancestor.getparent()
    contents = [c for c in everything if c not in inner][:MAX_PER_PAGE]
    found: list[tuple[object, object]] = []
    for content in contents:
        if content.tag == "dd":  # old Blogger: the author and id are on the <dt> before it
            node = content.getprevious()
            while node is not None and node.tag != "dt":
                node = node.getprevious()
        else:
            node = _comment_node(content.getparent() if content.getparent() is not None else content)
        if node is not None and all(node is not other for other, _ in found):
            found.append((node, content))
    held = {node for node, _ in found}
    for entry in tree.xpath(_LIST_ITEM_XPATH)[:MAX_PER_PAGE]:  # entries without a content block
        if entry not in held and entry not in elsewhere and not any(a in held for a in entry.iterdescendants()):
            found.append((entry, None))
    found = [(node, content) for node, content in found if not _excluded(node, elsewhere)]
    if len(found) > 1:  # most pages carry no comments: the page order is built only when needed
        order = {element: n for n, element in enumerate(tree.iter())}
        found.sort(key=lambda pair: order.get(pair[0], 0))  # as the page shows them
    comment_nodes = {node for node, _ in found}
    ids: dict[object, str] = {}
    comments: list[PageComment] = []
    for n, (node, content) in enumerate(found, start=1):
        text = (html_to_text(lxml_html.tostring(content, encoding="unicode", with_tail=False))
                if content is not None else _entry_text(node, comment_nodes))
        if not text or _is_excerpt(text) or (content is not None and _moderated(content, text)):
            continue
        ids[node] = _comment_id(node, n)
        parent = node.getparent()
        while parent is not None and parent not in comment_nodes:
            parent = parent.getparent()
        comments.append(PageComment(
            comment_id=ids[node], author=_author(node, comment_nodes), text=text,
            created_at=_comment_time(node if node.tag != "dt" or content is None else content.getparent(),
                                     comment_nodes),
            parent_id=ids.get(parent) if parent is not None else None))
    return comments


def _snowflake_time(url: str | None) -> datetime | None:
    match = _SNOWFLAKE.search(url or "")
    if not match:
        return None
    millis = (int(match.group(1)) >> 22) + _TWITTER_EPOCH_MS
    try:
        when = datetime.fromtimestamp(millis / 1000, timezone.utc).replace(tzinfo=None, microsecond=0)
    except (OverflowError, OSError, ValueError):
        return None
    return when if datetime(2010, 11, 4) <= when <= datetime.now(timezone.utc).replace(tzinfo=None) else None


def _embed(platform: str, element) -> EmbeddedPost | None:
    paragraphs = element.xpath(".//p")
    body = paragraphs[0] if paragraphs else element
    text = html_to_text(lxml_html.tostring(body, encoding="unicode", with_tail=False))
    byline = " ".join(element.text_content().split())
    if paragraphs:
        byline = byline.replace(" ".join(body.text_content().split()), " ", 1)
    links = element.xpath(".//a[@href]")
    url = links[-1].get("href") if links else element.get("cite") or element.get("data-href")
    handle = None
    match = _HANDLE.search(byline)
    if match:
        handle = next(g for g in match.groups() if g)
    elif platform == "facebook":
        names = element.xpath(".//a[contains(@href, 'facebook.com')]")
        handle = normalize(names[-2].text_content()) if len(names) >= 2 else None
    elif platform == "reddit":
        match = re.search(r"\bu/([A-Za-z0-9_-]{3,20})", byline)
        handle = match.group(1) if match else None
    created = _snowflake_time(url) if platform == "x" else None
    if created is None and links:
        created = parse_stated(" ".join(links[-1].text_content().split()))
    if not text or len(text.split()) < 3:
        return None
    return EmbeddedPost(platform=platform, handle=handle, text=text, created_at=created, url=url)


_EMBEDS = (
    ("x", "//blockquote[" + _TOKEN.format("twitter-tweet") + "]"),
    ("mastodon", "//blockquote[" + _TOKEN.format("mastodon-embed") + "]"),
    ("bluesky", "//blockquote[" + _TOKEN.format("bluesky-embed") + "]"),
    ("reddit", "//blockquote[" + _TOKEN.format("reddit-embed-bq") + " or " + _TOKEN.format("reddit-card") + "]"),
    ("facebook", "//*[" + _TOKEN.format("fb-post") + "]//blockquote | //blockquote["
     + _TOKEN.format("fb-xfbml-parse-ignore") + "][not(ancestor::*[" + _TOKEN.format("fb-post") + "])]"),
)


def embedded_posts(tree) -> list[EmbeddedPost]:
    """The social posts a parsed page embeds, in the order of the platforms above."""
    posts: list[EmbeddedPost] = []
    for platform, path in _EMBEDS:
        for element in tree.xpath(path)[:MAX_PER_PAGE]:
            post = _embed(platform, element)
            if post is not None and post not in posts:
                posts.append(post)
    return posts


def drop_embeds(tree) -> None:
    """Remove the embedded posts from a parsed page (they are stored as quotes with their author
    hashed, so the article text neither repeats them nor shows their handles)."""
    for _, path in _EMBEDS:
        for element in tree.xpath(path):
            holder = element
            while holder.getparent() is not None and _has_class(holder.getparent(), "fb-post"):
                holder = holder.getparent()
            if holder.getparent() is not None:
                holder.drop_tree()
