"""Cross-tenant isolation through the SDK: a tenant's key reaches its own
data and its own admin routes only."""

from __future__ import annotations

import pytest

from tenantkv import BatchOp, NotFoundError, PermissionDeniedError


def test_data_of_one_tenant_is_invisible_to_another(server):
    a, b = server.new_tenant(), server.new_tenant()
    with a.client() as ka, b.client() as kb:
        ka.put("shared-name", b"a's value")
        ka.put("only-a", b"secret")
        with pytest.raises(NotFoundError):
            kb.get("only-a")
        with pytest.raises(NotFoundError):
            kb.head("only-a")
        assert kb.delete("only-a", missing_ok=True).deleted is False
        assert list(kb.list()) == []
        res = kb.batch([BatchOp.get("only-a"), BatchOp.get("shared-name")])
        assert [r.status for r in res.results] == [404, 404]
        kb.put("shared-name", b"b's value")
        assert ka.get("shared-name").value == b"a's value"
        assert kb.get("shared-name").value == b"b's value"
        assert ka.get("only-a").value == b"secret"
        assert ka.usage().tenant == a.id and kb.usage().tenant == b.id
        assert ka.usage().usage["keys"] == 2 and kb.usage().usage["keys"] == 1


def test_admin_key_cannot_reach_another_tenant(server):
    a, b = server.new_tenant(), server.new_tenant()
    with b.client("admin") as admin_b:
        calls = {
            "create_api_key": lambda: admin_b.create_api_key("admin", tenant=a.id),
            "list_api_keys": lambda: list(admin_b.list_api_keys(tenant=a.id)),
            "revoke_api_key": lambda: admin_b.revoke_api_key("0123456789abcdef", tenant=a.id),
            "get_quota": lambda: admin_b.get_quota(tenant=a.id),
            "set_quota": lambda: admin_b.set_quota({"requests_per_sec": 1}, tenant=a.id),
            "quota_history": lambda: list(admin_b.quota_history(tenant=a.id)),
        }
        for name, call in calls.items():
            with pytest.raises(PermissionDeniedError) as e:
                call()
            assert e.value.code == "forbidden", name
            assert a.id not in e.value.detail, name
        # Nothing of a's changed.
        with a.client("admin") as admin_a:
            assert admin_a.get_quota()["version"] == 1
            assert len(list(admin_a.list_api_keys())) == 1
