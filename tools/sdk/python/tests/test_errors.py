"""Typed errors, configuration from the environment, timeouts and
connections."""

from __future__ import annotations

import pytest

from fake_server import FakeServer, SilentServer, closed_port_url
from tenantkv import (
    NO_RETRY,
    ApiError,
    AuthenticationError,
    BatchOp,
    Client,
    ConfigurationError,
    PayloadTooLargeError,
    PermissionDeniedError,
    NotFoundError,
    RequestTimeout,
    StorageQuotaError,
    TenantKVError,
    TransportError,
)


def test_unknown_token_is_authentication_error(server):
    with Client(server.url, "tkv_0123456789abcdef_" + "0" * 64) as kv:
        with pytest.raises(AuthenticationError) as e:
            kv.get("k")
    assert e.value.status == 401 and e.value.code == "invalid_token"
    assert e.value.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_read_key_cannot_write(tenant):
    with tenant.client("read") as reader:
        with pytest.raises(PermissionDeniedError) as e:
            reader.put("k", b"v")
        assert e.value.code == "insufficient_role"
        assert e.value.rate_limit is None  # an access check refused it, before admission


def test_suspended_tenant(server, tenant):
    with tenant.client() as kv:
        kv.put("k", b"v")
        server.op("POST", f"/admin/v1/tenants/{tenant.id}/suspend")
        with pytest.raises(PermissionDeniedError) as e:
            kv.get("k")
        assert e.value.code == "tenant_suspended"
        server.op("POST", f"/admin/v1/tenants/{tenant.id}/resume")
        assert kv.get("k").value == b"v"


def test_value_too_large(server):
    free = server.new_tenant(plan="free")
    with free.client() as kv:
        with pytest.raises(PayloadTooLargeError) as e:
            kv.put("big", b"x" * (256 * 1024 + 1))
        assert e.value.status == 413 and e.value.code == "value_too_large"


def test_storage_quota(server):
    small = server.new_tenant(quota={"storage_bytes": 100})
    with small.client() as kv:
        kv.put("a", b"x" * 50)
        with pytest.raises(StorageQuotaError) as e:
            kv.put("b", b"x" * 60)
        assert e.value.status == 507 and e.value.code == "storage_quota"
        assert kv.delete("a").deleted  # deletes always pass


def test_every_api_error_is_a_tenantkv_error(kv):
    with pytest.raises(TenantKVError):
        kv.get("absent")
    assert issubclass(RequestTimeout, TransportError) and issubclass(TransportError, TenantKVError)
    assert issubclass(ApiError, TenantKVError)


def test_token_and_url_from_the_environment(monkeypatch, server, tenant):
    token = tenant.token("write")
    monkeypatch.setenv("TENANTKV_URL", server.url)
    monkeypatch.setenv("TENANTKV_TOKEN", token + "\n")
    with Client() as kv:
        assert kv.put("env", b"1").created
        assert token not in repr(kv)
    monkeypatch.delenv("TENANTKV_TOKEN")
    with pytest.raises(ConfigurationError):
        Client()
    monkeypatch.delenv("TENANTKV_URL")
    with pytest.raises(ConfigurationError):
        Client(token=token)
    with pytest.raises(ConfigurationError):
        Client("127.0.0.1:8080", token)


def test_read_timeout_is_raised_not_retried():
    silent = SilentServer()
    try:
        with Client(silent.url, "tkv_x", timeout=(2.0, 0.3)) as kv:
            with pytest.raises(RequestTimeout) as e:
                kv.get("k")
            assert e.value.attempts == 1
    finally:
        silent.close()


def test_refused_connection_is_transport_error():
    with Client(closed_port_url(), "tkv_x", retry=NO_RETRY) as kv:
        with pytest.raises(TransportError) as e:
            kv.get("k")
        assert not isinstance(e.value, ApiError)


def test_connections_are_kept_alive():
    fake = FakeServer(200, {"ETag": '"000000000000000000000000"'}, b"v")
    try:
        with Client(fake.url, "tkv_x") as kv:
            for _ in range(20):
                assert kv.get("k").value == b"v"
        assert len(fake.requests) == 20 and fake.connections == 1
    finally:
        fake.close()


def test_proxy_variables_are_read_when_the_client_is_made(monkeypatch):
    proxy = FakeServer(200, {"ETag": '"000000000000000000000000"'}, b"via proxy")
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with Client(closed_port_url(), "tkv_x", retry=NO_RETRY) as kv:
            monkeypatch.delenv("HTTP_PROXY")  # later changes are not seen
            assert kv.get("k").value == b"via proxy"
        assert proxy.requests == ["GET"]
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with Client(closed_port_url(), "tkv_x", retry=NO_RETRY) as kv:
            with pytest.raises(TransportError):
                kv.get("k")
        assert proxy.requests == ["GET"]
    finally:
        proxy.close()


def test_request_id_is_sent_and_echoed(kv):
    assert kv.put("rid", b"v", request_id="trace-1.put:a_b").request_id == "trace-1.put:a_b"
    assert kv.get("rid", request_id="trace-2").request_id == "trace-2"
    assert kv.head("rid", request_id="trace-3").request_id == "trace-3"
    assert kv.usage(request_id="trace-4").request_id == "trace-4"
    with pytest.raises(NotFoundError) as e:
        kv.get("absent", request_id="trace-5")
    assert e.value.request_id == "trace-5"
    assert kv.delete("rid", request_id="trace-6").request_id == "trace-6"
    for bad in ("", "x" * 129, "has space", "ünï"):
        with pytest.raises(ValueError):
            kv.get("rid", request_id=bad)
    assert kv.batch([BatchOp.get("rid")], request_id="trace-7").request_id == "trace-7"
    assert len(kv.put("k", b"v").request_id or "") == 20  # none sent: the server's own, 20 hex digits
