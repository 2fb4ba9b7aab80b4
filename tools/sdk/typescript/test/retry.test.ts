// Retries on 429 against a real server, with a tenant whose quota allows one
// request at a time (burst_requests 1, requests_per_sec 1).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { RateLimitedError, TenantKV } from "../dist/index.js";
import { Server, checkedFetch } from "./harness.js";

let server: Server;
let token: string;
let adminToken: string;

before(async () => {
  server = await Server.start();
  await server.createTenant("tiny");
  token = await server.token("tiny", "write");
  adminToken = await server.token("tiny", "admin");
  // The operator may set any value; a tenant admin could lower these itself too.
  await server.operator().setQuota("tiny", { requests_per_sec: 1, burst_requests: 1 });
});
after(async () => {
  await server.stop();
});

function client(retry: ConstructorParameters<typeof TenantKV>[0] = {}): TenantKV {
  return new TenantKV({ baseUrl: server.url, token, fetch: checkedFetch, ...retry });
}

/**
 * Calls `fn` until it throws (each call spends the bucket's one token, which
 * refills once a second) and returns what it threw. Timing-proof: a pause of
 * the machine only means more calls before the refusal.
 */
async function refusal(fn: () => Promise<unknown>): Promise<unknown> {
  for (let i = 0; i < 50; i++) {
    try {
      await fn();
    } catch (e) {
      return e;
    }
  }
  throw new Error("never refused");
}

/** Runs `n` calls at once; with a burst of 1, all but about one must be refused first and retried. */
async function together<T extends { meta: { attempts: number } }>(n: number, fn: (i: number) => Promise<T>) {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
  return { results, attempts: results.reduce((a, r) => a + r.meta.attempts, 0) };
}

describe("429", () => {
  it("without retries, a refused call throws RateLimitedError with Retry-After and the RateLimit headers", async () => {
    const kv = client({ retry: false });
    const e = await refusal(() => kv.get("k"));
    assert.ok(e instanceof RateLimitedError, String(e));
    assert.equal(e.status, 429);
    assert.equal(e.code, "rate_limited");
    assert.ok((e.retryAfter ?? 0) >= 1);
    assert.equal(e.rateLimit?.limit, 1);
    assert.equal(e.rateLimit?.remaining, 0);
    assert.equal(e.attempts, 1);
  });

  it("GETs and PUTs refused with 429 are retried after Retry-After and succeed", async () => {
    const kv = client({ retry: { maxAttempts: 10, maxElapsedMs: 60000 } });
    const puts = await together(4, (i) => kv.put(`k${i}`, `v${i}`));
    assert.ok(puts.attempts > 4, `attempts ${puts.attempts}`);
    const gets = await together(4, async (i) => {
      const r = await kv.get(`k${i}`);
      assert.ok(r !== null);
      assert.equal(r.text(), `v${i}`);
      return r;
    });
    assert.ok(gets.attempts > 4, `attempts ${gets.attempts}`);
  });

  it("a batch refused by admission ran nothing, so it is retried", async () => {
    const kv = client({ retry: { maxAttempts: 10, maxElapsedMs: 60000 } });
    const b = await together(4, (i) => kv.batch([{ op: "put", key: `b${i}`, value: "1" }]));
    for (const r of b.results) assert.equal(r.results[0]?.status, 201);
    assert.ok(b.attempts > 4, `attempts ${b.attempts}`);
  });

  it("gives up when Retry-After would pass the total time allowed", async () => {
    const kv = client({ retry: { maxAttempts: 10, maxElapsedMs: 200 } });
    const e = await refusal(() => kv.get("k"));
    assert.ok(e instanceof RateLimitedError && e.attempts === 1, String(e));
  });

  it("stops at maxAttempts", async () => {
    const kv = client({ retry: { maxAttempts: 1 } });
    const e = await refusal(() => kv.usage());
    assert.ok(e instanceof RateLimitedError && e.attempts === 1, String(e));
  });

  it("never retries an API key create (a POST that would make a second key)", async () => {
    const admin = new TenantKV({ baseUrl: server.url, token: adminToken, fetch: checkedFetch, retry: { maxAttempts: 6 } });
    const e = await refusal(() => admin.createApiKey("tiny", "read"));
    assert.ok(e instanceof RateLimitedError && e.attempts === 1, String(e));
  });
});
