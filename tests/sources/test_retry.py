"""The back-off policy: Retry-After wins, otherwise doubling pauses capped; gives up with a reason."""

import pytest

from sentiment.sources.retry import Backoff, FetchFailed, Transient, parse_retry_after


def test_retry_after_wins_then_doubling_pauses_capped():
    waits = []
    calls = iter([Transient("rate limited (429)", retry_after=7.0), Transient("HTTP 503"),
                  Transient("HTTP 503"), Transient("HTTP 503")])

    def fetch():
        exc = next(calls, None)
        if exc:
            raise exc
        return "ok"

    policy = Backoff(retries=4, base=1.0, cap=3.0, sleep=waits.append)
    assert policy.run(fetch, lambda e: None) == "ok"
    assert waits == [7.0, 2.0, 3.0, 3.0]  # header; 1*2**1; 1*2**2 capped to 3; 1*2**3 capped


def test_gives_up_with_the_reason_and_does_not_retry_permanent_errors():
    waits = []
    policy = Backoff(retries=2, base=0.5, sleep=waits.append)
    with pytest.raises(FetchFailed, match=r"rate limited \(429\) \(gave up after 3 attempts\)"):
        policy.run(lambda: (_ for _ in ()).throw(Transient("rate limited (429)")), lambda e: None)
    assert waits == [0.5, 1.0]
    with pytest.raises(FetchFailed, match="KeyError"):
        policy.run(lambda: {}["x"], lambda e: None)
    assert waits == [0.5, 1.0]


def test_parse_retry_after():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: go now
