"""A news site on loopback: an RSS feed, an Atom feed, and article pages with broken HTML,
wrong or missing charsets, tracking links, a syndicated copy and a missing page."""

from __future__ import annotations

from tests.fakes.server import FakeServer, Request, Response

PARAGRAPHS = [
    "Junyang Lin, the technical lead of Alibaba's Qwen team, announced on Tuesday that he is stepping "
    "down after several years leading the open model releases that made the family popular.",
    "The news spread quickly through developer forums, where many worried that future Qwen models "
    "might no longer ship with open weights.",
    "One Reddit user wrote: \u201cIf the next release is API-only, a lot of local projects are finished.\u201d",
    "Alibaba said in a statement that its commitment to open source remains unchanged and that the "
    "roadmap for the coming quarter includes further open releases.",
    "Analysts noted that leadership changes at large labs rarely change release policy overnight, "
    "but the timing, weeks after a major launch, caught the community off guard.",
]


def _page(title: str, paragraphs: list[str], canonical: str | None = None, meta_charset: str | None = None,
          broken: bool = False) -> str:
    head = f"<title>{title}</title>"
    if meta_charset:
        head = f'<meta charset="{meta_charset}">' + head
    if canonical:
        head += f'<link rel="canonical" href="{canonical}">'
    head += '<meta property="article:published_time" content="2026-03-03T09:00:00Z">'
    body = "".join(f"<p>{p}" + ("" if broken else "</p>") for p in paragraphs)
    nav = "<nav><a href='/'>Home</a> | <a href='/tech'>Tech</a></nav>"
    end = "" if broken else "</article></body></html>"
    return f"<!DOCTYPE html><html><head>{head}</head><body>{nav}<article><h1>{title}</h1>{body}{end}"


class FakeNewsSite(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, Response] = {}

    def build(self) -> None:
        base = self.url
        title = "Qwen tech lead steps down"
        # UTF-8 bytes labelled latin-1 in the header: the classic wrong charset.
        self.pages["/news/qwen-lead"] = Response(200, _page(title, PARAGRAPHS, canonical=f"{base}/news/qwen-lead")
                                                 .encode("utf-8"), {"Content-Type": "text/html; charset=iso-8859-1"})
        # The same article syndicated at another address (content-hash duplicate).
        self.pages["/wire/qwen-lead-copy"] = Response(200, _page(title, PARAGRAPHS).encode("utf-8"),
                                                      {"Content-Type": "text/html"})
        # cp1252 bytes, no header charset, a <meta> that wrongly says utf-8, unclosed tags.
        reply = [
            "Alibaba\u2019s cloud unit replied on Wednesday that the Qwen team will keep publishing open "
            "weights for its small and medium models, and that hiring for the team continues.",
            "Commenters on Hacker News were skeptical: \u201cI will believe it when the weights are on the hub.\u201d",
            "The company did not say who would lead the team next, or when the next model would be released "
            "to the public, but promised an update within weeks.",
        ]
        self.pages["/news/alibaba-reply"] = Response(
            200, _page("Alibaba replies", reply, meta_charset="utf-8", broken=True).encode("cp1252"),
            {"Content-Type": "text/html"})
        self.pages["/feed.xml"] = Response(200, self._rss().encode("utf-8"),
                                           {"Content-Type": "application/rss+xml; charset=utf-8"})
        self.pages["/atom.xml"] = Response(200, self._atom().encode("utf-8"),
                                           {"Content-Type": "application/atom+xml"})
        self.pages["/not-a-feed"] = Response(200, b"<html><body>hello</body></html>", {"Content-Type": "text/html"})

    def _rss(self) -> str:
        items = "".join(
            f"<item><title>{t}</title><link>{self.url}{path}</link>"
            f"<pubDate>Tue, 03 Mar 2026 09:00:00 GMT</pubDate><description>{t}</description></item>"
            for t, path in (("Qwen tech lead steps down", "/news/qwen-lead?utm_source=rss&utm_medium=feed"),
                            ("Alibaba replies", "/news/alibaba-reply"),
                            ("Gone", "/news/missing")))
        return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Tech</title>'
                f"<link>{self.url}/</link><description>d</description>{items}</channel></rss>")

    def _atom(self) -> str:
        return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>'
                f'<id>{self.url}/atom</id><updated>2026-03-03T10:00:00Z</updated>'
                f'<entry><title>Copy</title><id>urn:1</id><link href="{self.url}/wire/qwen-lead-copy"/>'
                "<updated>2026-03-03T10:00:00Z</updated></entry></feed>")

    def handle(self, request: Request) -> Response:
        return self.pages.get(request.path.rstrip("/") or "/") or Response(404, b"not found", {"Content-Type": "text/plain"})
