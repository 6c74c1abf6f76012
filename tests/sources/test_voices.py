"""Readers' comments and embedded social posts: community documents in the article's thread,
authors hashed, times and reply parents kept, the article text clean; stock phrases are no quotes."""

from __future__ import annotations

from datetime import datetime

from sentiment.collect.files import ingest_paths
from sentiment.sources.page import extract_page
from sentiment.sources.web import extract_quotes
from sentiment.text import author_hash
from tests.conftest import AUTHOR_KEY

ARTICLE = ("<p>The city council voted on Tuesday to close the old bridge for repairs that will take most of "
           "next year, sending traffic through the northern districts instead.</p>"
           "<p>Shop owners near the bridge said the closure would cost them customers during the busiest "
           "months, and asked the council to phase the works over two summers.</p>"
           "<p>The council said the bridge had failed its last two inspections and could not stay open.</p>")

WORDPRESS = """
<div id="comments" class="comments-area"><h2>3 Kommentare</h2><ol class="comment-list">
 <li id="comment-101" class="comment even thread-even depth-1 parent">
  <article id="div-comment-101" class="comment-body"><footer class="comment-meta">
   <div class="comment-author vcard"><b class="fn">Anna K.</b> <span class="says">sagt:</span></div>
   <div class="comment-metadata"><a href="#comment-101"><time datetime="2019-06-19T06:16:00+02:00">19. Juni 2019 um 6:16 Uhr</time></a></div>
  </footer><div class="comment-content"><p>The detour adds twenty minutes to my commute every single day.</p></div></article>
  <ul class="children">
   <li id="comment-102" class="comment odd alt depth-2">
    <article id="div-comment-102" class="comment-body"><footer class="comment-meta">
     <div class="comment-author vcard"><b class="fn">Ben</b> <span class="says">sagt:</span></div>
     <div class="comment-metadata"><a href="#comment-102">19. Juni 2019 um 8:30 Uhr</a></div>
    </footer><div class="comment-content"><p>Better a detour than a bridge that falls down.</p></div></article>
   </li>
  </ul>
 </li>
 <li id="comment-103" class="comment even thread-odd depth-1">
  <article id="div-comment-103" class="comment-body"><footer class="comment-meta">
   <div class="comment-author vcard"><b class="fn">Cem</b></div></footer>
   <div class="comment-content"><p>Why was this not fixed ten years ago?</p></div></article>
 </li>
</ol></div>
<div class="widget"><ul><li class="recentcomments">Anna K. on Bridge closed</li></ul></div>"""

BLOGGER = """
<div class="comments" id="comments"><div class="comment-thread toplevel-thread"><ol id="top-ra">
<li class="comment" id="c5689936624652663696"><div class="comment-block"><div class="comment-header">
<cite class="user"><a href="https://www.blogger.com/profile/1" rel="nofollow">Dora</a></cite>
<span class="datetime secondary-text"><a rel="nofollow" href="https://x.blogspot.com/2017/05/p.html?showComment=1494425649856#c5689936624652663696">Mittwoch, Mai 10, 2017 4:14:00 PM</a></span>
</div><p class="comment-content">Great post, the photos of the bridge are lovely.</p></div></li></ol></div></div>"""

EMBEDS = """
<blockquote class="twitter-tweet"><p lang="en" dir="ltr">The bridge closure is going to wreck the morning bus lines, nobody asked riders.</p>&mdash; Eve Rider (@everider) <a href="https://twitter.com/everider/status/1146359923158089728?ref_src=twsrc">July 3, 2019</a></blockquote>
<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:x/app.bsky.feed.post/1"><p lang="en">Finally someone is fixing that bridge, about time honestly.</p>&mdash; Finn (<a href="https://bsky.app/profile/did:plc:x">@finn.bsky.social</a>) <a href="https://bsky.app/profile/did:plc:x/post/1">March 3, 2026 at 9:12 AM</a></blockquote>
<div class="fb-post" data-href="https://www.facebook.com/cityhall/posts/1"><blockquote cite="https://www.facebook.com/cityhall/posts/1" class="fb-xfbml-parse-ignore"><p>The bridge will close on Monday. Detours are signposted from the ring road.</p>Posted by <a href="https://www.facebook.com/cityhall">City Hall</a> on&nbsp;<a href="https://www.facebook.com/cityhall/posts/1">Tuesday, March 3, 2026</a></blockquote></div>
"""


def _page(extra: str) -> str:
    return (f'<html lang="en"><head><title>Bridge closed</title>'
            f'<meta property="article:published_time" content="2019-06-18T10:00:00Z"></head>'
            f"<body><article><h1>Bridge closed</h1>{ARTICLE}</article>{extra}</body></html>")


def test_wordpress_comments_with_authors_times_and_reply_parents():
    page = extract_page(_page(WORDPRESS))
    comments = {c.comment_id: c for c in page.comments}
    assert list(comments) == ["101", "102", "103"]  # the recent-comments widget is not a comment
    assert (comments["101"].author, comments["101"].created_at) == ("Anna K.", datetime(2019, 6, 19, 4, 16))
    assert comments["101"].text == "The detour adds twenty minutes to my commute every single day."
    assert (comments["102"].author, comments["102"].parent_id) == ("Ben", "101")
    assert comments["102"].created_at == datetime(2019, 6, 19, 8, 30)  # its own time, not its parent's
    assert (comments["103"].parent_id, comments["103"].created_at) == (None, None)
    assert "detour adds" not in page.text and "Why was this" not in page.text  # the article stays clean


def test_blogger_comment_time_from_its_link():
    (comment,) = extract_page(_page(BLOGGER)).comments
    assert (comment.comment_id, comment.author) == ("5689936624652663696", "Dora")
    assert comment.created_at == datetime(2017, 5, 10, 14, 14, 9)


def test_embedded_posts_with_handles_and_dates():
    posts = {p.platform: p for p in extract_page(_page(EMBEDS)).embeds}
    assert set(posts) == {"x", "bluesky", "facebook"}
    assert posts["x"].handle == "everider" and posts["x"].text.startswith("The bridge closure is going")
    assert posts["x"].created_at == datetime(2019, 7, 3, 10, 7, 58)  # from the status id, to the second
    assert posts["bluesky"].handle == "finn.bsky.social"
    assert posts["bluesky"].created_at == datetime(2026, 3, 3, 9, 12)
    assert posts["facebook"].handle == "City Hall" and "Detours are signposted" in posts["facebook"].text


def test_comments_and_embeds_are_stored_in_the_articles_thread(con, tmp_path):
    (tmp_path / "bridge.html").write_text(_page(WORDPRESS + EMBEDS), encoding="utf-8")
    ingest_paths(con, [tmp_path], author_key=AUTHOR_KEY)
    rows = con.execute("SELECT external_id, kind, thread_id, parent_id, author_hash, created_at, text "
                       "FROM documents ORDER BY external_id").fetchall()
    by_id = {r[0]: r[1:] for r in rows}
    article = "file:bridge"
    assert by_id["bridge"][0] == "article" and "Anna" not in by_id["bridge"][5]
    assert by_id["bridge#c101"][:4] == ("comment", article, article, author_hash("Anna K.", AUTHOR_KEY))
    assert by_id["bridge#c102"][2] == "file:bridge#c101"
    quotes = [r for r in rows if r[1] == "quote"]
    assert len(quotes) == 3 and all(q[2] == article and q[4] for q in quotes)
    assert author_hash("everider", AUTHOR_KEY) in {q[4] for q in quotes}
    stored = " ".join(r[6] or "" for r in rows) + " ".join(str(r[4]) for r in rows)
    assert "everider" not in stored and "Anna K." not in stored  # names only as their keyed hash


def test_stock_phrases_of_someone_or_people_are_not_quotes():
    assert extract_quotes('As someone once put it, "the bridge is the heart of the town" and so on.') == []
    assert extract_quotes('People say "you cannot fight city hall for ever" in these parts.') == []
    assert extract_quotes('"Nobody asked the riders about this at all," one commenter wrote.') == [
        "Nobody asked the riders about this at all"]



def test_reddit_names_handles_and_moderators_attribute_quotes():
    text = ('The moderator u/bridgefan_42 posted a note, writing, "We were not told about the closure at all."\n'
            'Another line about r/ourcity, whose moderator wrote that they "will keep the detour thread pinned for now."\n'
            "@riverbus: \"Our route 12 runs through the northern districts until further notice.\"\n"
            'The transport director said, "The works will finish on schedule, as planned."')
    assert extract_quotes(text) == ["We were not told about the closure at all.",
                                    "will keep the detour thread pinned for now.",
                                    "Our route 12 runs through the northern districts until further notice."]


def test_text_between_two_straight_quotations_is_not_a_quote():
    text = 'The mayor tweeted at user "Ned" that he was en route "to the bridge now to help with the barriers."'
    assert extract_quotes(text) == ["to the bridge now to help with the barriers."]


PINGBACK_AND_SIDEBAR = """
<ol class="commentlist">
 <li id="comment-201" class="pingback even thread-even depth-1"><div class="comment-body">Pingback:
  <a href="https://other.example/post" class="url">Links of the week - Other Blog</a>
  <p>[&hellip;] the bridge story is worth a read [&hellip;]</p></div></li>
 <li id="comment-202" class="trackback odd depth-1"><div class="comment-body">
  <div class="comment-content"><p>[&hellip;] a trackback excerpt from another site [&hellip;]</p></div></div></li>
 <li id="comment-204"><cite>Pingback von <a href="https://third.example/links">Lesezeichen</a></cite> |
  <small><a href="#comment-204">11.09.2011 23:31</a></small><p>[&#8230;] the bridge story, an excerpt [&#8230;]</p></li>
 <li id="comment-205"><p>[&#8230;] an excerpt another site made of this page, no word says so [&#8230;]</p></li>
 <li id="comment-203" class="comment even depth-1"><article id="div-comment-203" class="comment-body">
  <div class="comment-author vcard"><b class="fn">Gus</b></div>
  <div class="comment-content"><p>I cycle over that bridge daily, where do bikes go now?</p></div></article></li>
</ol>
<aside id="recent-comments-2" class="widget widget_recent_comments"><ol class="commentlist">
 <li id="li-comment-90" class="comment"><article id="comment-90" class="comment miniature">
  <div class="comment-content"><ul class="comment-meta"><li class="comment-author">Hal</li>
  <li class="comment-link">On: <a href="/other-article#comment-90">Another article</a></li></ul>
  <div class="comment-text"><p>A comment on another article entirely, shown in the sidebar.</p></div></div>
 </article></li></ol></aside>"""

PLAIN_ENTRIES = """
<h3 id="comments">2 Comments</h3><ol class="commentlist">
 <li class="comment byuser even depth-1" id="comment-301">
  <cite class="comment-author"><a href="https://ivy.example" class="url">Ivy</a></cite>
  <small class="commentmetadata"><a href="#comment-301">Jun 20th at 2:41 am</a></small>
  <div class="contenttext"><p>The new timetable for the detour buses is nowhere to be found.</p>
  <p class="comment-likes"><a href="#">Like</a> Liked by 21 people</p></div>
  <ul class="comment-actions"><li><a href="#respond">Reply</a></li></ul>
  <ul class="children"><li class="comment odd depth-2" id="comment-302">
   <cite class="comment-author">Jon</cite><small class="commentmetadata">Jun 20th at 3:00 am</small>
   <div class="contenttext"><p>It is on the council website under roadworks.</p></div></li></ul>
 </li>
</ol>
<ul class="c-comments"><li><div class="c-comment" id="comment-401">
 <header class="c-comment__header"><p><a class="c-comment__author-name" href="#">Kim</a>
 on <time datetime="2019-08-02T05:38:48-04:00">August 2, 2019</time></p></header>
 <div class="c-comment__content">Any word on when the bridge reopens?</div>
 <footer class="c-comment__footer"><a class="comment-reply-link" href="?replytocom=401#respond">Reply</a></footer>
</div></li></ul>"""


def test_pingbacks_trackbacks_and_a_sidebars_recent_comments_are_not_readers_comments():
    found = extract_page(_page(PINGBACK_AND_SIDEBAR))
    assert [(c.comment_id, c.author, c.text) for c in found.comments] == [
        ("203", "Gus", "I cycle over that bridge daily, where do bikes go now?")]


def test_a_comment_the_moderators_replaced_with_their_note_is_not_a_readers_comment():
    markup = """<section id="comments">
     <article id="cid-51160650" class="comment js-comment-toplevel"><div class="comment-meta">
      <h4 class="comment-meta__name"><a href="https://profile.example/1">Lena</a></h4></div>
      <div class="comment__body"><p><em class="moderation">Removed. Please stay on topic. The editors</em></p></div>
     </article>
     <article id="cid-51160651" class="comment"><div class="comment-meta">
      <h4 class="comment-meta__name"><a href="https://profile.example/2">Max</a></h4></div>
      <div class="comment__body"><p>The detour is fine by bike, it is the trucks that worry me.</p>
      <p><em class="moderation">Shortened. The editors</em></p></div>
     </article></section>"""
    found = extract_page(_page(markup))
    assert [(c.comment_id, c.author) for c in found.comments] == [("51160651", "Max")]
    assert found.comments[0].text.startswith("The detour is fine by bike")


def test_comment_entries_without_a_content_block_and_bem_markup():
    found = extract_page(_page(PLAIN_ENTRIES))
    assert [(c.comment_id, c.author, c.text, c.parent_id) for c in found.comments] == [
        ("301", "Ivy", "The new timetable for the detour buses is nowhere to be found.", None),
        ("302", "Jon", "It is on the council website under roadworks.", "301"),
        ("401", "Kim", "Any word on when the bridge reopens?", None)]
    assert found.comments[2].created_at == datetime(2019, 8, 2, 9, 38, 48)
    assert "Liked by" not in found.comments[0].text and "Reply" not in found.comments[0].text
