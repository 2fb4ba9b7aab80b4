// The data routes through the SDK against a real tenantkv-server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";

import {
  BadRequestError,
  PreconditionFailedError,
  PermissionDeniedError,
  TenantKVError,
  type TenantKV,
} from "../dist/index.js";
import { Server } from "./harness.js";

const enc = new TextEncoder();

let server: Server;
let kv: TenantKV;

before(async () => {
  server = await Server.start();
  await server.createTenant("acme");
  kv = await server.client("acme", "write");
});
after(async () => {
  await server.stop();
});

describe("get, put, head, delete", () => {
  it("creates, replaces and reads a value with its ETag", async () => {
    const created = await kv.put("users/42", "hello");
    assert.equal(created.created, true);
    assert.match(created.etag, /^[0-9a-f]{24}$/);
    assert.equal(created.meta.status, 201);

    const got = await kv.get("users/42");
    assert.ok(got !== null);
    assert.equal(got.notModified, false);
    assert.equal(got.text(), "hello");
    assert.equal(got.etag, created.etag);

    const replaced = await kv.put("users/42", new Uint8Array([0, 1, 2, 255]));
    assert.equal(replaced.created, false);
    assert.notEqual(replaced.etag, created.etag);
    const bytes = await kv.get("users/42");
    assert.deepEqual(bytes?.value, new Uint8Array([0, 1, 2, 255]));

    const head = await kv.head("users/42");
    assert.deepEqual({ etag: head?.etag, size: head?.size }, { etag: replaced.etag, size: 4 });
  });

  it("answers null for an absent key, and delete says whether it deleted", async () => {
    assert.equal(await kv.get("absent"), null);
    assert.equal(await kv.head("absent"), null);
    await kv.put("doomed", "x");
    assert.equal((await kv.delete("doomed")).deleted, true);
    assert.equal((await kv.delete("doomed")).deleted, false);
    assert.equal(await kv.get("doomed"), null);
  });

  it("sends any key bytes exactly: slashes, plus, percent, spaces, NUL, non-UTF-8", async () => {
    const keys: (string | Uint8Array)[] = [
      "a/b/c",
      "a%2Fb",
      "x+y z",
      "é/日本",
      "../v1/usage",
      "..%2F",
      "...",
      "a/../b",
      new Uint8Array([0x62, 0x69, 0x6e, 0xff, 0x00, 0x78]),
    ];
    for (const [i, key] of keys.entries()) {
      await kv.put(key, `v${i}`);
    }
    for (const [i, key] of keys.entries()) {
      assert.equal((await kv.get(key))?.text(), `v${i}`, `key ${String(key)}`);
    }
    // The listing shows each as its exact bytes (key_b64 for the non-UTF-8 one).
    const listed: Uint8Array[] = [];
    for await (const item of kv.list()) listed.push(item.keyBytes);
    for (const key of keys) {
      const b = typeof key === "string" ? enc.encode(key) : key;
      assert.ok(listed.some((l) => Buffer.from(l).equals(Buffer.from(b))), `listed ${String(key)}`);
    }
  });

  it("refuses the keys '.' and '..' locally (fetch would resolve them) and batch handles them", async () => {
    for (const key of [".", ".."]) {
      await assert.rejects(kv.get(key), (e: unknown) => e instanceof TenantKVError && e.code === "invalid_argument");
      await assert.rejects(kv.put(key, "v"), (e: unknown) => e instanceof TenantKVError && e.status === 0);
    }
    const r = await kv.batch([
      { op: "put", key: "..", value: "dots" },
      { op: "get", key: ".." },
    ]);
    assert.equal(new TextDecoder().decode(r.results[1]?.value), "dots");
  });
});

describe("conditional writes", () => {
  it("ifNoneMatch '*' creates only when absent", async () => {
    const first = await kv.put("once", "1", { ifNoneMatch: "*" });
    assert.equal(first.created, true);
    await assert.rejects(kv.put("once", "2", { ifNoneMatch: "*" }), (e: unknown) => {
      assert.ok(e instanceof PreconditionFailedError);
      assert.equal(e.status, 412);
      assert.equal(e.code, "precondition_failed");
      assert.ok(e.requestId !== null && e.requestId.length > 0);
      return true;
    });
    assert.equal((await kv.get("once"))?.text(), "1");
  });

  it("ifMatch writes only over the version read (bare or quoted ETag); a stale one is 412", async () => {
    const v1 = await kv.put("counter", "1");
    const v2 = await kv.put("counter", "2", { ifMatch: v1.etag });
    await assert.rejects(kv.put("counter", "3", { ifMatch: v1.etag }), PreconditionFailedError);
    const v3 = await kv.put("counter", "3", { ifMatch: `"${v2.etag}"` });
    assert.equal(v3.created, false);
    await assert.rejects(kv.delete("counter", { ifMatch: v2.etag }), PreconditionFailedError);
    assert.equal((await kv.delete("counter", { ifMatch: v3.etag })).deleted, true);
    await assert.rejects(kv.put("counter", "4", { ifMatch: "*" }), PreconditionFailedError);
  });

  it("a read-modify-write loop with ifMatch loses no update between two writers", async () => {
    await kv.put("shared", "0");
    const increment = async () => {
      for (;;) {
        const cur = await kv.get("shared");
        assert.ok(cur !== null);
        try {
          await kv.put("shared", String(Number(cur.text()) + 1), { ifMatch: cur.etag });
          return;
        } catch (e) {
          if (!(e instanceof PreconditionFailedError)) throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, increment));
    assert.equal((await kv.get("shared"))?.text(), "10");
  });

  it("get with ifNoneMatch answers notModified when the ETag is current", async () => {
    const v = await kv.put("cached", "x");
    const same = await kv.get("cached", { ifNoneMatch: v.etag });
    assert.equal(same?.notModified, true);
    assert.equal(same?.etag, v.etag);
    const other = await kv.get("cached", { ifNoneMatch: ["000000000000000000000000"] });
    assert.equal(other?.notModified, false);
  });
});

describe("TTL", () => {
  it("a value with ttlSeconds is gone once it expired; a bad TTL is 400 invalid_ttl", async () => {
    await kv.put("short", "x", { ttlSeconds: 1 });
    await kv.put("long", "y", { ttlSeconds: 3600 });
    await delay(2100);
    assert.equal(await kv.get("short"), null);
    assert.equal((await kv.get("long"))?.text(), "y");
    await assert.rejects(kv.put("bad-ttl", "x", { ttlSeconds: 0 }), (e: unknown) => {
      return e instanceof BadRequestError && e.code === "invalid_ttl";
    });
  });
});

describe("list", () => {
  it("iterates every key across many pages, in byte order, with values on request", async () => {
    const n = 250;
    const ops = Array.from({ length: n }, (_, i) => ({
      op: "put" as const,
      key: `page/${String(i).padStart(4, "0")}`,
      value: `value ${i}`,
    }));
    await kv.batch(ops);

    const keys: string[] = [];
    for await (const item of kv.list({ prefix: "page/", limit: 7 })) keys.push(item.key);
    assert.deepEqual(keys, ops.map((o) => o.key));

    let pages = 0;
    let start: Uint8Array | undefined;
    for (;;) {
      const page = await kv.listPage({ prefix: "page/", limit: 100, ...(start ? { startAfter: start } : {}) });
      pages++;
      if (page.next === null) break;
      start = page.next;
    }
    assert.equal(pages, 3);

    const withValues: string[] = [];
    for await (const item of kv.list({ prefix: "page/00", limit: 30, values: true })) {
      withValues.push(new TextDecoder().decode(item.value));
    }
    assert.deepEqual(withValues, ops.slice(0, 100).map((o) => o.value));

    const after: string[] = [];
    for await (const item of kv.list({ prefix: "page/", startAfter: "page/0247" })) after.push(item.key);
    assert.deepEqual(after, ["page/0248", "page/0249"]);
  });
});

describe("batch", () => {
  it("runs ops in order and reports each", async () => {
    const r = await kv.batch([
      { op: "put", key: "b1", value: "hi" },
      { op: "get", key: "b1" },
      { op: "delete", key: "b1" },
      { op: "delete", key: "b1" },
      { op: "get", key: "b1" },
    ]);
    assert.deepEqual(
      r.results.map((x) => x.status),
      [201, 200, 204, 404, 404],
    );
    assert.equal(new TextDecoder().decode(r.results[1]?.value), "hi");
    assert.equal(r.results[0]?.etag, r.results[1]?.etag);
    assert.ok(r.meta.rateLimit !== null);
  });

  it("applies nothing when one op is invalid", async () => {
    await assert.rejects(
      kv.batch([
        { op: "put", key: "atomic", value: "x" },
        { op: "put", key: "", value: "y" },
      ]),
      (e: unknown) => e instanceof BadRequestError && e.code === "invalid_key",
    );
    assert.equal(await kv.get("atomic"), null);
  });

  it("a read key may batch gets only", async () => {
    const reader = await server.client("acme", "read");
    const r = await reader.batch([{ op: "get", key: "nothing" }]);
    assert.equal(r.results[0]?.status, 404);
    await assert.rejects(
      reader.batch([{ op: "put", key: "k", value: "v" }]),
      (e: unknown) => e instanceof PermissionDeniedError && e.code === "insufficient_role",
    );
  });
});

describe("usage and reported headers", () => {
  it("usage shows the tenant, its counters and quotas", async () => {
    const u = await kv.usage();
    assert.equal(u.tenant, "acme");
    assert.ok(u.usage.keys > 0);
    assert.equal(u.quotas.requests_per_sec.limit, 1000);
    assert.equal(u.quotas.storage_bytes.limit, 10737418240);
    assert.equal(u.meta.status, 200);
  });

  it("every data result carries RateLimit headers and the request id it sent", async () => {
    const r = await kv.put("rl", "x", { requestId: "sdk-test-1" });
    assert.equal(r.meta.requestId, "sdk-test-1");
    assert.equal(r.meta.rateLimit?.limit, 1000);
    assert.equal(r.meta.rateLimit?.policy, "1000;w=2");
    assert.ok((r.meta.rateLimit?.remaining ?? -1) >= 0);
    assert.equal(r.meta.attempts, 1);
  });
});
