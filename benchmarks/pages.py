"""Articles as their pages say: dates, extraction and speed on real recorded pages and feeds.

Serves ``../shared/recordings/pages`` and ``feeds`` (or ``--recordings DIR``) on loopback and runs
the real collectors and ``ingest`` against them, each into a fresh DuckDB file, then prints:

- pages whose metadata states a date: share stored on that date's UTC day, and of those stating a
  time, share stored within 1 minute (the reference is the first of ``pages-truth.json``'s dates
  in the order a reader trusts them: Open Graph / article meta, JSON-LD, other metas, ``<time>``);
- pages stating no date: how many were stored with one anyway (and from what, when the store says);
- feed entries whose page states no date: share stored with the feed's date to the second, and
  undated entries (no feed date) left undated;
- ``ingest`` of the page files: the ``must_not`` strings of ``pages-expect.json`` left in the
  stored text (of 210), the ``must`` strings kept, U+FFFD characters; the same for ``collect pages``;
  how many pages ``ingest`` and ``collect pages`` store with the same title, text and date;
- a JSON body and an oversized page: stored or not;
- pages/s of ``collect pages`` over the 110 pages on loopback: extracting in the collecting process
  (the baseline) and in ``SENTIMENT_PAGE_WORKERS`` processes beside it.

Nothing from the recordings is copied anywhere: the pages are read where they lie.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SENTIMENT_AUTHOR_KEY", "benchmark-key")

from sentiment.collect import run_source  # noqa: E402
from sentiment.settings import get_settings  # noqa: E402
from sentiment.collect.files import ingest_paths  # noqa: E402
from sentiment.sources.news import canonical_url  # noqa: E402
from sentiment.store import connect  # noqa: E402
from tests.fakes.server import FakeServer, Request, Response  # noqa: E402

RECORDED_HOST = b"http://127.0.0.1:8765"
TRUST = ("article:published_time", "og:article:published_time", "jsonld:datePublished", "datepublished",
         "parsely-pub-date", "sailthru.date", "dc.date.issued", "dc.date", "prism.publicationdate", "date",
         "<time datetime>")


class Recordings(FakeServer):
    """The recorded pages at ``/p/NAME``, the feeds at ``/f/NAME`` (their links pointed here), the
    plain entry pages at ``/e/...``, plus ``/json`` (an API error body) and ``/big`` (6 MB page)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.entries = json.loads((root / "feeds" / "entries.json").read_text(encoding="utf-8"))
        self.types = json.loads((root / "feeds" / "types.json").read_text(encoding="utf-8"))

    def handle(self, request: Request) -> Response:
        path = unquote(request.path)
        if request.query:
            path += "?" + urlencode({k: v[0] for k, v in request.query.items()})
        if path.startswith("/p/"):
            file = self.root / "pages" / path[3:]
            if file.is_file():
                return Response(200, file.read_bytes(), {"Content-Type": "text/html"})
        elif path.startswith("/f/"):
            name = path[3:]
            body = (self.root / "feeds" / name).read_bytes().replace(RECORDED_HOST, self.url.encode("ascii"))
            return Response(200, body, {"Content-Type": self.types.get(name, "application/xml")})
        elif path in self.entries:
            entry = self.entries[path]
            return Response(200, entry["html"].encode(entry.get("encoding") or "utf-8", errors="replace"),
                            {"Content-Type": entry.get("ctype") or "text/html"})
        elif path == "/json":
            return Response.json({"error": "not html"})
        elif path == "/big":
            para = "<p>" + "A long page of text that goes on and on about nothing in particular. " * 20 + "</p>"
            body = "<html><head><title>Big</title></head><body><article>" + para * 4300 + "</article></body></html>"
            return Response(200, body.encode("utf-8"), {"Content-Type": "text/html"})
        return Response(404, b"not found", {"Content-Type": "text/plain"})


def _utc(value: str) -> tuple[datetime | None, bool]:
    """A stated date as naive UTC and whether it states a time of day; None when unreadable."""
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None, False
    has_time = "T" in value or (len(value) > 10 and ":" in value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed, has_time


def reference_date(dates: dict[str, str]) -> tuple[datetime | None, bool]:
    """The date a page states for itself, by the order readers trust its sources."""
    for key in TRUST:
        if key in dates:
            found, has_time = _utc(dates[key])
            if found is not None:
                return found, has_time
    return None, False


def _columns(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'documents'").fetchall()}


def _articles(con) -> dict[str, tuple]:
    source = ", date_source" if "date_source" in _columns(con) else ", NULL"
    rows = con.execute(f"SELECT doc_id, title, text, created_at, url{source} FROM documents "
                       "WHERE kind = 'article'").fetchall()
    return {r[0]: r[1:] for r in rows}


def pages_figures(server: Recordings, truth: dict, expect: dict, workdir: Path) -> dict:
    """``collect pages`` one page per run (to know which row each made), then all in one run (speed)."""
    stored: dict[str, tuple] = {}
    with connect(workdir / "pages.duckdb") as con:
        for name in sorted(truth):
            before = set(_articles(con))
            run_source(con, "pages", {"urls": [f"{server.url}/p/{name}"]}, settings=get_settings())
            new = {k: v for k, v in _articles(con).items() if k not in before}
            if new:
                stored[name] = next(iter(new.values()))
        for probe in ("json", "big"):
            before = set(_articles(con))
            report = run_source(con, "pages", {"urls": [f"{server.url}/{probe}"]}, settings=get_settings())
            after = _articles(con)
            stored[f"/{probe}"] = (len(set(after) - before), dict(report.skipped))
    seconds = {}
    for workers in (0, get_settings().page_workers):  # the baseline first: extraction in this process
        with connect(workdir / f"speed-{workers}.duckdb") as con:
            started = time.perf_counter()
            report = run_source(con, "pages", {"urls": [f"{server.url}/p/{name}" for name in sorted(truth)]},
                                settings=get_settings().model_copy(update={"page_workers": workers}))
            seconds[workers] = time.perf_counter() - started
    return {"stored": stored, "seconds": seconds, "n": len(truth), "new": report.new}


def ingest_figures(root: Path, workdir: Path) -> dict[str, tuple]:
    with connect(workdir / "ingest.duckdb") as con:
        ingest_paths(con, [root / "pages"], author_key=b"benchmark-key")
        rows = _articles(con)
    return {doc_id.split(":", 1)[1] + ".html": row for doc_id, row in rows.items()}


def feeds_figures(server: Recordings, root: Path, workdir: Path) -> dict:
    manifest = json.loads((root / "feeds" / "manifest.json").read_text(encoding="utf-8"))
    with connect(workdir / "feeds.duckdb") as con:
        started = time.perf_counter()
        run_source(con, "feeds", {"urls": [f"{server.url}/f/{name}" for name in sorted(manifest)]}, settings=get_settings())
        seconds = time.perf_counter() - started
        rows = con.execute("SELECT url, created_at FROM documents WHERE kind = 'article'").fetchall()
        server.log.clear()
        again = time.perf_counter()
        second = run_source(con, "feeds", {"urls": [f"{server.url}/f/{name}" for name in sorted(manifest)]}, settings=get_settings())
        rerun = time.perf_counter() - again
        refetched = server.requests_to("/p/") + server.requests_to("/e/")
    by_url = {url: created for url, created in rows}
    dated = kept = undated = left = 0
    for feed in manifest.values():
        for row in feed["rows"]:
            link = row.get("new_link")
            if not link or "/e/" not in link:
                continue  # the real pages state dates of their own; measured above
            url = canonical_url(link.replace(RECORDED_HOST.decode(), server.url))
            if url not in by_url:
                continue
            if row.get("feed_date_utc"):
                dated += 1
                kept += by_url[url] == datetime.fromisoformat(row["feed_date_utc"])
            else:
                undated += 1
                left += by_url[url] is None
    return {"dated": dated, "kept": kept, "undated": undated, "left": left, "seconds": seconds,
            "rerun_seconds": rerun, "rerun_new": second.new, "refetched": refetched}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    default = Path(__file__).resolve().parent.parent.parent / "shared" / "recordings"
    parser.add_argument("--recordings", type=Path, default=default)
    parser.add_argument("--misses", action="store_true", help="list the pages stored on another day")
    args = parser.parse_args()
    root = args.recordings
    truth = json.loads((root / "pages-truth.json").read_text(encoding="utf-8"))
    expect = json.loads((root / "pages-expect.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp, Recordings(root) as server:
        workdir = Path(tmp)
        os.environ["SENTIMENT_DB"] = str(workdir / "env.duckdb")
        pages = pages_figures(server, truth, expect, workdir)
        ingested = ingest_figures(root, workdir)
        feeds = feeds_figures(server, root, workdir)

    stored = pages["stored"]
    on_day = with_time = n_dated = n_timed = 0
    undated_given = undated_n = 0
    sources: dict[str, int] = {}
    misses = []
    for name, page in truth.items():
        ref, has_time = reference_date(page["dates"])
        row = stored.get(name)
        created = row[2] if row else None
        if ref is None:
            undated_n += 1
            if created is not None:
                undated_given += 1
                sources[str(row[4])] = sources.get(str(row[4]), 0) + 1
            continue
        n_dated += 1
        if created is not None and created.date() == ref.date():
            on_day += 1
        else:
            misses.append(f"{name}: stated {ref}, stored {created}")
        if has_time:
            n_timed += 1
            with_time += created is not None and abs(created - ref) <= timedelta(minutes=1)

    def leftovers(rows: dict[str, tuple]) -> tuple[int, int, int, int, int]:
        must_not = left = must = kept = fffd = 0
        for name, exp in expect.items():
            row = rows.get(name)
            text = row[1] if row else ""
            for s in exp["must_not"]:
                must_not += 1
                left += s in text
            for s in exp["must"]:
                must += 1
                kept += s in text
            fffd += (text + (row[0] or "" if row else "")).count("\ufffd")
        return left, must_not, kept, must, fffd

    i_left, i_total, i_kept, i_must, i_fffd = leftovers(ingested)
    c_left, _, c_kept, _, c_fffd = leftovers({k: v for k, v in stored.items() if not k.startswith("/")})
    same = sum(1 for name in truth if name in ingested and name in stored
               and ingested[name][:3] == stored[name][:3])

    print(f"pages stating a date: {on_day}/{n_dated} stored on its UTC day ({on_day / n_dated:.0%})")
    print(f"  stating a time: {with_time}/{n_timed} within 1 min ({with_time / max(n_timed, 1):.0%})")
    print(f"pages stating no date: {undated_given}/{undated_n} stored with a date {sources or ''}")
    print(f"feed entries with a feed date, page undated: {feeds['kept']}/{feeds['dated']} kept to the second "
          f"({feeds['kept'] / max(feeds['dated'], 1):.0%})")
    print(f"undated feed entries, page undated: {feeds['left']}/{feeds['undated']} left undated "
          f"({feeds['left'] / max(feeds['undated'], 1):.0%})")
    print(f"feeds: first run {feeds['seconds']:.1f} s; re-run {feeds['rerun_seconds']:.1f} s, "
          f"{feeds['rerun_new']} new, {feeds['refetched']} pages fetched again")
    print(f"ingest: must_not left {i_left}/{i_total}, must kept {i_kept}/{i_must}, U+FFFD {i_fffd}")
    print(f"collect pages: must_not left {c_left}/{i_total}, must kept {c_kept}/{i_must}, U+FFFD {c_fffd}")
    print(f"ingest and collect pages agree (title, text, date): {same}/{len(truth)}")
    print(f"JSON body: {stored['/json'][0]} stored; skipped {stored['/json'][1]}")
    print(f"6 MB page: {stored['/big'][0]} stored; skipped {stored['/big'][1]}")
    for workers, seconds in pages["seconds"].items():
        how = f"{workers} extraction processes" if workers else "extraction in the collecting process (baseline)"
        print(f"collect pages, {how}: {pages['n']} pages in {seconds:.1f} s = {pages['n'] / seconds:.1f} pages/s")
    if args.misses:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
