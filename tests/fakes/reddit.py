"""A Reddit-compatible API on loopback, answering in Reddit's JSON shapes (as praw 8 reads them).

Endpoints: ``POST /api/v1/access_token`` (client-credentials grant, HTTP basic auth),
``GET /r/{sub}/new/``, ``GET /r/{sub}/search/``, ``GET /comments/{id}/``,
``GET /comments/{id}/_/{comment}`` ("continue this thread") and ``POST /api/morechildren/``.

Like Reddit, a thread body does not hold the whole tree: top-level comments past ``shown_top``
are folded into a ``more`` object (its ``children`` list every hidden id, as Reddit's does),
and replies deeper than ``max_depth`` are replaced by a "continue this thread" stub
(``more`` with ``id`` ``_`` and ``count`` 0).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tests.fakes.server import FakeServer, Request, Response

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
TOKEN = "fake-bearer-token"


@dataclass
class FakeComment:
    id: str
    body: str
    author: str = "someone"
    created: float = 1772535600.0
    replies: list["FakeComment"] = field(default_factory=list)
    edited: float | bool = False


@dataclass
class FakeThread:
    id: str
    subreddit: str
    title: str
    created: float
    selftext: str = ""
    author: str = "op"
    comments: list[FakeComment] = field(default_factory=list)


def walk(comments: list[FakeComment]):
    """Every comment of a forest, depth first, with its parent (None for top level)."""
    stack = [(c, None) for c in reversed(comments)]
    while stack:
        c, parent = stack.pop()
        yield c, parent
        stack.extend((r, c) for r in reversed(c.replies))


class FakeReddit(FakeServer):
    def __init__(self, shown_top: int = 3, max_depth: int = 3) -> None:
        super().__init__()
        self.threads: dict[str, FakeThread] = {}
        # client id -> (client secret, the bearer token issued to it); tests may add their own
        self.clients: dict[str, tuple[str, str]] = {CLIENT_ID: (CLIENT_SECRET, TOKEN)}
        self.shown_top = shown_top
        self.max_depth = max_depth

    def add(self, thread: FakeThread) -> None:
        self.threads[thread.id] = thread

    # --- shapes --------------------------------------------------------------
    def _t3(self, t: FakeThread) -> dict:
        permalink = f"/r/{t.subreddit}/comments/{t.id}/slug/"
        return {"kind": "t3", "data": {
            "id": t.id, "name": f"t3_{t.id}", "title": t.title, "selftext": t.selftext,
            "selftext_html": None, "author": t.author, "author_fullname": f"t2_{t.author}",
            "created_utc": t.created, "created": t.created, "subreddit": t.subreddit,
            "subreddit_id": "t5_fake", "subreddit_name_prefixed": f"r/{t.subreddit}",
            "permalink": permalink, "url": f"https://www.reddit.com{permalink}",
            "num_comments": sum(1 for _ in walk(t.comments)), "score": 10, "ups": 10,
            "upvote_ratio": 0.9, "is_self": True, "domain": f"self.{t.subreddit}", "over_18": False,
            "stickied": False, "locked": False, "edited": False, "distinguished": None}}

    def _t1(self, t: FakeThread, c: FakeComment, parent: FakeComment | None, depth: int,
            replies: dict | str = "") -> dict:
        gone = c.body in ("[deleted]", "[removed]")
        return {"kind": "t1", "data": {
            "id": c.id, "name": f"t1_{c.id}", "parent_id": f"t1_{parent.id}" if parent else f"t3_{t.id}",
            "link_id": f"t3_{t.id}", "author": "[deleted]" if gone else c.author,
            "body": c.body, "body_html": f"&lt;div class=\"md\"&gt;{c.body}&lt;/div&gt;",
            "created_utc": c.created, "created": c.created, "edited": c.edited, "depth": depth,
            "score": 1, "ups": 1, "subreddit": t.subreddit, "subreddit_id": "t5_fake",
            "permalink": f"/r/{t.subreddit}/comments/{t.id}/slug/{c.id}/", "is_submitter": False,
            "distinguished": None, "stickied": False, "collapsed": False, "controversiality": 0,
            "replies": replies, "author_flair_text": None, "archived": False, "locked": False}}

    @staticmethod
    def _listing(children: list[dict], after: str | None = None) -> dict:
        return {"kind": "Listing", "data": {"after": after, "dist": len(children), "modhash": None,
                                            "geo_filter": "", "children": children, "before": None}}

    def _render(self, t: FakeThread, c: FakeComment, parent, depth: int, limit_depth: bool) -> dict:
        replies: dict | str = ""
        if c.replies:
            if limit_depth and depth + 1 >= self.max_depth:
                stub = {"kind": "more", "data": {"count": 0, "name": "t1__", "id": "_",
                                                 "parent_id": f"t1_{c.id}", "depth": depth + 1, "children": []}}
                replies = self._listing([stub])
            else:
                replies = self._listing([self._render(t, r, c, depth + 1, limit_depth) for r in c.replies])
        return self._t1(t, c, parent, depth, replies)

    def thread_body(self, t: FakeThread) -> list[dict]:
        shown = [self._render(t, c, None, 0, True) for c in t.comments[: self.shown_top]]
        hidden = t.comments[self.shown_top:]
        if hidden:
            ids = [c.id for c, _ in walk(hidden)]
            shown.append({"kind": "more", "data": {"count": len(ids), "name": f"t1_{ids[0]}", "id": ids[0],
                                                   "parent_id": f"t3_{t.id}", "depth": 0, "children": ids}})
        return [self._listing([self._t3(t)]), self._listing(shown)]

    # --- routes --------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if request.path == "/api/v1/access_token" and request.method == "POST":
            return self._token(request)
        if request.headers.get("authorization") not in {f"bearer {token}" for _, token in self.clients.values()}:
            return Response.json({"message": "Unauthorized", "error": 401}, 401)
        if len(parts) == 3 and parts[0] == "r" and parts[2] in ("new", "search"):
            return self._subreddit_listing(parts[1], parts[2], request.query)
        if parts[:1] == ["comments"] and len(parts) == 2:
            t = self.threads.get(parts[1])
            return Response.json(self.thread_body(t)) if t else Response.json({"error": 404}, 404)
        if parts[:1] == ["comments"] and len(parts) == 4 and parts[2] == "_":
            return self._continue(parts[1], parts[3])
        if request.path == "/api/morechildren/" and request.method == "POST":
            return self._morechildren(parse_qs(request.body.decode()))
        return Response.json({"message": "Not Found", "error": 404}, 404)

    def _token(self, request: Request) -> Response:
        form = parse_qs(request.body.decode())
        for client_id, (secret, token) in self.clients.items():
            expected = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            if request.headers.get("authorization") == expected and form.get("grant_type") == ["client_credentials"]:
                return Response.json({"access_token": token, "token_type": "bearer", "expires_in": 86400,
                                      "scope": "*"})
        return Response.json({"message": "Unauthorized", "error": 401}, 401)

    def _subreddit_listing(self, sub: str, which: str, query: dict) -> Response:
        threads = [t for t in self.threads.values() if t.subreddit.lower() == sub.lower()]
        if which == "search":
            q = (query.get("q") or [""])[0].lower()
            threads = [t for t in threads if q in (t.title + " " + t.selftext).lower()]
        threads.sort(key=lambda t: t.created, reverse=True)
        limit = int((query.get("limit") or ["25"])[0])
        after = (query.get("after") or [None])[0]
        if after:
            names = [f"t3_{t.id}" for t in threads]
            threads = threads[names.index(after) + 1:] if after in names else []
        page = threads[:limit]
        next_after = f"t3_{page[-1].id}" if page and len(threads) > limit else None
        return Response.json(self._listing([self._t3(t) for t in page], next_after))

    def _continue(self, post_id: str, comment_id: str) -> Response:
        t = self.threads.get(post_id)
        found = next(((c, p) for c, p in walk(t.comments) if c.id == comment_id), None) if t else None
        if not found:
            return Response.json({"error": 404}, 404)
        c, parent = found
        return Response.json([self._listing([self._t3(t)]),
                              self._listing([self._render(t, c, parent, 0, False)])])

    def _morechildren(self, form: dict) -> Response:
        post_id = form["link_id"][0].removeprefix("t3_")
        wanted = set(form["children"][0].split(","))
        t = self.threads[post_id]
        things = [self._t1(t, c, p, 0) for c, p in walk(t.comments) if c.id in wanted]
        return Response.json({"json": {"errors": [], "data": {"things": things}}})
