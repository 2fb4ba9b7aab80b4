// The tenant admin's own routes (API keys, quota) and the typed errors they give.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  AuthenticationError,
  BadRequestError,
  PermissionDeniedError,
  TenantKV,
  type NewApiKey,
} from "../dist/index.js";
import { Server, checkedFetch } from "./harness.js";

let server: Server;
let admin: TenantKV;

before(async () => {
  server = await Server.start();
  await server.createTenant("shop", "free");
  admin = await server.client("shop", "admin");
});
after(async () => {
  await server.stop();
});

describe("API keys", () => {
  it("a tenant admin creates, lists page by page and revokes its keys", async () => {
    const made: NewApiKey[] = [];
    for (let i = 0; i < 5; i++) made.push(await admin.createApiKey("shop", i % 2 === 0 ? "read" : "write"));
    for (const k of made) {
      assert.match(k.token, /^tkv_[0-9a-f]{16}_[0-9a-f]{64}$/);
      assert.equal(k.tenant, "shop");
      assert.equal(k.state, "active");
    }

    const writer = new TenantKV({ baseUrl: server.url, token: made[1]?.token ?? "", fetch: checkedFetch });
    await writer.put("k", "v");

    const ids: string[] = [];
    for await (const k of admin.listApiKeys("shop", { limit: 2 })) ids.push(k.key_id);
    for (const k of made) assert.ok(ids.includes(k.key_id));
    const first = await admin.listApiKeysPage("shop", { limit: 2 });
    assert.equal(first.keys.length, 2);
    assert.ok(first.next !== null);

    await admin.revokeApiKey("shop", made[1]?.key_id ?? "");
    await admin.revokeApiKey("shop", made[1]?.key_id ?? "");
    await assert.rejects(writer.get("k"), (e: unknown) => {
      assert.ok(e instanceof AuthenticationError);
      assert.equal(e.status, 401);
      assert.equal(e.code, "invalid_token");
      return true;
    });
    const listed = [];
    for await (const k of admin.listApiKeys("shop")) listed.push(k);
    assert.equal(listed.find((k) => k.key_id === made[1]?.key_id)?.state, "revoked");
  });

  it("a key that is not admin cannot manage keys; a read key cannot write", async () => {
    const writer = await server.client("shop", "write");
    await assert.rejects(writer.createApiKey("shop", "admin"), (e: unknown) => {
      return e instanceof PermissionDeniedError && e.code === "forbidden";
    });
    const reader = await server.client("shop", "read");
    await assert.rejects(reader.put("k", "v"), (e: unknown) => {
      return e instanceof PermissionDeniedError && e.code === "insufficient_role";
    });
    await assert.rejects(admin.createApiKey("shop", "owner" as never), (e: unknown) => {
      return e instanceof BadRequestError && e.code === "invalid_role";
    });
  });

  it("no token, or a malformed one, is 401", async () => {
    const none = new TenantKV({ baseUrl: server.url, token: "", fetch: checkedFetch });
    await assert.rejects(none.usage(), (e: unknown) => e instanceof AuthenticationError);
    const bad = new TenantKV({ baseUrl: server.url, token: "tkv_0000000000000000_" + "0".repeat(64), fetch: checkedFetch });
    await assert.rejects(bad.usage(), (e: unknown) => e instanceof AuthenticationError && e.code === "invalid_token");
  });
});

describe("quota", () => {
  it("a tenant admin reads its quota, lowers a field inside its plan, and sees the history", async () => {
    const q = await admin.getQuota("shop");
    assert.equal(q.quota.requests_per_sec, 50);
    const v = await admin.setQuota("shop", { requests_per_sec: 20, storage_soft_pct: 80 });
    assert.equal(v.version, q.version + 1);
    assert.deepEqual(v.changes?.["requests_per_sec"], [50, 20]);
    assert.equal(v.quota.requests_per_sec, 20);
    assert.equal(v.quota.burst_requests, q.quota.burst_requests);

    await admin.setQuota("shop", { requests_per_sec: 30 });
    const versions = [];
    for await (const m of admin.quotaHistory("shop", { limit: 1 })) versions.push(m.version);
    assert.deepEqual(versions, [1, 2, 3]);
    const page = await admin.quotaHistoryPage("shop", { limit: 2 });
    assert.equal(page.next, 2);
  });

  it("a value outside the plan's range is 403 outside_plan_range, an unknown field 400", async () => {
    await assert.rejects(admin.setQuota("shop", { requests_per_sec: 60 }), (e: unknown) => {
      assert.ok(e instanceof PermissionDeniedError);
      assert.equal(e.code, "outside_plan_range");
      assert.match(e.detail, /requests_per_sec/);
      return true;
    });
    await assert.rejects(admin.setQuota("shop", { nope: 1 } as never), (e: unknown) => {
      return e instanceof BadRequestError && e.code === "unknown_field";
    });
  });
});

describe("read-only views", () => {
  it("a tenant admin reads its data keys, its audit entries and its plan, and nothing of another tenant", async () => {
    await server.createTenant("other", "premium");
    const keys = await admin.dataKeys("shop");
    assert.ok(keys.versions.length >= 1);
    assert.equal(JSON.stringify(keys).includes("wrapped"), false);

    const seen: string[] = [];
    for await (const e of admin.auditEntries("shop", { limit: 1 })) {
      assert.equal(e.tenant, "shop");
      seen.push(e.action);
    }
    assert.ok(seen.includes("tenant.create"));

    const usage = await admin.usage();
    assert.equal(usage.plan, "free");
    const plan = await admin.plan(usage.plan);
    assert.equal(plan.name, "free");

    for (const call of [() => admin.dataKeys("other"), () => admin.auditPage("other"), () => admin.plan("premium")]) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof PermissionDeniedError);
        assert.equal(e.code, "forbidden");
        return true;
      });
    }
  });
});

describe("usage history and named keys", () => {
  it("reads its own history over both windows, and never another tenant's", async () => {
    await server.createTenant("quiet", "free");
    const writer = await server.client("shop", "write");
    for (let i = 0; i < 3; i++) await writer.put(`h${i}`, "0123456789");
    const hour = await writer.usageHistory();
    assert.equal(hour.window, "1h");
    assert.equal(hour.step_seconds, 60);
    assert.equal(hour.series.requests.length, 60);
    assert.ok(hour.series.requests.reduce((a, b) => a + b, 0) >= 3);
    assert.ok(hour.series.write_bytes.reduce((a, b) => a + b, 0) >= 30);
    const day = await admin.tenantUsageHistory("shop", "24h");
    assert.equal(day.step_seconds, 600);
    assert.equal(day.series.storage_bytes.length, 144);
    await assert.rejects(admin.tenantUsageHistory("quiet"), (e: unknown) => e instanceof PermissionDeniedError);
    await assert.rejects(writer.usageHistory("2h" as never), (e: unknown) => {
      return e instanceof BadRequestError && e.code === "invalid_parameter";
    });
    const quiet = await server.client("quiet", "read");
    const theirs = await quiet.usageHistory();
    assert.equal(theirs.series.write_bytes.reduce((a, b) => a + b, 0), 0);
  });

  it("names a key and gives it an expiry; bad ones are refused", async () => {
    const name = 'ci <script>alert("x")</script>';
    const made = await admin.createApiKey("shop", "read", { name, expiresAt: new Date(Date.UTC(2099, 0, 1)) });
    assert.equal(made.name, name);
    assert.match(String(made.expires_at), /^2099-01-01T00:00:00/);
    const listed: string[] = [];
    for await (const k of admin.listApiKeys("shop")) if (k.key_id === made.key_id) listed.push(String(k.name));
    assert.deepEqual(listed, [name]);
    await assert.rejects(admin.createApiKey("shop", "read", { name: "" }), (e: unknown) => e instanceof BadRequestError);
    await assert.rejects(
      admin.createApiKey("shop", "read", { expiresAt: "2001-01-01T00:00:00Z" }),
      (e: unknown) => e instanceof BadRequestError,
    );
  });
});
