"""The tenant admin's self routes through the SDK: API keys and quota."""

from __future__ import annotations

import pytest

from tenantkv import AuthenticationError, BadRequestError, Client, PermissionDeniedError, QUOTA_FIELDS


def test_tenant_id_is_learnt_from_usage(tenant):
    with tenant.client("admin") as admin:
        assert admin.tenant is None
        assert admin.tenant_id() == tenant.id
        assert admin.tenant == tenant.id


def test_api_key_lifecycle(server, tenant):
    with tenant.client("admin") as admin:
        new = admin.create_api_key("write")
        assert new["role"] == "write" and new["tenant"] == tenant.id and new["state"] == "active"
        assert new["token"].startswith(f"tkv_{new['key_id']}_")
        with Client(server.url, new["token"]) as writer:
            assert writer.put("k", b"v").created
        extra = [admin.create_api_key("read")["key_id"] for _ in range(3)]
        listed = list(admin.list_api_keys(page_size=2))
        ids = [k["key_id"] for k in listed]
        assert new["key_id"] in ids and set(extra) <= set(ids)
        assert len(ids) == len(set(ids)) == 5  # the admin key itself, the write key, three read keys
        assert all("token" not in k for k in listed)
        admin.revoke_api_key(new["key_id"])
        admin.revoke_api_key(new["key_id"])  # revoking again succeeds
        revoked = [k for k in admin.list_api_keys() if k["key_id"] == new["key_id"]]
        assert revoked[0]["state"] == "revoked" and "revoked_at" in revoked[0]
        with Client(server.url, new["token"]) as writer:
            with pytest.raises(AuthenticationError) as e:
                writer.get("k")
            assert e.value.code == "invalid_token" and e.value.status == 401


def test_quota_get_set_history(tenant):
    with tenant.client("admin") as admin:
        q = admin.get_quota()
        assert q["version"] == 1 and set(q["quota"]) == set(QUOTA_FIELDS)
        assert "changes" not in q
        lowered = admin.set_quota({"requests_per_sec": 100, "storage_soft_pct": 80})
        assert lowered["version"] == 2
        assert lowered["changes"] == {"requests_per_sec": [500, 100], "storage_soft_pct": [90, 80]}
        assert lowered["updated_by"] != "operator"
        with pytest.raises(PermissionDeniedError) as e:
            admin.set_quota({"requests_per_sec": 501})
        assert e.value.code == "outside_plan_range" and "requests_per_sec" in e.value.detail
        admin.set_quota({"requests_per_sec": 500})
        history = list(admin.quota_history(page_size=1))
        assert [v["version"] for v in history] == [1, 2, 3]
        assert history[2]["changes"] == {"requests_per_sec": [100, 500]}
        assert admin.get_quota()["quota"]["requests_per_sec"] == 500


def test_self_routes_need_an_admin_key(tenant):
    with tenant.client("write", tenant=tenant.id) as writer:
        for call in (writer.get_quota, lambda: writer.create_api_key("read"), lambda: list(writer.list_api_keys())):
            with pytest.raises(PermissionDeniedError) as e:
                call()
            assert e.value.code == "forbidden"
        with pytest.raises(PermissionDeniedError) as q:
            writer.set_quota({"weight": 1}, request_id="self-1")
        assert q.value.request_id == "self-1"


def test_operator_token_with_an_explicit_tenant(server, tenant):
    with Client(server.url, server.operator_token, tenant=tenant.id) as op:
        assert op.get_quota()["version"] == 1
        assert op.create_api_key("read")["tenant"] == tenant.id
        with pytest.raises(PermissionDeniedError) as e:
            op.get("k")
        assert e.value.code == "tenant_token_required"


def test_read_only_views_show_the_own_tenant_only(server, tenant):
    other = server.new_tenant(plan="premium")
    with tenant.client("admin") as admin:
        keys = admin.data_keys()
        assert keys["versions"] and all("wrapped" not in str(v) for v in keys["versions"])
        entries = list(admin.audit_entries(page_size=1))
        assert entries and all(e["tenant"] == tenant.id for e in entries)
        assert "tenant.create" in [e["action"] for e in entries]
        assert admin.usage().plan == "standard"
        assert {"rate_limited", "storage_quota", "queue_full"} <= set(admin.usage().throttled)
        assert admin.plan()["name"] == "standard"
        for call in (
            lambda: admin.data_keys(tenant=other.id),
            lambda: list(admin.audit_entries(tenant=other.id)),
            lambda: admin.plan("premium"),
        ):
            with pytest.raises(PermissionDeniedError) as e:
                call()
            assert e.value.code == "forbidden"


def test_usage_history_own_and_as_admin(server, tenant):
    other = server.new_tenant()
    with tenant.client("write") as writer:
        for i in range(3):
            writer.put(f"h{i}", b"0123456789")
        hour = writer.usage_history()
        assert hour["window"] == "1h" and hour["step_seconds"] == 60
        series = hour["series"]
        assert all(len(series[k]) == 60 for k in ("requests", "read_bytes", "write_bytes", "storage_bytes"))
        assert sum(series["requests"]) >= 3
        assert sum(series["write_bytes"]) >= 30
        assert series["storage_bytes"][-1] > 0
        day = writer.usage_history("24h")
        assert day["step_seconds"] == 600 and len(day["series"]["requests"]) == 144
        with pytest.raises(BadRequestError) as e:
            writer.usage_history("2h")
        assert e.value.code == "invalid_parameter"
    with tenant.client("admin") as admin:
        mine = admin.usage_history(tenant=tenant.id)
        assert sum(mine["series"]["requests"]) >= 3
        with pytest.raises(PermissionDeniedError):
            admin.usage_history(tenant=other.id)
    with other.client("read") as reader:
        assert sum(reader.usage_history()["series"]["write_bytes"]) == 0  # never tenant's traffic


def test_named_expiring_api_keys(server, tenant):
    with tenant.client("admin") as admin:
        name = 'ci <script>alert("x")</script>'
        soon = admin.create_api_key("read", name=name, expires_at="2099-01-01T00:00:00Z")
        assert soon["name"] == name and soon["expires_at"].startswith("2099-01-01T00:00:00")
        listed = [k for k in admin.list_api_keys() if k["key_id"] == soon["key_id"]]
        assert listed[0]["name"] == name
        plain = admin.create_api_key("read")
        assert plain.get("name") is None and plain.get("expires_at") is None
        for bad in ({"name": ""}, {"expires_at": "2001-01-01T00:00:00Z"}, {"expires_at": "tomorrow"}):
            with pytest.raises(BadRequestError):
                admin.create_api_key("read", **bad)
