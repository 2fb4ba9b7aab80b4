// Cross-tenant isolation through the SDK: tenant A's keys cannot read, list
// or manage tenant B, and no key or id given to the SDK reaches another route.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { PermissionDeniedError, TenantKV, TenantKVError } from "../dist/index.js";
import { Server, checkedFetch } from "./harness.js";

let server: Server;
let a: TenantKV; // tenant alpha, admin key
let b: TenantKV; // tenant beta, admin key

before(async () => {
  server = await Server.start();
  await server.createTenant("alpha");
  await server.createTenant("beta");
  a = await server.client("alpha", "admin");
  b = await server.client("beta", "admin");
  await b.put("secret", "beta's");
  await b.put("shared/name", "beta's too");
});
after(async () => {
  await server.stop();
});

describe("data", () => {
  it("the same key names a different value in each tenant", async () => {
    assert.equal(await a.get("secret"), null);
    assert.equal(await a.head("secret"), null);
    assert.equal((await a.delete("secret")).deleted, false);
    await a.put("secret", "alpha's");
    assert.equal((await b.get("secret"))?.text(), "beta's");
    assert.equal((await a.get("secret"))?.text(), "alpha's");
  });

  it("a list or a batch sees only the caller's keys", async () => {
    const keys: string[] = [];
    for await (const item of a.list()) keys.push(item.key);
    assert.ok(!keys.includes("shared/name"));
    const r = await a.batch([{ op: "get", key: "shared/name" }]);
    assert.equal(r.results[0]?.status, 404);
    assert.equal((await a.usage()).tenant, "alpha");
  });

  it("a key that looks like a path stays a key of the caller's tenant", async () => {
    const sneaky = [
      "../../admin/v1/tenants/beta/apikeys",
      "%2e%2e/%2e%2e/v1/usage",
      "?tenant=beta",
      "#x",
      "secret?x=1",
      "/secret",
    ];
    const seen: string[] = [];
    const recording = new TenantKV({
      baseUrl: server.url,
      token: await server.token("alpha", "write"),
      fetch: (input, init) => {
        seen.push(new URL(String(input)).pathname + new URL(String(input)).search);
        return checkedFetch(input, init);
      },
    });
    for (const key of sneaky) {
      await recording.put(key, key);
      assert.equal((await recording.get(key))?.text(), key);
      assert.equal((await b.get(key)), null);
    }
    // Every single-key call went to /v1/kv/ with the key as one segment and no query.
    for (const path of seen) assert.match(path, /^\/v1\/kv\/[^/?#]+$/);
    assert.equal((await b.get("secret"))?.text(), "beta's");
  });
});

describe("admin routes", () => {
  it("alpha's admin key cannot read or change beta's keys or quota", async () => {
    const denied = (e: unknown) => e instanceof PermissionDeniedError && e.code === "forbidden";
    await assert.rejects(a.getQuota("beta"), denied);
    await assert.rejects(a.setQuota("beta", { requests_per_sec: 1 }), denied);
    await assert.rejects(a.quotaHistoryPage("beta"), denied);
    await assert.rejects(a.listApiKeysPage("beta"), denied);
    await assert.rejects(a.createApiKey("beta", "admin"), denied);
    const bKey = (await b.listApiKeysPage("beta")).keys[0];
    assert.ok(bKey !== undefined);
    await assert.rejects(a.revokeApiKey("beta", bKey.key_id), denied);
    // beta's key still works.
    assert.equal((await b.get("secret"))?.text(), "beta's");
  });

  it("a tenant or key id that is not one is refused before anything is sent", async () => {
    let sent = 0;
    const counting = new TenantKV({
      baseUrl: server.url,
      token: "unused",
      fetch: () => {
        sent++;
        return Promise.reject(new Error("must not be called"));
      },
    });
    const local = (e: unknown) => e instanceof TenantKVError && e.code === "invalid_argument" && e.status === 0;
    for (const id of ["beta/../alpha", "..", "beta%2F", "Beta", "beta?x", ""]) {
      await assert.rejects(counting.getQuota(id), local, id);
      await assert.rejects(counting.listApiKeysPage(id), local, id);
    }
    await assert.rejects(counting.revokeApiKey("alpha", "../../beta"), local);
    assert.equal(sent, 0);
  });
});
