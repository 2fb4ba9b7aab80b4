"""The data routes through the SDK: values, ETags, conditions, TTL, lists,
batches and usage."""

from __future__ import annotations

import time

import pytest

from tenantkv import (
    ApiError,
    BadRequestError,
    BatchOp,
    NotFoundError,
    PreconditionFailedError,
    TenantKVError,
)

ODD_KEYS = [".", "..", "a/../b", "users/42", "a//b", "/lead", "trail/", "sp ace+plus%2F", "ключ", b"\xff\x00x",
            "k" * 1024, "k/" * 512]


def test_put_get_head_round_trip(kv):
    created = kv.put("users/42", b"hello")
    assert created.status == 201 and created.created
    assert len(created.etag) == 24
    got = kv.get("users/42")
    assert got.value == b"hello" and got.text == "hello"
    assert got.etag == created.etag and not got.not_modified
    head = kv.head("users/42")
    assert head.size == 5 and head.etag == created.etag
    replaced = kv.put("users/42", "héllo")
    assert replaced.status == 204 and not replaced.created
    assert replaced.etag != created.etag
    assert kv.get("users/42").value == "héllo".encode()


@pytest.mark.parametrize("key", ODD_KEYS, ids=repr)
def test_any_key_bytes_round_trip(kv, key):
    kv.put(key, b"v:" + (key.encode() if isinstance(key, str) else key)[:8])
    raw = key.encode() if isinstance(key, str) else key
    assert kv.get(key).value == b"v:" + raw[:8]
    assert [i.key_bytes for i in kv.list()] == [raw]
    kv.delete(key)


def test_key_length_checked_before_sending(kv):
    with pytest.raises(ValueError):
        kv.get("")
    with pytest.raises(ValueError):
        kv.put("k" * 1025, b"")


def test_empty_and_binary_values(kv):
    kv.put("empty", b"")
    assert kv.get("empty").value == b""
    blob = bytes(range(256)) * 40
    kv.put("blob", blob)
    assert kv.get("blob").value == blob
    assert kv.head("blob").size == len(blob)


def test_absent_key_is_not_found(kv):
    with pytest.raises(NotFoundError) as e:
        kv.get("nope")
    assert e.value.status == 404 and e.value.code == "not_found"
    assert e.value.request_id and e.value.detail
    assert isinstance(e.value, ApiError) and isinstance(e.value, TenantKVError)
    with pytest.raises(NotFoundError) as h:
        kv.head("nope")
    assert h.value.status == 404
    with pytest.raises(NotFoundError):
        kv.delete("nope")
    assert kv.delete("nope", missing_ok=True).deleted is False


def test_get_if_none_match(kv):
    etag = kv.put("k", b"v").etag
    same = kv.get("k", if_none_match=etag)
    assert same.not_modified and same.status == 304 and same.value == b"" and same.etag == etag
    assert kv.get("k", if_none_match=f'"{etag}"').not_modified
    assert kv.get("k", if_none_match=["000000000000000000000000", etag]).not_modified
    assert kv.get("k", if_none_match="*").not_modified
    other = kv.get("k", if_none_match="000000000000000000000000")
    assert not other.not_modified and other.value == b"v"


def test_put_if_none_match_only_creates(kv):
    first = kv.put("once", b"1", if_none_match=True)
    assert first.created
    with pytest.raises(PreconditionFailedError) as e:
        kv.put("once", b"2", if_none_match=True)
    assert e.value.status == 412 and e.value.code == "precondition_failed"
    assert kv.get("once").value == b"1"


def test_put_if_match_conflict(kv):
    v1 = kv.put("doc", b"v1").etag
    v2 = kv.put("doc", b"v2", if_match=v1).etag
    # A writer still holding v1 loses: the compare-and-set refuses it.
    with pytest.raises(PreconditionFailedError):
        kv.put("doc", b"stale", if_match=v1)
    assert kv.get("doc").value == b"v2"
    assert kv.put("doc", b"v3", if_match=f'"{v2}"').etag != v2
    with pytest.raises(PreconditionFailedError):
        kv.put("absent", b"x", if_match="*")
    assert kv.put("doc", b"v4", if_match="*").status == 204


def test_delete_if_match(kv):
    etag = kv.put("d", b"x").etag
    with pytest.raises(PreconditionFailedError):
        kv.delete("d", if_match="000000000000000000000000")
    assert kv.get("d").value == b"x"
    res = kv.delete("d", if_match=etag)
    assert res.deleted and res.status == 204
    with pytest.raises(NotFoundError):
        kv.get("d")


def test_ttl(kv):
    kv.put("short", b"x", ttl=1)
    kv.put("long", b"y", ttl=3600)
    assert kv.get("short").value == b"x"
    time.sleep(2.2)
    with pytest.raises(NotFoundError):
        kv.get("short")
    assert kv.get("long").value == b"y"
    with pytest.raises(BadRequestError) as e:
        kv.put("bad", b"x", ttl=0)
    assert e.value.code == "invalid_ttl"


def test_list_follows_cursors_across_many_pages(kv):
    keys = [f"p/{i:04d}" for i in range(203)]
    for start in range(0, len(keys), 100):
        kv.batch([BatchOp.put(k, k.encode()) for k in keys[start:start + 100]])
    kv.put("q/other", b"not listed")
    pages = list(kv.list_pages("p/", page_size=7))
    assert len(pages) == 29  # 203 / 7 = 29 full pages; the last answers next=null
    assert pages[-1].next is None and all(p.next for p in pages[:-1])
    assert all(p.rate_limit is not None for p in pages)
    listed = [i.key for i in kv.list("p/", page_size=7)]
    assert listed == keys
    items = list(kv.list("p/", page_size=50, values=True))
    assert [i.value for i in items] == [k.encode() for k in keys]
    assert all(i.size == len(i.key) and len(i.etag) == 24 for i in items)
    assert [i.key for i in kv.list("p/", start_after="p/0199")] == keys[200:]
    assert all(i.value is None for i in kv.list("p/", page_size=1000))


def test_list_non_utf8_keys_continue_exactly(kv):
    odd = [b"\xff\x01", b"\xff\x02", b"\xff\x03"]
    for k in odd:
        kv.put(k, b"v")
    items = list(kv.list(b"\xff", page_size=1))
    assert [i.key_bytes for i in items] == odd
    assert all("\ufffd" in i.key for i in items)


def test_batch(kv):
    res = kv.batch([
        BatchOp.put("b1", b"hi"),
        BatchOp.get("b1"),
        BatchOp.delete("b1"),
        BatchOp.delete("b1"),
        BatchOp.get("b1"),
        BatchOp.put("b2", "text"),
    ])
    assert [r.status for r in res.results] == [201, 200, 204, 404, 404, 201]
    assert res.results[1].value == b"hi" and res.results[1].etag == res.results[0].etag
    assert res.results[4].value is None
    assert kv.get("b2").value == b"text"
    assert res.rate_limit is not None and res.status == 200


def test_invalid_batch_changes_nothing(kv):
    with pytest.raises(BadRequestError) as e:
        kv.batch([BatchOp.put("ok", b"1"), BatchOp.put("k" * 1025, b"2")])
    assert e.value.code == "key_too_long"
    with pytest.raises(NotFoundError):
        kv.get("ok")
    with pytest.raises(BadRequestError) as empty:
        kv.batch([])
    assert empty.value.code == "invalid_batch"
    with pytest.raises(ValueError):
        BatchOp.get(b"\xff")


def test_usage(kv, tenant):
    kv.put("u1", b"12345")
    u = kv.usage()
    assert u.tenant == tenant.id
    assert u.usage["keys"] == 1 and u.usage["logical_bytes"] == 7
    assert u.quotas["storage_bytes"]["used"] == 7
    assert u.quotas["requests_per_sec"]["limit"] == 1000
    assert "burn_rate_per_hour" in u.quotas["storage_bytes"]
    assert u.rate_limit is not None and u.rate_limit.limit == 1000


def test_rate_limit_headers_reported(kv):
    r = kv.put("rl", b"x")
    assert r.rate_limit is not None
    assert r.rate_limit.limit == 1000 and r.rate_limit.policy == "1000;w=2"
    assert r.rate_limit.remaining is not None and 0 <= r.rate_limit.remaining <= 1000
    assert r.rate_limit.reset is not None and r.request_id


def test_quota_warning_reported(server):
    t = server.new_tenant(quota={"storage_bytes": 100, "storage_soft_pct": 50})
    with t.client() as kv:
        assert kv.put("a", b"x" * 10).rate_limit.quota_warning is None
        warned = kv.put("b", b"x" * 50)
        assert warned.rate_limit.quota_warning == "storage_bytes 62/100"


def test_ready(kv):
    assert kv.ready()
