"""The failure policy of pages and feeds (README, Guarantees): every failure recorded under the
source that retries it, permanent ones retried a few spaced times then given up (doctor lists
them, ``--retry-given-up`` retries them), transient ones spaced across runs, and pending retries of
other URLs held to a time budget. A loopback site answers with real status codes and bodies; the
run's clock is injected (``run_source(..., clock=..., settings=Settings())``) instead of sleeping."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from sentiment.cli import app
from sentiment.collect import run_source
from sentiment.skips import is_expected_skip
from sentiment.collect.retries import CREDENTIALS, GIVEN_UP, OVER_BUDGET, WAITING
from sentiment.store import connect
from sentiment.maintenance.doctor import check_database
from sentiment.settings import Settings
from tests.fakes.server import Request, Response
from tests.sources.test_pages import BODY, Site, page

T0 = datetime(2026, 3, 2, 9, 0)
SPACING = 600


@pytest.fixture
def site(monkeypatch):
    for name, value in {"BACKOFF_SECONDS": "0.01", "COLLECT_RETRIES": "2", "HTTP_TIMEOUT": "5",
                        "RETRY_SPACING_SECONDS": str(SPACING), "RETRY_SPACING_MAX_SECONDS": "3600",
                        "RETRY_GIVE_UP_AFTER": "3", "RETRY_BUDGET_SECONDS": "20"}.items():
        monkeypatch.setenv(f"SENTIMENT_{name}", value)
    with Site() as server:
        server.html("/good", page("Good news", body=BODY).encode())
        yield server


def at(minutes: float):
    return lambda: T0 + timedelta(minutes=minutes)


def failures(con) -> dict[str, tuple]:
    rows = con.execute("SELECT source, item, attempts, permanent, next_attempt_at, given_up_at, reason "
                       "FROM collect_failures").fetchall()
    return {r[1].rsplit("/", 1)[1]: (r[0], *r[2:]) for r in rows}


def test_a_404_is_retried_spaced_then_given_up_listed_by_doctor_and_retried_on_request(db_path, site):
    gone = f"{site.url}/gone"
    with connect(db_path) as con:
        first = run_source(con, "pages", {"urls": [gone]}, clock=at(0), settings=Settings())
        assert (first.status, first.failed) == ("failed", [gone])
        assert site.requests_to("/gone") == 1  # a 404 is not retried within the run
        assert failures(con)["gone"] == ("web", 1, True, T0 + timedelta(seconds=SPACING), None, "HTTP 404")
        # a run asked for another URL before the next attempt is due does not touch it
        early = run_source(con, "pages", {"urls": [f"{site.url}/good"]}, clock=at(9), settings=Settings())
        assert (early.status, early.skipped[WAITING], site.requests_to("/gone")) == ("ok", 1, 1)
        # due after 10 minutes: tried once, then spaced twice as far
        second = run_source(con, "pages", {"urls": []}, clock=at(11), settings=Settings())
        assert second.failed == [gone] and site.requests_to("/gone") == 2
        assert failures(con)["gone"][1:5] == (2, True, T0 + timedelta(minutes=11 + 20), None)
        assert run_source(con, "pages", {"urls": []}, clock=at(30), settings=Settings()).skipped[WAITING] == 1
        third = run_source(con, "pages", {"urls": []}, clock=at(32), settings=Settings())
        assert third.failed == [gone] and site.requests_to("/gone") == 3
        assert failures(con)["gone"][1:5] == (3, True, None, T0 + timedelta(minutes=32))  # given up
        # a year later it is still not fetched; the run says so and is ok
        later = run_source(con, "pages", {"urls": []}, clock=at(60 * 24 * 365), settings=Settings())
        assert (later.status, later.skipped[GIVEN_UP], site.requests_to("/gone")) == ("ok", 1, 3)
    doctor = check_database(db_path, now=T0 + timedelta(days=1))
    found = {f.check: f for f in doctor.findings}
    assert "web items waiting for a retry" not in found
    given_up = found["web item given up"]
    assert given_up.status == "action" and given_up.detail.startswith(f"{gone}: HTTP 404 (3 attempts")
    assert given_up.fix.endswith("collect pages --retry-given-up")
    # the page comes back; the flag doctor names fetches it and the failure is gone
    site.html("/gone", page("Back again", body=BODY.replace("Monday", "Friday")).encode())
    result = CliRunner().invoke(app, ["--db", str(db_path), "collect", "pages", "--retry-given-up"])
    assert result.exit_code == 0, result.output
    assert site.requests_to("/gone") == 4
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM collect_failures").fetchone()[0] == 0
        assert con.execute("SELECT title FROM documents WHERE url LIKE '%/gone'").fetchall() == [("Back again",)]


def test_a_page_asked_for_by_name_is_fetched_whatever_its_schedule(con, site):
    gone = f"{site.url}/gone"
    for minute in range(3):  # three runs in three minutes, each asked for it
        run_source(con, "pages", {"urls": [gone]}, clock=at(minute), settings=Settings())
    assert site.requests_to("/gone") == 3
    assert failures(con)["gone"][1:3] == (3, True) and failures(con)["gone"][4] is not None  # given up
    assert run_source(con, "pages", {"urls": [gone]}, clock=at(4), settings=Settings()).failed == [gone]  # still asked: fetched
    assert site.requests_to("/gone") == 4


def test_transient_failures_back_off_across_runs_and_are_never_given_up(con, site):
    site.html("/flaky", page("Flaky", body=BODY.replace("Monday", "Tuesday")).encode())
    site.fail("/flaky", "503", times=100)
    flaky = f"{site.url}/flaky"
    run_source(con, "pages", {"urls": [flaky]}, clock=at(0), settings=Settings())
    assert site.requests_to("/flaky") == 3  # asked for: the in-run back-off (2 retries)
    source, attempts, permanent, next_at, given_up, reason = failures(con)["flaky"]
    assert (source, attempts, permanent, next_at, given_up) == ("web", 1, False, T0 + timedelta(minutes=10), None)
    assert reason == "HTTP 503 (gave up after 3 attempts)"
    minute = 0.0
    for n in range(2, 8):  # each retry waits twice as long as the last, up to the one-hour cap
        minute = (failures(con)["flaky"][3] - T0).total_seconds() / 60 + 0.5
        before = site.requests_to("/flaky")
        run_source(con, "pages", {"urls": []}, clock=at(minute), settings=Settings())
        assert site.requests_to("/flaky") == before + 1  # a retry is one attempt: the spacing is the back-off
        wait = failures(con)["flaky"][3] - (T0 + timedelta(minutes=minute))
        assert wait == timedelta(seconds=min(SPACING * 2 ** (n - 1), 3600))
    assert failures(con)["flaky"][1:5:3] == (7, None)  # seven attempts, not given up
    site.clear_faults()
    assert run_source(con, "pages", {"urls": []}, clock=at(minute + 61), settings=Settings()).new == 1
    assert con.execute("SELECT count(*) FROM collect_failures").fetchone()[0] == 0


class SlowSite(Site):
    """Answers ``/slow*`` only after ``delay`` seconds (a server hanging on a request)."""

    delay = 3.0

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/slow"):
            time.sleep(self.delay)
        return super().handle(request)


def test_pending_retries_of_other_urls_stay_within_the_time_budget(con, monkeypatch, site):
    with SlowSite() as slow:
        slow.html("/good", page("Good", body=BODY).encode())
        slow.delay = 0.0
        for n in range(4):  # four earlier failures (404s an hour ago) that now hang for 3 s each
            run_source(con, "pages", {"urls": [f"{slow.url}/slow{n}"]}, clock=at(-60), settings=Settings())
        slow.delay = 3.0
        assert len(failures(con)) == 4
        monkeypatch.setenv("SENTIMENT_RETRY_BUDGET_SECONDS", "1")
        slow.log.clear()
        started = time.monotonic()
        report = run_source(con, "pages", {"urls": [f"{slow.url}/good"]}, clock=at(0), settings=Settings())
        took = time.monotonic() - started
        assert report.new == 1
        assert took < 2.5, took  # not 4 x 3 s: one retry, its timeout cut to the 1 s budget
        assert [p for _, p in slow.log] == ["/good", "/slow0"]
        assert report.skipped[OVER_BUDGET] == 3 and report.failed == [f"{slow.url}/slow0"]
        assert failures(con)["slow0"][1] == 2 and failures(con)["slow1"][1] == 1  # the others wait, untouched
        assert not is_expected_skip(OVER_BUDGET) and is_expected_skip(WAITING) and is_expected_skip(GIVEN_UP)


def _rss(site: Site, links: list[str], date: str = "Sun, 28 Oct 2018 11:10:00 +0100") -> bytes:
    items = "".join(f"<item><title>{link}</title><link>{site.url}{link}</link><pubDate>{date}</pubDate></item>"
                    for link in links)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f</title>{items}'
            "</channel></rss>").encode()


def test_feeds_and_pages_keep_and_retry_their_own_failures(con, site):
    site.html("/feed", _rss(site, ["/good", "/entry"]), "application/rss+xml")
    site.fail("/entry", "503", times=100)
    feeds = run_source(con, "feeds", {"urls": [f"{site.url}/feed", f"{site.url}/no-feed"]}, clock=at(0), settings=Settings())
    pages = run_source(con, "pages", {"urls": [f"{site.url}/page-gone"]}, clock=at(0), settings=Settings())
    assert feeds.failed == [f"{site.url}/no-feed", f"{site.url}/entry"] and pages.failed == [f"{site.url}/page-gone"]
    rows = failures(con)
    assert {k: v[0] for k, v in rows.items()} == {"no-feed": "feeds", "entry": "feeds", "page-gone": "web"}
    assert rows["no-feed"][2] is True and rows["entry"][2] is False  # a 404 feed, a 503 entry
    context = con.execute("SELECT context FROM collect_failures WHERE item LIKE '%/entry'").fetchone()[0]
    assert '"published": "2018-10-28T10:10:00"' in context and f'"feed": "{site.url}/feed"' in context

    site.log.clear()
    site.clear_faults()
    site.html("/feed", _rss(site, ["/good"]), "application/rss+xml")  # the entry has left the feed
    site.html("/entry", page("Entry", body=BODY.replace("Monday", "Sunday")).encode())
    again = run_source(con, "pages", {"urls": []}, clock=at(11), settings=Settings())
    assert [p for _, p in site.log] == ["/page-gone"]  # pages never retry what feeds left
    assert again.failed == [f"{site.url}/page-gone"]
    site.log.clear()
    retried = run_source(con, "feeds", {"urls": [f"{site.url}/feed"]}, clock=at(11), settings=Settings())
    assert sorted(p for _, p in site.log) == ["/entry", "/feed", "/no-feed"]  # never /page-gone
    assert retried.new == 1
    # the retried entry keeps the feed's own date, though the feed no longer lists it
    assert con.execute("SELECT created_at, date_source FROM documents WHERE url LIKE '%/entry'").fetchall() == [
        (datetime(2018, 10, 28, 10, 10), "feed")]
    assert set(failures(con)) == {"no-feed", "page-gone"}


def test_an_entry_listed_again_waits_for_its_spaced_attempt(con, site):
    site.html("/feed", _rss(site, ["/good", "/entry-gone"]), "application/rss+xml")
    run_source(con, "feeds", {"urls": [f"{site.url}/feed"]}, clock=at(0), settings=Settings())
    assert failures(con)["entry-gone"][:3] == ("feeds", 1, True)
    site.log.clear()
    early = run_source(con, "feeds", {"urls": [f"{site.url}/feed"]}, clock=at(5), settings=Settings())
    assert [p for _, p in site.log] == ["/feed"] and early.skipped[WAITING] == 1 and early.status == "ok"
    run_source(con, "feeds", {"urls": [f"{site.url}/feed"]}, clock=at(11), settings=Settings())
    assert site.requests_to("/entry-gone") == 1 and failures(con)["entry-gone"][1] == 2


def test_a_credential_url_left_by_a_run_waits_for_its_url(con, site):
    run_source(con, "pages", {"urls": [f"{site.url}/gone?token=S3CRET"]}, clock=at(0), settings=Settings())
    report = run_source(con, "pages", {"urls": []}, clock=at(60), settings=Settings())
    assert report.skipped[CREDENTIALS] == 1 and site.requests_to("/gone") == 1


@pytest.mark.parametrize("kind", ["pages", "feeds"])
def test_collect_without_urls_or_the_flag_is_refused_before_anything_is_created(tmp_path, kind):
    db = tmp_path / "none.duckdb"
    result = CliRunner().invoke(app, ["--db", str(db), "collect", kind], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "--retry-given-up" in result.output
    assert not db.exists()
