"""Retries of 429/503: against a real server with a tenant whose quota
allows one request per second, and against a scripted server for the
bounds."""

from __future__ import annotations

import pytest

from fake_server import FakeServer
from tenantkv import (
    NO_RETRY,
    BatchOp,
    Client,
    RateLimitedError,
    RetryPolicy,
    ServiceUnavailableError,
)

TINY = {"requests_per_sec": 1, "burst_requests": 1}


@pytest.fixture
def tiny(server):
    return server.new_tenant(quota=TINY)


# The bucket holds one token and gets one a second: a call right after
# another finds it empty. Each check below tries a few times, so that a
# client descheduled for a second on a busy machine (the token came back
# meanwhile) does not fail it.
TRIES = 5


def refused(call):
    """The RateLimitedError of the first refused call among TRIES."""
    for _ in range(TRIES):
        try:
            call()
        except RateLimitedError as e:
            return e
    pytest.fail(f"no 429 in {TRIES} calls")


def retried(call):
    """The result of the first call among TRIES that needed a retry."""
    for _ in range(TRIES):
        res = call()
        if res.attempts >= 2:
            return res
    pytest.fail(f"no retried call in {TRIES} calls")


def test_429_is_retried_after_retry_after(tiny):
    with tiny.client() as kv:
        kv.put("k", b"v")
        got = retried(lambda: kv.get("k"))  # refused with 429 and Retry-After: 1, then served
        assert got.value == b"v" and got.status == 200
        assert got.rate_limit is not None and got.rate_limit.limit == 1
        put = retried(lambda: kv.put("k", b"w", if_match=got.etag))
        assert put.status == 204
        assert kv.get("k").value == b"w"


def test_without_retry_the_refusal_is_raised(tiny):
    with tiny.client(retry=NO_RETRY) as kv:
        put = kv.put("k", b"v")
        err = refused(lambda: kv.get("k"))
    assert err.status == 429 and err.code == "rate_limited" and err.attempts == 1
    assert err.retry_after is not None and err.retry_after >= 1
    assert err.rate_limit is not None and err.rate_limit.remaining == 0 and err.rate_limit.limit == 1
    assert err.request_id and err.request_id != put.request_id


def test_no_wait_past_max_total(tiny):
    with tiny.client(retry=RetryPolicy(max_attempts=10, max_total=0.5)) as kv:
        kv.put("k", b"v")
        # Retry-After: 1 would end past 0.5 s: the refusal is raised at once.
        err = refused(lambda: kv.get("k"))
        assert err.attempts == 1


def test_non_idempotent_calls_are_not_retried(tiny):
    with tiny.client("admin") as admin:
        admin.tenant = tiny.id
        assert refused(lambda: admin.create_api_key("read")).attempts == 1
        assert refused(lambda: admin.batch([BatchOp.put("k", b"w")])).attempts == 1
        admin.put("k", b"v")
        reads = retried(lambda: admin.batch([BatchOp.get("k")]))
        assert reads.results[0].value == b"v"


def test_gives_up_after_max_attempts():
    fake = FakeServer(503, {"Retry-After": "0", "Content-Type": "application/problem+json"},
                      {"status": 503, "code": "storage_busy", "title": "Service Unavailable", "detail": "busy"})
    try:
        policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
        with Client(fake.url, "tkv_x", retry=policy) as kv:
            with pytest.raises(ServiceUnavailableError) as e:
                kv.get("k")
            assert e.value.attempts == 3 and e.value.code == "storage_busy" and e.value.detail == "busy"
            assert fake.requests == ["GET"] * 3
            with pytest.raises(ServiceUnavailableError) as p:
                kv.create_api_key("read", tenant="t")
            assert p.value.attempts == 1
            assert fake.requests == ["GET"] * 3 + ["POST"]
    finally:
        fake.close()


def test_backoff_is_jittered_and_bounded():
    p = RetryPolicy(base_delay=0.1, max_delay=1.0)
    upper = lambda lo, hi: hi  # noqa: E731 - the largest draw
    lower = lambda lo, hi: lo  # noqa: E731
    assert [p.delay(n, None, upper) for n in (1, 2, 3, 4, 5, 9)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert p.delay(3, None, lower) == 0.0
    assert p.delay(1, 2.0, upper) == 2.0  # Retry-After wins when longer
    assert p.delay(5, 0.5, upper) == 1.0
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
